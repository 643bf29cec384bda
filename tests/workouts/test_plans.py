"""Plans: schedules validated against weeks, days and what the author may use; visibility; permissions."""

from __future__ import annotations

import json

import pytest

from tests.factories import make_exercise, make_plan, make_workout
from tests.workouts.conftest import count_statements
from tests.workouts.test_workouts import VISIBLE, WRITE


def ids(response) -> list[int]:
    return [p["id"] for p in response.get_json()]


def test_trainer_creates_a_plan(client, trainer, login):
    a = make_workout(trainer, title="A")
    b = make_workout(trainer, title="B", visibility="Public")
    data = {
        "title": "Beginner 4 weeks",
        "description": "Three days a week.",
        "weeks": 4,
        "visibility": "Clients",
        "schedule": [
            {"week": 2, "day": 3, "workout_id": b.id},
            {"week": 1, "day": 1, "workout_id": a.id},
            {"week": 1, "day": 1, "workout_id": b.id},
        ],
    }
    r = client.post("/api/plans", json=data, headers=login(trainer))
    assert r.status_code == 201, r.get_json()
    plan = r.get_json()
    assert plan["weeks"] == 4 and plan["visibility"] == "Clients" and plan["created_by"] == trainer.id
    assert plan["archived"] is False
    assert [(e["week"], e["day"], e["workout"]["title"]) for e in plan["schedule"]] == [
        (1, 1, "A"),
        (1, 1, "B"),
        (2, 3, "B"),
    ]
    assert plan["schedule"][0] == {
        "week": 1,
        "day": 1,
        "workout_id": a.id,
        "workout": {"id": a.id, "title": "A", "archived": False},
    }


def test_empty_schedule_and_defaults(client, trainer, login):
    r = client.post("/api/plans", json={"title": "Later", "weeks": 2}, headers=login(trainer))
    assert r.status_code == 201
    assert r.get_json()["schedule"] == [] and r.get_json()["visibility"] == "Private"


def test_who_may_create_plans(client, owner, user, login):
    assert client.post("/api/plans", json={"title": "P", "weeks": 1}, headers=login(owner)).status_code == 201
    assert client.post("/api/plans", json={"title": "P", "weeks": 1}, headers=login(user)).status_code == 403
    assert client.post("/api/plans", json={"title": "P", "weeks": 1}).status_code == 401


def test_anonymous_gets_401_on_every_plan_endpoint(client, trainer):
    plan = make_plan(trainer, visibility="Public")
    assert client.get("/api/plans").status_code == 401
    assert client.get(f"/api/plans/{plan.id}").status_code == 401
    assert client.put(f"/api/plans/{plan.id}", json={"title": "x"}).status_code == 401
    assert client.delete(f"/api/plans/{plan.id}").status_code == 401


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"week": 5, "day": 1}, "week"),
        ({"week": 0, "day": 1}, "week"),
        ({"week": 1, "day": 0}, "day"),
        ({"week": 1, "day": 8}, "day"),
        ({"week": 1}, "day"),
        ({"week": 1, "day": 1, "slot": "am"}, "slot"),
    ],
)
def test_schedule_entry_validation_names_index_and_field(client, trainer, login, entry, field):
    workout = make_workout(trainer)
    schedule = [{"week": 1, "day": 1, "workout_id": workout.id}, {"workout_id": workout.id, **entry}]
    r = client.post("/api/plans", json={"title": "P", "weeks": 4, "schedule": schedule}, headers=login(trainer))
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["errors"]["json"]["schedule"]["1"]


@pytest.mark.parametrize(("weeks", "status"), [(0, 422), (53, 422), ("x", 422), (52, 201)])
def test_weeks_range(client, trainer, login, weeks, status):
    r = client.post("/api/plans", json={"title": "P", "weeks": weeks}, headers=login(trainer))
    assert r.status_code == status
    if status == 422:
        assert "weeks" in r.get_json()["errors"]["json"]


def test_same_workout_twice_on_one_day_is_422(client, trainer, login):
    workout = make_workout(trainer)
    schedule = [{"week": 1, "day": 2, "workout_id": workout.id}] * 2
    r = client.post("/api/plans", json={"title": "P", "weeks": 1, "schedule": schedule}, headers=login(trainer))
    assert r.status_code == 422
    assert "workout_id" in r.get_json()["errors"]["json"]["schedule"]["1"]


