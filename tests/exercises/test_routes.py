"""The exercise library's endpoints: permissions, validation, filters, sorts, pagination, archiving."""

from __future__ import annotations

import json

import pytest

from tests.factories import make_exercise, make_workout

NEW = {"name": "Goblet Squat", "category": "Strength", "difficulty_level": "Beginner"}


@pytest.fixture
def as_trainer(trainer, login):
    return login(trainer)


@pytest.fixture
def as_user(user, login):
    return login(user)


@pytest.fixture
def as_owner(owner, login):
    return login(owner)


def pagination(response) -> dict:
    return json.loads(response.headers["X-Pagination"])


def names(response) -> list[str]:
    return [e["name"] for e in response.get_json()]


# ---- create


def test_trainer_creates_an_exercise(client, trainer, as_trainer):
    body = {
        **NEW,
        "description": "Hold a dumbbell at the chest and squat.",
        "video_url": "https://videos.example.com/goblet",
        "muscles": ["Quadriceps", " glutes ", "quadriceps"],
        "equipment": ["Dumbbell"],
    }
    r = client.post("/api/exercises", json=body, headers=as_trainer)
    assert r.status_code == 201, r.get_json()
    data = r.get_json()
    assert data["name"] == "Goblet Squat"
    assert data["muscles"] == ["quadriceps", "glutes"]
    assert data["equipment"] == ["dumbbell"]
    assert data["created_by"] == trainer.id
    assert data["archived"] is False
    assert data["created_at"].endswith("Z") and data["updated_at"].endswith("Z")
    assert set(data) == {
        "id", "name", "description", "video_url", "category", "difficulty_level", "muscles", "equipment",
        "created_by", "archived", "created_at", "updated_at",
    }  # fmt: skip


def test_owner_creates_an_exercise(client, as_owner):
    assert client.post("/api/exercises", json=NEW, headers=as_owner).status_code == 201


def test_user_may_not_create_an_exercise(client, as_user):
    r = client.post("/api/exercises", json=NEW, headers=as_user)
    assert r.status_code == 403


def test_anonymous_gets_401_everywhere(client):
    exercise = make_exercise()
    assert client.get("/api/exercises").status_code == 401
    assert client.post("/api/exercises", json=NEW).status_code == 401
    assert client.get(f"/api/exercises/{exercise.id}").status_code == 401
    assert client.put(f"/api/exercises/{exercise.id}", json={"name": "X"}).status_code == 401
    assert client.delete(f"/api/exercises/{exercise.id}").status_code == 401


def test_name_is_unique_case_insensitively(client, as_trainer):
    make_exercise(name="Goblet Squat")
    r = client.post("/api/exercises", json={**NEW, "name": "  GOBLET squat "}, headers=as_trainer)
    assert r.status_code == 409
    assert r.get_json()["code"] == 409


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "file:///etc/passwd", "ftp://example.com/v.mp4", "not a url", "//example.com/v"]
)
def test_video_url_must_be_http(client, as_trainer, url):
    r = client.post("/api/exercises", json={**NEW, "video_url": url}, headers=as_trainer)
    assert r.status_code == 422
    assert "video_url" in r.get_json()["errors"]["json"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"category": "Strength", "difficulty_level": "Beginner"}, "name"),
        ({**NEW, "name": "   "}, "name"),
        ({**NEW, "name": "x" * 121}, "name"),
        ({**NEW, "category": "Yoga"}, "category"),
        ({**NEW, "difficulty_level": "Expert"}, "difficulty_level"),
        ({**NEW, "muscles": "chest"}, "muscles"),
        ({**NEW, "muscles": [""]}, "muscles"),
        ({**NEW, "equipment": ["x"] * 21}, "equipment"),
        ({**NEW, "id": 5}, "id"),
        ({**NEW, "created_by": 1}, "created_by"),
        ({**NEW, "archived": True}, "archived"),
    ],
)
def test_create_validation(client, as_trainer, body, field):
    r = client.post("/api/exercises", json=body, headers=as_trainer)
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["errors"]["json"]


def test_unknown_category_names_the_allowed_values(client, as_trainer):
    r = client.post("/api/exercises", json={**NEW, "category": "Yoga"}, headers=as_trainer)
    message = r.get_json()["errors"]["json"]["category"][0]
    for value in ("Strength", "Cardio", "Flexibility", "Balance", "Plyometrics", "Mobility"):
        assert value in message


def test_non_json_body_is_400(client, as_trainer):
    r = client.post("/api/exercises", data="name=x", headers=as_trainer, content_type="text/plain")
    assert r.status_code == 400


# ---- read, update, delete: permissions


