"""Workouts: create/read/update/delete/copy with the visibility and permission rules, lists, query counts."""

from __future__ import annotations

import json

import pytest

from tests.factories import make_exercise, make_plan, make_workout
from tests.workouts.conftest import count_statements


def pagination(response) -> dict:
    return json.loads(response.headers["X-Pagination"])


def ids(response) -> list[int]:
    return [w["id"] for w in response.get_json()]


def body(exercises, **fields) -> dict:
    items = [{"exercise_id": e.id, "sets": 3, "reps": 8} for e in exercises]
    return {"title": "Leg day", "items": items, **fields}


# ---- create


def test_trainer_creates_a_workout(client, trainer, login):
    squat, lunge = make_exercise(name="Squat"), make_exercise(name="Lunge", category="Plyometrics")
    data = {
        "title": "  Leg day ",
        "description": "Heavy.",
        "visibility": "Clients",
        "items": [
            {"exercise_id": lunge.id, "position": 2, "sets": 3, "reps": 12, "rest_s": 60, "notes": "each leg"},
            {"exercise_id": squat.id, "position": 1, "sets": 5, "reps": 5, "weight_kg": 102.5},
        ],
    }
    r = client.post("/api/workouts", json=data, headers=login(trainer))
    assert r.status_code == 201, r.get_json()
    w = r.get_json()
    assert w["title"] == "Leg day" and w["visibility"] == "Clients" and w["created_by"] == trainer.id
    assert w["copied_from"] is None and w["archived"] is False
    assert [i["exercise"]["name"] for i in w["items"]] == ["Squat", "Lunge"]
    first = w["items"][0]
    assert first["position"] == 1 and first["weight_kg"] == 102.5 and first["duration_s"] is None
    assert first["exercise"] == {"id": squat.id, "name": "Squat", "category": "Strength", "archived": False}
    assert w["items"][1]["notes"] == "each leg" and w["items"][1]["exercise"]["category"] == "Plyometrics"


def test_positions_default_to_list_order_and_visibility_to_private(client, trainer, login):
    a, b = make_exercise(), make_exercise()
    w = client.post("/api/workouts", json=body([a, b]), headers=login(trainer)).get_json()
    assert [(i["position"], i["exercise_id"]) for i in w["items"]] == [(1, a.id), (2, b.id)]
    assert w["visibility"] == "Private"


def test_owner_creates_user_may_not_anonymous_401(client, owner, user, login):
    exercise = make_exercise()
    assert client.post("/api/workouts", json=body([exercise]), headers=login(owner)).status_code == 201
    assert client.post("/api/workouts", json=body([exercise]), headers=login(user)).status_code == 403
    assert client.post("/api/workouts", json=body([exercise])).status_code == 401


def test_anonymous_gets_401_on_every_workout_endpoint(client, trainer):
    workout = make_workout(trainer, visibility="Public")
    assert client.get("/api/workouts").status_code == 401
    assert client.get(f"/api/workouts/{workout.id}").status_code == 401
    assert client.put(f"/api/workouts/{workout.id}", json={"title": "x"}).status_code == 401
    assert client.delete(f"/api/workouts/{workout.id}").status_code == 401
    assert client.post(f"/api/workouts/{workout.id}/copy").status_code == 401


@pytest.mark.parametrize("count", [0, 101])
def test_zero_or_more_than_100_items_is_422(client, trainer, login, count):
    exercise = make_exercise()
    r = client.post("/api/workouts", json=body([exercise] * count), headers=login(trainer))
    assert r.status_code == 422
    assert "items" in r.get_json()["errors"]["json"]


def test_100_items_is_fine(client, trainer, login):
    exercise = make_exercise()
    r = client.post("/api/workouts", json=body([exercise] * 100), headers=login(trainer))
    assert r.status_code == 201
    assert len(r.get_json()["items"]) == 100