def test_workouts_must_be_visible_to_the_author_and_live(client, people, login):
    own = make_workout(people.author)
    public = make_workout(people.other_trainer, visibility="Public")
    hidden = make_workout(people.other_trainer, visibility="Private")
    clients_only = make_workout(people.other_trainer, visibility="Clients")
    archived = make_workout(people.author, visibility="Public")
    make_plan(people.author, [(1, 1, archived)])
    headers = login(people.author)
    client.delete(f"/api/workouts/{archived.id}", headers=headers)
    schedule = [
        {"week": 1, "day": d, "workout_id": w}
        for d, w in enumerate([own.id, public.id, hidden.id, clients_only.id, 999999, archived.id], start=1)
    ]
    r = client.post("/api/plans", json={"title": "P", "weeks": 1, "schedule": schedule}, headers=headers)
    assert r.status_code == 422
    assert set(r.get_json()["errors"]["json"]["schedule"]) == {"2", "3", "4", "5"}


def test_owner_edit_is_checked_against_the_authors_visibility(client, people, login):
    plan = make_plan(people.author)
    hidden = make_workout(people.other_trainer, visibility="Private")
    schedule = [{"week": 1, "day": 1, "workout_id": hidden.id}]
    r = client.put(f"/api/plans/{plan.id}", json={"schedule": schedule}, headers=login(people.owner))
    assert r.status_code == 422
    assert r.get_json()["errors"]["json"]["schedule"]["0"]["workout_id"]


@pytest.mark.parametrize("who", list(VISIBLE))
def test_visibility_on_detail_and_list(client, login, people, who):
    plans = {v: make_plan(people.author, visibility=v, title=f"{v} plan") for v in ("Private", "Clients", "Public")}
    headers = login(getattr(people, who))
    assert {p["visibility"] for p in client.get("/api/plans", headers=headers).get_json()} == VISIBLE[who]
    for visibility, plan in plans.items():
        expected = 200 if visibility in VISIBLE[who] else 404
        assert client.get(f"/api/plans/{plan.id}", headers=headers).status_code == expected


@pytest.mark.parametrize(("who", "visibility", "status"), WRITE)
def test_update_permissions(client, login, people, who, visibility, status):
    plan = make_plan(people.author, visibility=visibility)
    r = client.put(f"/api/plans/{plan.id}", json={"title": "Renamed"}, headers=login(getattr(people, who)))
    assert r.status_code == status
    if status == 200:
        assert r.get_json()["title"] == "Renamed"


@pytest.mark.parametrize(("who", "visibility", "status"), WRITE)
def test_delete_permissions(client, login, people, who, visibility, status):
    plan = make_plan(people.author, visibility=visibility)
    r = client.delete(f"/api/plans/{plan.id}", headers=login(getattr(people, who)))
    assert r.status_code == (204 if status == 200 else status)
    after = client.get(f"/api/plans/{plan.id}", headers=login(people.author)).status_code
    assert after == (404 if status == 200 else 200)


def test_deleting_a_plan_frees_its_workouts(client, trainer, login):
    workout = make_workout(trainer)
    plan = make_plan(trainer, [(1, 1, workout)])
    headers = login(trainer)
    assert client.delete(f"/api/plans/{plan.id}", headers=headers).status_code == 204
    assert client.delete(f"/api/workouts/{workout.id}", headers=headers).status_code == 204
    assert client.get(f"/api/workouts/{workout.id}", headers=headers).status_code == 404


def test_missing_plan_is_404(client, trainer, login):
    headers = login(trainer)
    assert client.get("/api/plans/999999", headers=headers).status_code == 404
    assert client.put("/api/plans/999999", json={"title": "x"}, headers=headers).status_code == 404
    assert client.delete("/api/plans/999999", headers=headers).status_code == 404