def test_anyone_signed_in_reads_an_exercise(client, as_user):
    exercise = make_exercise(name="Plank", muscles=["abdominals"])
    r = client.get(f"/api/exercises/{exercise.id}", headers=as_user)
    assert r.status_code == 200
    assert r.get_json()["name"] == "Plank"
    assert r.get_json()["created_by"] is None


def test_missing_exercise_is_404(client, as_user):
    assert client.get("/api/exercises/999999", headers=as_user).status_code == 404
    assert client.put("/api/exercises/999999", json={"name": "X"}, headers=as_user).status_code == 404
    assert client.delete("/api/exercises/999999", headers=as_user).status_code == 404


@pytest.mark.parametrize(
    ("who", "status"),
    [("creator", 200), ("owner", 200), ("other_trainer", 403), ("user", 403)],
)
def test_update_permissions(client, login, make_user, trainer, owner, user, who, status):
    exercise = make_exercise(creator=trainer, name="Row")
    actor = {"creator": trainer, "owner": owner, "other_trainer": make_user(role="Trainer"), "user": user}[who]
    r = client.put(f"/api/exercises/{exercise.id}", json={"description": "Pull."}, headers=login(actor))
    assert r.status_code == status, r.get_json()
    if status == 200:
        assert r.get_json()["description"] == "Pull."
        assert r.get_json()["name"] == "Row"


@pytest.mark.parametrize(
    ("who", "status"),
    [("creator", 204), ("owner", 204), ("other_trainer", 403), ("user", 403)],
)
def test_delete_permissions(client, login, make_user, trainer, owner, user, who, status):
    exercise = make_exercise(creator=trainer)
    actor = {"creator": trainer, "owner": owner, "other_trainer": make_user(role="Trainer"), "user": user}[who]
    r = client.delete(f"/api/exercises/{exercise.id}", headers=login(actor))
    assert r.status_code == status
    expected = 404 if status == 204 else 200
    assert client.get(f"/api/exercises/{exercise.id}", headers=login(owner)).status_code == expected


def test_only_owner_changes_the_starter_library(client, as_trainer, as_owner):
    exercise = make_exercise(name="Burpee")
    assert client.put(f"/api/exercises/{exercise.id}", json={"name": "B"}, headers=as_trainer).status_code == 403
    assert client.put(f"/api/exercises/{exercise.id}", json={"name": "B"}, headers=as_owner).status_code == 200


def test_patch_is_put(client, trainer, as_trainer):
    exercise = make_exercise(creator=trainer)
    r = client.patch(f"/api/exercises/{exercise.id}", json={"difficulty_level": "Advanced"}, headers=as_trainer)
    assert r.status_code == 200
    assert r.get_json()["difficulty_level"] == "Advanced"


def test_rename_to_a_taken_name_is_409_but_own_name_is_fine(client, trainer, as_trainer):
    make_exercise(name="Deadlift")
    exercise = make_exercise(creator=trainer, name="Romanian Deadlift")
    url = f"/api/exercises/{exercise.id}"
    assert client.put(url, json={"name": "deadlift"}, headers=as_trainer).status_code == 409
    assert client.put(url, json={"name": "ROMANIAN deadlift"}, headers=as_trainer).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [({"video_url": "javascript:alert(1)"}, "video_url"), ({"category": "x"}, "category"), ({"owner": 1}, "owner")],
)
def test_update_validation(client, trainer, as_trainer, body, field):
    exercise = make_exercise(creator=trainer)
    r = client.put(f"/api/exercises/{exercise.id}", json=body, headers=as_trainer)
    assert r.status_code == 422
    assert field in r.get_json()["errors"]["json"]


def test_update_with_null_video_url_clears_it(client, trainer, as_trainer):
    exercise = make_exercise(creator=trainer, video_url="https://example.com/v")
    r = client.put(f"/api/exercises/{exercise.id}", json={"video_url": None}, headers=as_trainer)
    assert r.status_code == 200
    assert r.get_json()["video_url"] is None


# ---- archiving


def test_delete_of_a_used_exercise_archives_it(client, trainer, as_trainer):
    exercise = make_exercise(creator=trainer, name="Clean")
    workout = make_workout(trainer, [exercise], title="Olympic day")
    assert client.delete(f"/api/exercises/{exercise.id}", headers=as_trainer).status_code == 204

    r = client.get(f"/api/exercises/{exercise.id}", headers=as_trainer)
    assert r.status_code == 200
    assert r.get_json()["archived"] is True
    assert "Clean" not in names(client.get("/api/exercises", headers=as_trainer))
    assert "Clean" not in names(client.get("/api/exercises?q=clean", headers=as_trainer))

    shown = client.get(f"/api/workouts/{workout.id}", headers=as_trainer).get_json()
    assert shown["items"][0]["exercise"] == {
        "id": exercise.id,
        "name": "Clean",
        "category": "Strength",
        "archived": True,
    }

    # Deleting again is harmless and keeps it for the workout.
    assert client.delete(f"/api/exercises/{exercise.id}", headers=as_trainer).status_code == 204
    assert client.get(f"/api/exercises/{exercise.id}", headers=as_trainer).status_code == 200


