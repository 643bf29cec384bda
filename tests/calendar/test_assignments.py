"""Plan assignments: the schedule becomes events in the client's zone; adherence from logged sessions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from app.calendar import visibility
from app.extensions import db
from app.workouts import policy
from app.workouts.models import Plan, Workout
from tests.conftest import sql_statements
from tests.factories import make_event, make_plan, make_session, make_workout

MONDAY = "2026-03-23"  # Berlin moves to summer time on Sunday 29 March


@pytest.fixture
def plan(people):
    a = make_workout(people.trainer, title="A", visibility="Clients")
    b = make_workout(people.trainer, title="B", visibility="Clients")
    return make_plan(people.trainer, schedule=[(1, 1, a), (1, 3, b), (2, 1, a)], weeks=2, title="Base")


def assign(client, headers, plan_pk, **fields):
    return client.post(f"/api/plans/{plan_pk}/assignments", json=fields, headers=headers)


def test_assigning_creates_the_events_in_the_clients_zone(client, people, login, plan):
    with time_machine.travel(datetime(2026, 3, 20, tzinfo=UTC), tick=False):
        r = assign(client, login(people.trainer), plan.id, user_id=people.client.id, start_date=MONDAY)
    assert r.status_code == 201, r.get_json()
    assignment = r.get_json()
    assert assignment["plan_id"] == plan.id and assignment["user_id"] == people.client.id
    assert assignment["assigned_by"] == people.trainer.id and assignment["plan_title"] == "Base"
    assert assignment["start_time"] == "07:00" and assignment["timezone"] == "Europe/Berlin"
    assert assignment["scheduled_total"] == 3 and assignment["adherence"] is None
    events = client.get(
        "/api/events", query_string={"from": "2026-03-20", "to": "2026-04-30"}, headers=login(people.client)
    ).get_json()
    assert [(e["title"], e["occurrence_start"]) for e in events] == [
        ("A", "2026-03-23T06:00:00Z"),
        ("B", "2026-03-25T06:00:00Z"),
        ("A", "2026-03-30T05:00:00Z"),  # still 07:00 local after the DST change
    ]
    assert {e["reminders"][0] for e in events} == {60} and {e["created_by"] for e in events} == {people.trainer.id}
    assert {e["assignment_id"] for e in events} == {assignment["id"]}


def test_time_duration_and_reminders_are_fields(client, people, login, plan):
    r = assign(
        client, login(people.trainer), plan.id,
        user_id=people.client.id, start_date=MONDAY, start_time="18:30", duration_minutes=45, reminders=[15],
    )  # fmt: skip
    assert r.status_code == 201 and r.get_json()["start_time"] == "18:30"
    events = client.get(
        "/api/events", query_string={"from": "2026-03-23", "to": "2026-03-23"}, headers=login(people.client)
    ).get_json()
    assert [(e["start_time"], e["end_time"], e["reminders"]) for e in events] == [
        ("2026-03-23T17:30:00Z", "2026-03-23T18:15:00Z", [15])
    ]


@pytest.mark.parametrize(
    ("actor", "target", "status"),
    [
        ("trainer", "client", 201),
        ("trainer", "pending", 403),
        ("trainer", "former", 403),
        ("trainer", "stranger", 403),
        ("other_trainer", "client", 403),  # a Public plan they may see, but not theirs
        ("client", "client", 403),
        ("owner", "client", 403),
    ],
)
def test_who_may_assign(client, people, login, actor, target, status):
    workout = make_workout(people.trainer, visibility="Public")
    plan = make_plan(people.trainer, schedule=[(1, 1, workout)], weeks=1, visibility="Public")
    r = assign(client, login(getattr(people, actor)), plan.id, user_id=getattr(people, target).id, start_date=MONDAY)
    assert r.status_code == status, r.get_json()


def test_unknown_or_invisible_plan_and_unknown_user(client, people, login):
    private = make_plan(people.other_trainer, weeks=1)
    headers = login(people.trainer)
    assert assign(client, headers, private.id, user_id=people.client.id, start_date=MONDAY).status_code == 404
    assert assign(client, headers, 999999, user_id=people.client.id, start_date=MONDAY).status_code == 404
    mine = make_plan(people.trainer, weeks=1)
    assert assign(client, headers, mine.id, user_id=999999, start_date=MONDAY).status_code == 404


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"start_date": "next monday"}, "start_date"),
        ({"start_time": "25:00"}, "start_time"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"reminders": [5, 5]}, "reminders"),
        ({"plan_id": 3}, "plan_id"),
        ({"user_id": None}, "user_id"),
    ],
)
def test_validation(client, people, login, plan, fields, field):
    data = {"user_id": people.client.id, "start_date": MONDAY, **fields}
    r = assign(client, login(people.trainer), plan.id, **data)
    assert r.status_code == 422 and field in r.get_json()["errors"]["json"], r.get_json()


def test_adherence_counts_sessions_of_the_workout_on_the_local_day(client, people, login, plan):
    assign(client, login(people.trainer), plan.id, user_id=people.client.id, start_date=MONDAY)
    a = plan.schedule[0].workout_id
    b = next(entry.workout_id for entry in plan.schedule if entry.workout_id != a)
    make_session(people.client, datetime(2026, 3, 23, 22, 30, tzinfo=UTC), workout_id=a)  # 23:30 Berlin, same day
    make_session(people.client, datetime(2026, 3, 25, 23, 30, tzinfo=UTC), workout_id=b)  # 00:30 next day: no
    make_session(people.client, datetime(2026, 3, 30, 8, 0, tzinfo=UTC), workout_id=b)  # wrong workout: no
    with time_machine.travel(datetime(2026, 3, 31, tzinfo=UTC), tick=False):
        for viewer in (people.client, people.trainer):
            (row,) = client.get("/api/assignments", headers=login(viewer)).get_json()
            assert (row["scheduled_total"], row["scheduled_to_date"], row["completed"]) == (3, 3, 1)
            assert row["adherence"] == 33.3
    with time_machine.travel(datetime(2026, 3, 24, tzinfo=UTC), tick=False):
        (row,) = client.get("/api/assignments", headers=login(people.client)).get_json()
        assert (row["scheduled_to_date"], row["completed"], row["adherence"]) == (1, 1, 100.0)


def test_who_sees_which_assignments(client, people, login, plan, make_user):
    assign(client, login(people.trainer), plan.id, user_id=people.client.id, start_date=MONDAY)
    assert len(client.get("/api/assignments", headers=login(people.client)).get_json()) == 1
    assert len(client.get("/api/assignments", headers=login(people.trainer)).get_json()) == 1
    assert client.get("/api/assignments", headers=login(people.stranger)).get_json() == []
    assert client.get("/api/assignments", headers=login(people.other_trainer)).get_json() == []
    r = client.get("/api/assignments", query_string={"plan_id": plan.id + 1}, headers=login(people.trainer))
    assert r.get_json() == []
    r = client.get("/api/assignments", query_string={"user_id": people.client.id}, headers=login(people.trainer))
    assert len(r.get_json()) == 1
    assert client.get("/api/assignments", query_string={"nope": 1}, headers=login(people.trainer)).status_code == 422
    assert client.get("/api/assignments").status_code == 401


def test_assignment_list_query_count_is_flat(client, people, login, plan):
    headers = login(people.trainer)
    assign(client, headers, plan.id, user_id=people.client.id, start_date=MONDAY)
    with sql_statements() as one:
        client.get("/api/assignments", headers=headers)
    for week in range(5):
        assign(client, headers, plan.id, user_id=people.client.id, start_date=f"2026-0{4 + week // 4}-0{1 + week}")
    with sql_statements() as six:
        assert len(client.get("/api/assignments", headers=headers).get_json()) == 6
    assert len(six) == len(one)


def test_assigned_plan_and_workouts_are_visible_through_the_hook(people, login, client):
    private = make_workout(people.trainer, title="Secret")
    plan = make_plan(people.trainer, schedule=[(1, 1, private)], weeks=1)
    assert not policy.can_see(people.client, plan)
    assert (
        assign(client, login(people.trainer), plan.id, user_id=people.client.id, start_date=MONDAY).status_code == 201
    )
    assert policy.can_see(people.client, plan) and policy.can_see(people.client, private)
    assert not policy.can_see(people.stranger, private)
    make_event(people.stranger, datetime(2026, 3, 23, tzinfo=UTC))
    assert visibility.assigned_clause(Plan, 1) is not None and visibility.assigned_clause(Workout, 1) is not None


def test_an_assigned_private_plan_and_its_workouts_become_visible_to_the_client(client, login, make_user):
    from tests.factories import make_coaching, make_plan, make_workout

    coach, athlete, stranger = make_user(role="Trainer"), make_user(), make_user()
    make_coaching(coach, athlete, "Active")
    workout = make_workout(coach, visibility="Private")
    plan = make_plan(coach, [(1, 1, workout)], visibility="Private", weeks=1)
    headers = login(athlete)
    assert client.get(f"/api/plans/{plan.id}", headers=headers).status_code == 404
    assert client.get(f"/api/workouts/{workout.id}", headers=headers).status_code == 404

    body = {"user_id": athlete.id, "start_date": "2026-12-07"}
    assert client.post(f"/api/plans/{plan.id}/assignments", json=body, headers=login(coach)).status_code == 201

    assert client.get(f"/api/plans/{plan.id}", headers=headers).status_code == 200
    assert client.get(f"/api/workouts/{workout.id}", headers=headers).status_code == 200
    assert workout.id in [w["id"] for w in client.get("/api/workouts", headers=headers).get_json()]
    assert plan.id in [p["id"] for p in client.get("/api/plans", headers=headers).get_json()]
    assert client.get(f"/api/workouts/{workout.id}", headers=login(stranger)).status_code == 404


def test_the_trainer_dashboard_shows_adherence_and_unread_messages(client, people, login, plan):
    from app.chat import services as chat_services

    assign(client, login(people.trainer), plan.id, user_id=people.client.id, start_date=MONDAY)
    a = plan.schedule[0].workout_id
    make_session(people.client, datetime(2026, 3, 23, 22, 30, tzinfo=UTC), workout_id=a)
    for text in ("Done!", "Felt heavy"):
        chat_services.send_message(people.client, people.trainer.id, text)
    db.session.commit()
    with time_machine.travel(datetime(2026, 3, 31, tzinfo=UTC), tick=False):
        rows = client.get("/api/trainers/me/dashboard", headers=login(people.trainer)).get_json()
    (row,) = [r for r in rows if r["client"]["id"] == people.client.id]
    assert row["adherence"] == 33.3
    assert row["unread_messages"] == 2