def test_missing_or_archived_exercise_is_422_naming_the_index(client, trainer, login):
    good = make_exercise()
    archived = make_exercise(creator=trainer)
    make_workout(trainer, [archived])
    headers = login(trainer)
    assert client.delete(f"/api/exercises/{archived.id}", headers=headers).status_code == 204
    data = body([good, good, good, good])
    data["items"][3]["exercise_id"] = 999999
    data["items"][1]["exercise_id"] = archived.id
    r = client.post("/api/workouts", json=data, headers=headers)
    assert r.status_code == 422
    errors = r.get_json()["errors"]["json"]["items"]
    assert set(errors) == {"1", "3"}
    assert errors["3"]["exercise_id"] and errors["1"]["exercise_id"]


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"sets": -1}, "sets"),
        ({"reps": "many"}, "reps"),
        ({"weight_kg": 5000}, "weight_kg"),
        ({"rest_s": 99999}, "rest_s"),
        ({"position": 0}, "position"),
        ({"tempo": "3-1-1"}, "tempo"),
        ({"exercise_id": None}, "exercise_id"),
    ],
)
def test_item_validation_names_index_and_field(client, trainer, login, item, field):
    exercise = make_exercise()
    data = body([exercise, exercise])
    data["items"][1].update(item)
    r = client.post("/api/workouts", json=data, headers=login(trainer))
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["errors"]["json"]["items"]["1"]


def test_duplicate_positions_are_422(client, trainer, login):
    exercise = make_exercise()
    data = body([exercise, exercise])
    data["items"][0]["position"] = data["items"][1]["position"] = 4
    r = client.post("/api/workouts", json=data, headers=login(trainer))
    assert r.status_code == 422
    assert "position" in r.get_json()["errors"]["json"]["items"]["1"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"visibility": "Friends"}, "visibility"),
        ({"title": ""}, "title"),
        ({"created_by": 3}, "created_by"),
        ({"id": 3}, "id"),
    ],
)
def test_workout_validation(client, trainer, login, fields, field):
    r = client.post("/api/workouts", json=body([make_exercise()], **fields), headers=login(trainer))
    assert r.status_code == 422
    assert field in r.get_json()["errors"]["json"]


def test_unknown_visibility_names_the_allowed_values(client, trainer, login):
    r = client.post("/api/workouts", json=body([make_exercise()], visibility="Friends"), headers=login(trainer))
    message = r.get_json()["errors"]["json"]["visibility"][0]
    assert "Private" in message and "Clients" in message and "Public" in message


# ---- visibility on every read path

VISIBLE = {
    "author": {"Private", "Clients", "Public"},
    "owner": {"Private", "Clients", "Public"},
    "client": {"Clients", "Public"},
    "pending": {"Public"},
    "former": {"Public"},
    "stranger": {"Public"},
    "other_trainer": {"Public"},
}


@pytest.fixture
def trio(people):
    return {
        v: make_workout(people.author, visibility=v, title=f"{v} workout") for v in ("Private", "Clients", "Public")
    }


@pytest.mark.parametrize("who", list(VISIBLE))
def test_visibility_on_detail_list_and_copy(client, login, people, trio, who):
    headers = login(getattr(people, who))
    listed = {w["visibility"] for w in client.get("/api/workouts", headers=headers).get_json()}
    assert listed == VISIBLE[who]
    for visibility, workout in trio.items():
        expected = 200 if visibility in VISIBLE[who] else 404
        assert client.get(f"/api/workouts/{workout.id}", headers=headers).status_code == expected
        copied = client.post(f"/api/workouts/{workout.id}/copy", headers=headers)
        assert copied.status_code == (201 if expected == 200 else 404)


def test_missing_workout_is_404(client, trainer, login):
    headers = login(trainer)
    assert client.get("/api/workouts/999999", headers=headers).status_code == 404
    assert client.put("/api/workouts/999999", json={"title": "x"}, headers=headers).status_code == 404
    assert client.delete("/api/workouts/999999", headers=headers).status_code == 404
    assert client.post("/api/workouts/999999/copy", headers=headers).status_code == 404


# ---- update and delete permissions

WRITE = [
    ("author", "Private", 200),
    ("owner", "Private", 200),
    ("other_trainer", "Private", 404),
    ("other_trainer", "Public", 403),
    ("client", "Clients", 403),
    ("stranger", "Clients", 404),
    ("stranger", "Public", 403),
]


@pytest.mark.parametrize(("who", "visibility", "status"), WRITE)
def test_update_permissions(client, login, people, who, visibility, status):
    workout = make_workout(people.author, visibility=visibility)
    r = client.put(f"/api/workouts/{workout.id}", json={"title": "Renamed"}, headers=login(getattr(people, who)))
    assert r.status_code == status
    if status == 200:
        assert r.get_json()["title"] == "Renamed"