def test_archived_name_stays_taken(client, trainer, as_trainer):
    exercise = make_exercise(creator=trainer, name="Snatch")
    make_workout(trainer, [exercise])
    client.delete(f"/api/exercises/{exercise.id}", headers=as_trainer)
    r = client.post("/api/exercises", json={**NEW, "name": "snatch"}, headers=as_trainer)
    assert r.status_code == 409
    assert "archived" in r.get_json()["message"]


def test_unused_exercise_is_really_deleted(client, trainer, as_trainer, as_owner):
    exercise = make_exercise(creator=trainer)
    assert client.delete(f"/api/exercises/{exercise.id}", headers=as_trainer).status_code == 204
    assert client.get(f"/api/exercises/{exercise.id}", headers=as_owner).status_code == 404


def test_deleting_a_starter_exercise_archives_it(client, as_owner):
    exercise = make_exercise(name="Jumping Jack")
    assert client.delete(f"/api/exercises/{exercise.id}", headers=as_owner).status_code == 204
    assert client.get(f"/api/exercises/{exercise.id}", headers=as_owner).get_json()["archived"] is True


# ---- list: filters, sorts, pagination


@pytest.fixture
def library(trainer, make_user):
    other = make_user(role="Trainer")
    specs = [
        ("Barbell Bench Press", "Strength", "Intermediate", ["chest", "triceps"], ["barbell"], trainer),
        ("Push-Up", "Strength", "Beginner", ["chest", "triceps", "shoulders"], ["body weight"], None),
        ("Box Jump", "Plyometrics", "Intermediate", ["quadriceps", "glutes"], ["other"], other),
        ("Rowing Machine Intervals", "Cardio", "Advanced", ["lats", "quadriceps"], ["machine"], trainer),
        ("Hamstring Stretch", "Flexibility", "Beginner", ["hamstrings"], [], None),
        ("Overhead Press", "Strength", "Intermediate", ["shoulders", "triceps"], ["barbell"], other),
    ]
    made = {}
    for name, category, level, muscles, equipment, creator in specs:
        made[name] = make_exercise(
            creator=creator,
            name=name,
            category=category,
            difficulty_level=level,
            muscles=muscles,
            equipment=equipment,
            description=f"{name} for your {muscles[0]}.",
        )
    return {"trainer": trainer, "other": other, "exercises": made}


def test_list_defaults_to_name_order(client, library, as_user):
    r = client.get("/api/exercises", headers=as_user)
    assert r.status_code == 200
    assert names(r) == sorted(library["exercises"], key=str.lower)
    assert pagination(r)["total"] == 6


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("category=Strength", ["Barbell Bench Press", "Overhead Press", "Push-Up"]),
        ("difficulty_level=Intermediate", ["Barbell Bench Press", "Box Jump", "Overhead Press"]),
        ("muscle=chest", ["Barbell Bench Press", "Push-Up"]),
        ("muscle=Triceps&muscle=shoulders", ["Overhead Press", "Push-Up"]),
        ("equipment=barbell", ["Barbell Bench Press", "Overhead Press"]),
        ("equipment=machine&equipment=barbell", []),
        ("q=press", ["Barbell Bench Press", "Overhead Press"]),
        ("q=triceps", []),
        ("q=YOUR chest", ["Barbell Bench Press", "Push-Up"]),
        ("category=Strength&difficulty_level=Intermediate&muscle=triceps", ["Barbell Bench Press", "Overhead Press"]),
        ("category=Strength&equipment=barbell&q=overhead", ["Overhead Press"]),
        ("category=Cardio&difficulty_level=Beginner", []),
    ],
)
def test_filters(client, library, as_user, query, expected):
    r = client.get(f"/api/exercises?{query}&sort=name", headers=as_user)
    assert r.status_code == 200, r.get_json()
    assert names(r) == expected


def test_created_by_filter(client, library, as_user):
    r = client.get(f"/api/exercises?created_by={library['trainer'].id}", headers=as_user)
    assert names(r) == ["Barbell Bench Press", "Rowing Machine Intervals"]
    r = client.get(f"/api/exercises?created_by={library['other'].id}&category=Plyometrics", headers=as_user)
    assert names(r) == ["Box Jump"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Barbell Bench Press", "Box Jump", "Hamstring Stretch"]),
        ("-name", ["Rowing Machine Intervals", "Push-Up", "Overhead Press"]),
        ("created_at", ["Barbell Bench Press", "Push-Up", "Box Jump"]),
        ("-created_at", ["Overhead Press", "Hamstring Stretch", "Rowing Machine Intervals"]),
    ],
)
def test_sorts(client, library, as_user, sort, expected):
    r = client.get(f"/api/exercises?sort={sort}&page_size=3", headers=as_user)
    assert names(r) == expected