def test_update_schedule_and_weeks(client, trainer, login):
    a, b = make_workout(trainer, title="A"), make_workout(trainer, title="B")
    plan = make_plan(trainer, [(1, 1, a), (4, 7, b)], weeks=4)
    headers = login(trainer)
    url = f"/api/plans/{plan.id}"
    r = client.put(url, json={"weeks": 3}, headers=headers)
    assert r.status_code == 422 and "weeks" in r.get_json()["errors"]["json"]
    r = client.put(url, json={"schedule": [{"week": 5, "day": 1, "workout_id": a.id}]}, headers=headers)
    assert r.status_code == 422 and "week" in r.get_json()["errors"]["json"]["schedule"]["0"]
    r = client.put(url, json={"weeks": 2, "schedule": [{"week": 2, "day": 5, "workout_id": b.id}]}, headers=headers)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["weeks"] == 2
    assert [(e["week"], e["day"], e["workout_id"]) for e in r.get_json()["schedule"]] == [(2, 5, b.id)]
    r = client.patch(url, json={"weeks": 6, "description": "Longer"}, headers=headers)
    assert r.status_code == 200 and r.get_json()["weeks"] == 6 and len(r.get_json()["schedule"]) == 1


def test_an_archived_workout_may_stay_in_its_plan(client, trainer, login):
    workout = make_workout(trainer, title="Old")
    plan = make_plan(trainer, [(1, 1, workout)])
    headers = login(trainer)
    client.delete(f"/api/workouts/{workout.id}", headers=headers)
    schedule = [{"week": 1, "day": 1, "workout_id": workout.id}, {"week": 2, "day": 1, "workout_id": workout.id}]
    r = client.put(f"/api/plans/{plan.id}", json={"schedule": schedule}, headers=headers)
    assert r.status_code == 200, r.get_json()


def test_list_filters_sorts_and_pagination(client, people, login):
    a = make_plan(people.author, visibility="Public", title="Alpha strength", weeks=8)
    b = make_plan(people.author, visibility="Clients", title="beta cardio")
    c = make_plan(people.other_trainer, visibility="Public", title="Gamma strength")
    headers = login(people.client)
    assert ids(client.get("/api/plans", headers=headers)) == [c.id, b.id, a.id]
    assert ids(client.get("/api/plans?sort=title", headers=headers)) == [a.id, b.id, c.id]
    assert ids(client.get("/api/plans?sort=-title", headers=headers)) == [c.id, b.id, a.id]
    assert ids(client.get("/api/plans?sort=created_at", headers=headers)) == [a.id, b.id, c.id]
    assert ids(client.get(f"/api/plans?trainer_id={people.author.id}", headers=headers)) == [b.id, a.id]
    assert ids(client.get("/api/plans?q=STRENGTH", headers=headers)) == [c.id, a.id]
    assert ids(client.get("/api/plans?visibility=Clients", headers=headers)) == [b.id]
    assert ids(client.get(f"/api/plans?q=strength&trainer_id={people.author.id}", headers=headers)) == [a.id]
    r = client.get("/api/plans?page=2&page_size=2", headers=headers)
    meta = json.loads(r.headers["X-Pagination"])
    assert ids(r) == [a.id] and meta["total"] == 3 and meta["last_page"] == 2 and "next_page" not in meta
    r = client.get("/api/plans?page=3&page_size=2", headers=headers)
    assert r.get_json() == [] and json.loads(r.headers["X-Pagination"])["total"] == 3


@pytest.mark.parametrize("query", ["page_size=101", "visibility=Hidden", "sort=weeks", "author=1"])
def test_bad_list_query_is_422(client, trainer, login, query):
    assert client.get(f"/api/plans?{query}", headers=login(trainer)).status_code == 422


def test_listing_many_plans_takes_as_many_statements_as_one(client, trainer, login):
    workouts = [make_workout(trainer, [make_exercise()]) for _ in range(3)]
    schedule = [(1, d + 1, w) for d, w in enumerate(workouts)]
    headers = login(trainer)
    make_plan(trainer, schedule)
    client.get("/api/users/me", headers=headers)  # the login's first request asks the database about it
    with count_statements() as one:
        client.get("/api/plans?page_size=100", headers=headers)
    for _ in range(30):
        make_plan(trainer, schedule)
    with count_statements() as many:
        r = client.get("/api/plans?page_size=100", headers=headers)
    assert len(r.get_json()) == 31
    assert len(many) == len(one) > 0