@pytest.mark.parametrize(("who", "visibility", "status"), WRITE)
def test_delete_permissions(client, login, people, who, visibility, status):
    workout = make_workout(people.author, visibility=visibility)
    r = client.delete(f"/api/workouts/{workout.id}", headers=login(getattr(people, who)))
    assert r.status_code == (204 if status == 200 else status)
    after = client.get(f"/api/workouts/{workout.id}", headers=login(people.author)).status_code
    assert after == (404 if status == 200 else 200)


def test_update_replaces_items_and_keeps_the_rest(client, trainer, login):
    a, b, c = make_exercise(name="A"), make_exercise(name="B"), make_exercise(name="C")
    workout = make_workout(trainer, [a, b], visibility="Public", description="Keep me")
    headers = login(trainer)
    data = {"items": [{"exercise_id": c.id, "duration_s": 600, "distance_m": 2000}], "visibility": "Clients"}
    r = client.patch(f"/api/workouts/{workout.id}", json=data, headers=headers)
    assert r.status_code == 200, r.get_json()
    w = r.get_json()
    assert [i["exercise"]["name"] for i in w["items"]] == ["C"]
    assert w["items"][0]["distance_m"] == 2000 and w["visibility"] == "Clients" and w["description"] == "Keep me"
    assert client.get(f"/api/workouts/{workout.id}", headers=headers).get_json() == w


def test_update_validation(client, trainer, login):
    workout = make_workout(trainer)
    headers = login(trainer)
    assert client.put(f"/api/workouts/{workout.id}", json={"items": []}, headers=headers).status_code == 422
    r = client.put(f"/api/workouts/{workout.id}", json={"items": [{"exercise_id": 999999}]}, headers=headers)
    assert r.get_json()["errors"]["json"]["items"]["0"]["exercise_id"]
    assert client.put(f"/api/workouts/{workout.id}", json={"owner": 1}, headers=headers).status_code == 422


def test_delete_of_a_workout_used_by_a_plan_archives_it(client, trainer, login):
    workout = make_workout(trainer, visibility="Public", title="Used")
    plan = make_plan(trainer, [(1, 1, workout)])
    headers = login(trainer)
    assert client.delete(f"/api/workouts/{workout.id}", headers=headers).status_code == 204
    shown = client.get(f"/api/workouts/{workout.id}", headers=headers)
    assert shown.status_code == 200 and shown.get_json()["archived"] is True
    assert workout.id not in ids(client.get("/api/workouts", headers=headers))
    entry = client.get(f"/api/plans/{plan.id}", headers=headers).get_json()["schedule"][0]
    assert entry["workout"] == {"id": workout.id, "title": "Used", "archived": True}
    assert client.delete(f"/api/workouts/{workout.id}", headers=headers).status_code == 204


# ---- copy


def test_copy_into_my_library(client, login, people):
    a, b = make_exercise(name="A"), make_exercise(name="B")
    source = make_workout(people.author, [a, b], visibility="Clients", title="Push", description="Upper body")
    r = client.post(f"/api/workouts/{source.id}/copy", headers=login(people.client))
    assert r.status_code == 201, r.get_json()
    copy = r.get_json()
    assert copy["id"] != source.id and copy["created_by"] == people.client.id and copy["copied_from"] == source.id
    assert copy["visibility"] == "Private" and copy["title"] == "Push" and copy["description"] == "Upper body"
    assert [(i["position"], i["exercise"]["name"], i["sets"], i["reps"]) for i in copy["items"]] == [
        (1, "A", 3, 10),
        (2, "B", 3, 10),
    ]
    mine = client.get(f"/api/workouts?trainer_id={people.client.id}", headers=login(people.client))
    assert ids(mine) == [copy["id"]]
    # The copy is the client's own: they may edit it; the author cannot even see it.
    renamed = client.put(f"/api/workouts/{copy['id']}", json={"title": "My push"}, headers=login(people.client))
    assert renamed.status_code == 200
    assert client.get(f"/api/workouts/{copy['id']}", headers=login(people.author)).status_code == 404


