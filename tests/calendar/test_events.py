"""Events: CRUD, who may do what, validation, occurrence lists, series splits."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import sql_statements
from tests.factories import make_coaching, make_event, make_workout

START = datetime(2026, 3, 16, 6, 0, tzinfo=UTC)  # a Monday, 07:00 in Berlin


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def body(**fields) -> dict:
    data = {"title": "Leg day", "start_time": iso(START), "end_time": iso(START + timedelta(hours=1))}
    data.update(fields)
    return data


# ---- create


def test_create_my_event(client, user, login):
    r = client.post(
        "/api/events", json=body(location="Gym", reminders=[10, 60], description="Squats"), headers=login(user)
    )
    assert r.status_code == 201, r.get_json()
    event = r.get_json()
    assert event["user_id"] == user.id and event["created_by"] == user.id
    assert event["title"] == "Leg day" and event["location"] == "Gym" and event["description"] == "Squats"
    assert event["start_time"] == "2026-03-16T06:00:00Z" and event["end_time"] == "2026-03-16T07:00:00Z"
    assert event["timezone"] == "UTC" and event["rrule"] is None and event["workout_id"] is None
    assert event["reminders"] == [60, 10] and event["sequence"] == 0 and len(event["uid"]) == 32
    assert set(event) >= {"id", "created_at", "updated_at"}


def test_timezone_defaults_to_the_calendar_owner(client, people, login):
    r = client.post("/api/events", json=body(user_id=people.client.id), headers=login(people.trainer))
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["timezone"] == "Europe/Berlin"
    assert r.get_json()["user_id"] == people.client.id and r.get_json()["created_by"] == people.trainer.id


@pytest.mark.parametrize(
    ("actor", "target", "status"),
    [
        ("trainer", "client", 201),
        ("trainer", "pending", 403),
        ("trainer", "former", 403),
        ("trainer", "stranger", 403),
        ("other_trainer", "client", 403),
        ("client", "trainer", 403),
        ("stranger", "client", 403),
        ("owner", "client", 403),
        ("client", "client", 201),
    ],
)
def test_who_may_add_to_a_calendar(client, people, login, actor, target, status):
    data = body(user_id=getattr(people, target).id)
    assert client.post("/api/events", json=data, headers=login(getattr(people, actor))).status_code == status


def test_create_for_unknown_user_is_404(client, trainer, login):
    assert client.post("/api/events", json=body(user_id=999999), headers=login(trainer)).status_code == 404


def test_create_needs_auth(client):
    assert client.post("/api/events", json=body()).status_code == 401


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"end_time": iso(START)}, "end_time"),
        ({"end_time": iso(START - timedelta(minutes=1))}, "end_time"),
        ({"end_time": iso(START + timedelta(days=40))}, "end_time"),
        ({"rrule": "FREQ=SECONDLY"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;BYDAY=TU"}, "rrule"),
        ({"rrule": "not a rule"}, "rrule"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"reminders": [10, 10]}, "reminders"),
        ({"reminders": [-5]}, "reminders"),
        ({"reminders": [1, 2, 3, 4, 5, 6]}, "reminders"),
        ({"reminders": [50000]}, "reminders"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"start_time": "yesterday"}, "start_time"),
        ({"start_time": "1900-01-01T00:00:00Z", "end_time": "1900-01-01T01:00:00Z"}, "start_time"),
        ({"id": 5}, "id"),
        ({"created_by": 5}, "created_by"),
        ({"workout_id": 999999}, "workout_id"),
    ],
)
def test_validation(client, user, login, fields, field):
    r = client.post("/api/events", json=body(**fields), headers=login(user))
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["errors"]["json"]


def test_missing_fields_and_bad_body(client, user, login):
    r = client.post("/api/events", json={"title": "x"}, headers=login(user))
    assert r.status_code == 422 and {"start_time", "end_time"} <= set(r.get_json()["errors"]["json"])
    r = client.post("/api/events", data="nope", headers={**login(user), "Content-Type": "text/plain"})
    assert r.status_code == 400


def test_workout_must_be_visible_to_the_creator(client, people, login):
    private = make_workout(people.other_trainer)
    mine = make_workout(people.trainer)
    headers = login(people.trainer)
    r = client.post("/api/events", json=body(workout_id=private.id, user_id=people.client.id), headers=headers)
    assert r.status_code == 422 and "workout_id" in r.get_json()["errors"]["json"]
    r = client.post("/api/events", json=body(workout_id=mine.id, user_id=people.client.id), headers=headers)
    assert r.status_code == 201 and r.get_json()["workout_id"] == mine.id


# ---- read, update, delete


@pytest.fixture
def trainers_event(people):
    return make_event(people.client, START, creator=people.trainer, title="Coached")


@pytest.mark.parametrize(
    ("actor", "read", "write"),
    [
        ("client", 200, 200),
        ("trainer", 200, 200),
        ("other_trainer", 404, 404),
        ("stranger", 404, 404),
        ("pending", 404, 404),
        ("owner", 404, 404),
    ],
)
def test_permission_matrix(client, people, login, trainers_event, actor, read, write):
    headers = login(getattr(people, actor))
    url = f"/api/events/{trainers_event.id}"
    assert client.get(url, headers=headers).status_code == read
    assert client.put(url, json={"title": "Changed"}, headers=headers).status_code == write
    assert client.delete(url, headers=headers).status_code == (204 if write == 200 else write)


def test_trainer_reads_but_may_not_change_what_the_client_made(client, people, login):
    event = make_event(people.client, START, title="Mine")
    headers = login(people.trainer)
    assert client.get(f"/api/events/{event.id}", headers=headers).status_code == 200
    assert client.put(f"/api/events/{event.id}", json={"title": "x"}, headers=headers).status_code == 403
    assert client.delete(f"/api/events/{event.id}", headers=headers).status_code == 403


def test_former_trainer_reads_what_they_created_but_cannot_change_it(client, people, login, make_user):
    athlete = make_user()
    relationship = make_coaching(people.trainer, athlete)
    event = make_event(athlete, START, creator=people.trainer)
    relationship.status = type(relationship.status)("Ended")
    from app.extensions import db

    db.session.commit()
    headers = login(people.trainer)
    assert client.get(f"/api/events/{event.id}", headers=headers).status_code == 200
    assert client.put(f"/api/events/{event.id}", json={"title": "x"}, headers=headers).status_code == 403


def test_unknown_event_is_404(client, user, login):
    assert client.get("/api/events/999999", headers=login(user)).status_code == 404
    assert client.get("/api/events/abc", headers=login(user)).status_code == 404


def test_update_bumps_sequence_and_checks_times(client, user, login):
    event = make_event(user, START)
    headers = login(user)
    url = f"/api/events/{event.id}"
    r = client.put(url, json={"start_time": iso(START + timedelta(hours=2))}, headers=headers)
    assert r.status_code == 422 and "end_time" in r.get_json()["errors"]["json"]
    r = client.patch(
        url,
        json={
            "title": "Moved",
            "start_time": iso(START + timedelta(days=1)),
            "end_time": iso(START + timedelta(days=1, hours=1)),
        },
        headers=headers,
    )
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["sequence"] == 1 and r.get_json()["start_time"] == "2026-03-17T06:00:00Z"
    assert client.put(url, json={"user_id": 3}, headers=headers).status_code == 422
    assert client.put(url, json={"rrule": "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=4"}, headers=headers).status_code == 200
    r = client.put(url, json={"rrule": None}, headers=headers)
    assert r.get_json()["rrule"] is None and r.get_json()["sequence"] == 3


def test_delete(client, user, login):
    event = make_event(user, START)
    assert client.delete(f"/api/events/{event.id}", headers=login(user)).status_code == 204
    assert client.get(f"/api/events/{event.id}", headers=login(user)).status_code == 404


# ---- occurrence lists


def listing(client, headers, **args):
    return client.get("/api/events", query_string=args, headers=headers)


def test_list_expands_series_sorted_and_in_local_time(client, make_user, login):
    me = make_user(timezone="Europe/Berlin")
    weekly = make_event(me, START, title="Weekly", rrule="FREQ=WEEKLY;BYDAY=MO", timezone="Europe/Berlin")
    once = make_event(me, START + timedelta(days=8), title="Once")
    make_event(me, START + timedelta(days=100), title="Later")
    r = listing(client, login(me), **{"from": "2026-03-16", "to": "2026-04-06"})
    assert r.status_code == 200, r.get_json()
    items = r.get_json()
    assert [(i["title"], i["occurrence_start"]) for i in items] == [
        ("Weekly", "2026-03-16T06:00:00Z"),
        ("Weekly", "2026-03-23T06:00:00Z"),
        ("Once", "2026-03-24T06:00:00Z"),
        ("Weekly", "2026-03-30T05:00:00Z"),  # 07:00 Berlin summer time
        ("Weekly", "2026-04-06T05:00:00Z"),
    ]
    assert items[0]["id"] == weekly.id and items[2]["id"] == once.id
    assert items[3]["occurrence_end"] == "2026-03-30T06:00:00Z" and items[3]["start_time"] == "2026-03-16T06:00:00Z"
    assert json.loads(r.headers["X-Pagination"])["total"] == 5


def test_list_pages(client, user, login):
    make_event(user, START, rrule="FREQ=DAILY")
    r = listing(client, login(user), **{"from": "2026-03-16", "to": "2026-03-31", "page": 2, "page_size": 10})
    assert r.status_code == 200 and len(r.get_json()) == 6
    assert r.get_json()[0]["occurrence_start"] == "2026-03-26T06:00:00Z"
    assert json.loads(r.headers["X-Pagination"])["total"] == 16


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"to": "2026-03-20"}, "from"),
        ({"from": "2026-03-20"}, "to"),
        ({"from": "2026-03-20", "to": "2026-03-19"}, "to"),
        ({"from": "2026-01-01", "to": "2027-01-03"}, "to"),
        ({"from": "2026-03-20", "to": "soon"}, "to"),
        ({"from": "2026-03-20", "to": "2026-03-21", "colour": "red"}, "colour"),
        ({"from": "2026-03-20", "to": "2026-03-21", "page_size": 0}, "page_size"),
    ],
)
def test_list_validation(client, user, login, args, field):
    r = listing(client, login(user), **args)
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["errors"]["query"]


def test_list_permissions(client, people, login):
    make_event(people.client, START)
    args = {"from": "2026-03-16", "to": "2026-03-17", "user_id": people.client.id}
    assert len(listing(client, login(people.trainer), **args).get_json()) == 1
    assert len(listing(client, login(people.client), **args).get_json()) == 1
    assert listing(client, login(people.stranger), **args).status_code == 403
    assert listing(client, login(people.other_trainer), **args).status_code == 403
    assert listing(client, login(people.owner), **args).status_code == 403
    assert listing(client, login(people.trainer), **{**args, "user_id": 999999}).status_code == 404
    assert listing(client, login(people.stranger), **{**args, "user_id": None}).get_json() == []


def test_plain_dates_are_days_in_the_callers_zone(client, make_user, login):
    me = make_user(timezone="America/New_York")
    make_event(me, datetime(2026, 3, 17, 3, 30, tzinfo=UTC), minutes=20)  # 23:30 on the 16th in New York
    assert len(listing(client, login(me), **{"from": "2026-03-16", "to": "2026-03-16"}).get_json()) == 1
    assert listing(client, login(me), **{"from": "2026-03-17", "to": "2026-03-17"}).get_json() == []
    r = listing(client, login(me), **{"from": "2026-03-17T03:00:00Z", "to": "2026-03-17T03:30:00Z"})
    assert len(r.get_json()) == 1


def test_list_query_count_does_not_grow_with_events(client, user, login):
    headers = login(user)
    args = {"from": "2026-03-01", "to": "2026-04-30", "page_size": 100}
    make_event(user, START, rrule="FREQ=DAILY;COUNT=10")
    with sql_statements() as few:
        assert listing(client, headers, **args).status_code == 200
    for day in range(20):
        make_event(user, START + timedelta(days=day, hours=3), rrule="FREQ=WEEKLY" if day % 2 else None)
    with sql_statements() as many:
        r = listing(client, headers, **args)
    assert len(r.get_json()) > 50
    assert len(many) == len(few) <= 4


# ---- series: this and following


def test_split_a_series_at_an_occurrence(client, make_user, login):
    me = make_user(timezone="Europe/Berlin")
    series = make_event(me, START, title="Run", rrule="FREQ=WEEKLY;COUNT=6", timezone="Europe/Berlin", reminders=[30])
    headers = login(me)
    third = "2026-03-30T05:00:00Z"
    r = client.put(
        f"/api/events/{series.id}",
        query_string={"scope": "following", "occurrence": third},
        json={"title": "Long run", "start_time": "2026-03-30T16:00:00Z", "end_time": "2026-03-30T17:30:00Z"},
        headers=headers,
    )
    assert r.status_code == 200, r.get_json()
    following = r.get_json()
    assert following["id"] != series.id and following["rrule"] == "FREQ=WEEKLY;COUNT=4"
    assert following["reminders"] == [30] and following["title"] == "Long run"
    original = client.get(f"/api/events/{series.id}", headers=headers).get_json()
    assert original["rrule"] == "FREQ=WEEKLY;UNTIL=20260330T045959Z" and original["sequence"] == 1
    items = listing(client, headers, **{"from": "2026-03-01", "to": "2026-05-31"}).get_json()
    assert [(i["title"], i["occurrence_start"]) for i in items] == [
        ("Run", "2026-03-16T06:00:00Z"),
        ("Run", "2026-03-23T06:00:00Z"),
        ("Long run", "2026-03-30T16:00:00Z"),
        ("Long run", "2026-04-06T16:00:00Z"),
        ("Long run", "2026-04-13T16:00:00Z"),
        ("Long run", "2026-04-20T16:00:00Z"),
    ]


def test_split_at_the_first_occurrence_changes_the_whole_series(client, user, login):
    series = make_event(user, START, rrule="FREQ=DAILY;COUNT=3")
    r = client.put(
        f"/api/events/{series.id}",
        query_string={"scope": "following", "occurrence": iso(START)},
        json={"title": "All"},
        headers=login(user),
    )
    assert r.status_code == 200 and r.get_json()["id"] == series.id and r.get_json()["title"] == "All"


def test_split_validation(client, user, login):
    series = make_event(user, START, rrule="FREQ=DAILY;COUNT=3")
    single = make_event(user, START)
    headers = login(user)
    r = client.put(
        f"/api/events/{series.id}", query_string={"scope": "following"}, json={"title": "x"}, headers=headers
    )
    assert r.status_code == 422 and "occurrence" in r.get_json()["errors"]["query"]
    off = iso(START + timedelta(hours=5))
    r = client.put(
        f"/api/events/{series.id}", query_string={"scope": "following", "occurrence": off}, json={}, headers=headers
    )
    assert r.status_code == 422 and "occurrence" in r.get_json()["errors"]["query"]
    nxt = iso(START + timedelta(days=1))
    r = client.put(
        f"/api/events/{single.id}", query_string={"scope": "following", "occurrence": nxt}, json={}, headers=headers
    )
    assert r.status_code == 422
    r = client.put(f"/api/events/{series.id}", query_string={"scope": "some"}, json={}, headers=headers)
    assert r.status_code == 422 and "scope" in r.get_json()["errors"]["query"]


def test_delete_this_and_following(client, user, login):
    series = make_event(user, START, rrule="FREQ=DAILY")
    headers = login(user)
    r = client.delete(
        f"/api/events/{series.id}",
        query_string={"scope": "following", "occurrence": iso(START + timedelta(days=3))},
        headers=headers,
    )
    assert r.status_code == 204
    items = listing(client, headers, **{"from": "2026-03-01", "to": "2026-04-30"}).get_json()
    assert [i["occurrence_start"][:10] for i in items] == ["2026-03-16", "2026-03-17", "2026-03-18"]