def test_sort_combined_with_filter(client, library, as_user):
    r = client.get("/api/exercises?category=Strength&sort=-created_at", headers=as_user)
    assert names(r) == ["Overhead Press", "Push-Up", "Barbell Bench Press"]


def test_pagination_headers_on_last_page_and_past_it(client, library, as_user):
    r = client.get("/api/exercises?page=3&page_size=2", headers=as_user)
    assert names(r) == ["Push-Up", "Rowing Machine Intervals"]
    meta = pagination(r)
    assert meta["total"] == 6 and meta["total_pages"] == 3 and meta["last_page"] == 3
    assert meta["page"] == 3 and meta["previous_page"] == 2 and "next_page" not in meta

    r = client.get("/api/exercises?page=4&page_size=2", headers=as_user)
    assert r.status_code == 200
    assert r.get_json() == []
    assert pagination(r)["total"] == 6


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page_size=101", "page_size"),
        ("page_size=0", "page_size"),
        ("page=0", "page"),
        ("category=Yoga", "category"),
        ("difficulty_level=Expert", "difficulty_level"),
        ("sort=popularity", "sort"),
        ("created_by=abc", "created_by"),
        ("color=red", "color"),
        ("q=", "q"),
    ],
)
def test_bad_query_is_422(client, as_user, query, field):
    r = client.get(f"/api/exercises?{query}", headers=as_user)
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["errors"]["query"]


def test_unknown_enum_in_query_names_allowed_values(client, as_user):
    r = client.get("/api/exercises?difficulty_level=Expert", headers=as_user)
    message = r.get_json()["errors"]["query"]["difficulty_level"][0]
    assert "Beginner" in message and "Intermediate" in message and "Advanced" in message


# ---- search


def test_search_is_case_and_accent_insensitive_and_matches_words_anywhere(client, as_user):
    make_exercise(name="Développé Couché", description="Le classique pour les pectoraux.")
    make_exercise(name="Front Squat", description="Squat with the bar on the front of the shoulders.")
    for q in ("developpe", "DÉVELOPPÉ", "couche developpe", "pectoraux", "PÉCTORAUX classique"):
        assert names(client.get(f"/api/exercises?q={q}", headers=as_user)) == ["Développé Couché"], q
    assert names(client.get("/api/exercises?q=bar front", headers=as_user)) == ["Front Squat"]
    assert names(client.get("/api/exercises?q=100%", headers=as_user)) == []
    assert names(client.get("/api/exercises?q=_", headers=as_user)) == []


def test_search_ranks_names_before_descriptions(client, as_user):
    make_exercise(name="Arnold Lateral Raise", description="A variation of the press.")
    make_exercise(name="Push Press")
    make_exercise(name="Z Press")
    found = names(client.get("/api/exercises?q=press", headers=as_user))
    assert found[-1] == "Arnold Lateral Raise"
    assert set(found[:2]) == {"Push Press", "Z Press"}


def test_search_tolerates_typos_on_postgres(client, as_user):
    make_exercise(name="Barbell Bench Press")
    make_exercise(name="Dumbbell Bench Press")
    make_exercise(name="Bulgarian Split Squat")
    make_exercise(name="Calf Raise")
    found = names(client.get("/api/exercises?q=barbel bench pres", headers=as_user))
    assert found[0] == "Barbell Bench Press"
    assert "Calf Raise" not in found
    assert names(client.get("/api/exercises?q=bulgarain split squat", headers=as_user))[0] == "Bulgarian Split Squat"


def test_explicit_sort_overrides_relevance(client, as_user):
    make_exercise(name="Arnold Press Variation", description="press")
    make_exercise(name="Press", description="press")
    assert names(client.get("/api/exercises?q=press&sort=-name", headers=as_user)) == [
        "Press",
        "Arnold Press Variation",
    ]


def test_openapi_documents_the_library(client):
    spec = client.get("/api/openapi.json").get_json()
    for path in ("/api/exercises", "/api/exercises/{exercise_id}", "/api/workouts", "/api/workouts/{workout_id}/copy"):
        assert path in spec["paths"], path
    assert "304" in spec["paths"]["/api/exercises"]["get"]["responses"]
    assert "201" in spec["paths"]["/api/workouts/{workout_id}/copy"]["post"]["responses"]
    assert "ETag" in spec["paths"]["/api/exercises"]["get"]["description"]
    assert "Exercise" in spec["components"]["schemas"]