def test_copy_keeps_archived_exercises_for_history(client, trainer, login):
    exercise = make_exercise(creator=trainer, name="Old")
    source = make_workout(trainer, [exercise], visibility="Public")
    headers = login(trainer)
    client.delete(f"/api/exercises/{exercise.id}", headers=headers)
    copy = client.post(f"/api/workouts/{source.id}/copy", headers=headers).get_json()
    assert copy["items"][0]["exercise"]["archived"] is True


# ---- list: filters, sorts, pagination


def test_list_filters(client, login, people):
    mine = make_workout(people.author, visibility="Public", title="Morning Mobility", description="Gentle start")
    clients = make_workout(people.author, visibility="Clients", title="Heavy Squats")
    other = make_workout(people.other_trainer, visibility="Public", title="Evening mobility")
    headers = login(people.client)
    assert set(ids(client.get("/api/workouts", headers=headers))) == {mine.id, clients.id, other.id}
    assert set(ids(client.get(f"/api/workouts?trainer_id={people.author.id}", headers=headers))) == {
        mine.id,
        clients.id,
    }
    assert set(ids(client.get("/api/workouts?q=MOBILITY", headers=headers))) == {mine.id, other.id}
    assert ids(client.get("/api/workouts?q=gentle morning", headers=headers)) == [mine.id]
    assert ids(client.get("/api/workouts?visibility=Clients", headers=headers)) == [clients.id]
    query = f"/api/workouts?visibility=Public&trainer_id={people.other_trainer.id}&q=evening"
    assert ids(client.get(query, headers=headers)) == [other.id]
    assert ids(client.get("/api/workouts?visibility=Private", headers=headers)) == []


def test_list_sorts(client, trainer, login):
    b = make_workout(trainer, title="beta")
    a = make_workout(trainer, title="Alpha")
    c = make_workout(trainer, title="Gamma")
    headers = login(trainer)
    assert ids(client.get("/api/workouts", headers=headers)) == [c.id, a.id, b.id]
    assert ids(client.get("/api/workouts?sort=created_at", headers=headers)) == [b.id, a.id, c.id]
    assert ids(client.get("/api/workouts?sort=-created_at", headers=headers)) == [c.id, a.id, b.id]
    assert ids(client.get("/api/workouts?sort=title", headers=headers)) == [a.id, b.id, c.id]
    assert ids(client.get("/api/workouts?sort=-title", headers=headers)) == [c.id, b.id, a.id]


def test_list_pagination_last_page_and_past_it(client, trainer, login):
    exercise = make_exercise()
    for n in range(5):
        make_workout(trainer, [exercise], title=f"W{n}")
    headers = login(trainer)
    r = client.get("/api/workouts?page=3&page_size=2&sort=title", headers=headers)
    assert [w["title"] for w in r.get_json()] == ["W4"]
    meta = pagination(r)
    assert meta["total"] == 5 and meta["total_pages"] == 3 and meta["page"] == 3 and "next_page" not in meta
    r = client.get("/api/workouts?page=9&page_size=2", headers=headers)
    assert r.status_code == 200 and r.get_json() == [] and pagination(r)["total"] == 5


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page_size=101", "page_size"),
        ("visibility=Secret", "visibility"),
        ("sort=rating", "sort"),
        ("trainer_id=me", "trainer_id"),
        ("mine=1", "mine"),
    ],
)
def test_bad_list_query_is_422(client, trainer, login, query, field):
    r = client.get(f"/api/workouts?{query}", headers=login(trainer))
    assert r.status_code == 422
    assert field in r.get_json()["errors"]["query"]


# ---- query counts


def test_listing_100_workouts_takes_as_many_statements_as_listing_1(client, trainer, login):
    exercises = [make_exercise() for _ in range(8)]
    headers = login(trainer)
    make_workout(trainer, exercises)
    client.get("/api/users/me", headers=headers)  # the login's first request asks the database about it
    with count_statements() as one:
        r = client.get("/api/workouts?page_size=100", headers=headers)
    assert len(r.get_json()) == 1
    for _ in range(99):
        make_workout(trainer, exercises, visibility="Public")
    with count_statements() as hundred:
        r = client.get("/api/workouts?page_size=100", headers=headers)
    assert len(r.get_json()) == 100 and all(len(w["items"]) == 8 for w in r.get_json())
    assert len(one) > 0
    assert len(hundred) == len(one), (one, hundred)
