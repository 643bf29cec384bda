"""Sessions: logging, reading, changing, deleting; who may; validation; filters; activities; query counts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.core.db import utcnow
from app.extensions import db
from app.social.models import Activity
from app.training.models import RepBest, SessionExercise, SessionSet, TrainingSession
from tests.conftest import sql_statements
from tests.factories import make_exercise, make_session, make_workout


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def recent(hours: float = 0) -> datetime:
    return (utcnow() - timedelta(days=2) + timedelta(hours=hours)).replace(microsecond=0)


@pytest.fixture
def as_athlete(people, login):
    return login(people.athlete)


def body(squat, **extra) -> dict:
    return {
        "started_at": iso(recent()),
        "ended_at": iso(recent(1)),
        "notes": "  legs  ",
        "perceived_exertion": 8,
        "sets": [
            {"exercise_id": squat.id, "set_number": 1, "reps": 5, "weight_kg": 100, "rpe": 7.5},
            {"exercise_id": squat.id, "set_number": 2, "reps": 5, "weight_kg": 102.5},
        ],
        **extra,
    }


# ---- create


def test_athlete_logs_a_session(client, people, as_athlete, squat):
    r = client.post("/api/sessions", json=body(squat), headers=as_athlete)
    assert r.status_code == 201, r.get_json()
    data = r.get_json()
    assert data["user_id"] == people.athlete.id
    assert data["notes"] == "legs"
    assert data["perceived_exertion"] == 8
    assert data["workout_id"] is None
    assert data["started_at"].endswith("Z")
    assert [(s["set_number"], s["reps"], s["weight_kg"], s["rpe"]) for s in data["sets"]] == [
        (1, 5, 100.0, 7.5),
        (2, 5, 102.5, None),
    ]
    assert data["sets"][0]["exercise"] == {
        "id": squat.id,
        "name": "Back Squat",
        "category": "Strength",
        "archived": False,
    }
    assert set(data) == {
        "id", "user_id", "workout_id", "started_at", "ended_at", "notes", "perceived_exertion", "sets",
        "created_at", "updated_at",
    }  # fmt: skip


def test_logging_builds_the_rollups_and_a_completed_activity(client, people, as_athlete, squat, bench):
    sets = [
        {"exercise_id": squat.id, "set_number": 1, "reps": 5, "weight_kg": 100},
        {"exercise_id": squat.id, "set_number": 2, "reps": 3, "weight_kg": 110},
        {"exercise_id": squat.id, "set_number": 3, "reps": 0, "weight_kg": 130},  # a failed attempt: no lift
        {"exercise_id": bench.id, "set_number": 1, "reps": 8, "weight_kg": 60},
        {"exercise_id": bench.id, "set_number": 2, "duration_s": 30},
    ]
    data = body(squat, sets=sets)
    r = client.post("/api/sessions", json=data, headers=as_athlete)
    assert r.status_code == 201, r.get_json()
    sid = r.get_json()["id"]
    rollups = {
        row.exercise_id: row
        for row in db.session.scalars(sa.select(SessionExercise).where(SessionExercise.session_id == sid))
    }
    assert (rollups[squat.id].sets, rollups[squat.id].reps, rollups[squat.id].volume_kg) == (3, 8, 830.0)
    assert rollups[squat.id].max_weight_kg == 110.0
    assert rollups[squat.id].best_1rm_kg == 121.0  # 110 * (1 + 3/30)
    assert (rollups[bench.id].sets, rollups[bench.id].reps, rollups[bench.id].volume_kg) == (2, 8, 480.0)
    bests = db.session.execute(
        sa.select(RepBest.exercise_id, RepBest.weight_kg, RepBest.reps).where(RepBest.session_id == sid)
    ).all()
    assert sorted(bests) == sorted([(squat.id, 100.0, 5), (squat.id, 110.0, 3), (bench.id, 60.0, 8)])
    activities = db.session.scalars(sa.select(Activity).where(Activity.session_id == sid)).all()
    assert [(a.type.value, a.user_id) for a in activities] == [("session_completed", people.athlete.id)]
    assert activities[0].data == {"started_at": data["started_at"], "sets": 5, "exercises": 2, "volume_kg": 1310.0}


def test_a_new_record_creates_personal_record_activities(client, people, as_athlete, squat):
    make_session(people.athlete, recent(-48), [{"exercise_id": squat.id, "reps": 5, "weight_kg": 100}])
    r = client.post("/api/sessions", json=body(squat), headers=as_athlete)  # 102.5 x 5 beats 100 x 5
    sid = r.get_json()["id"]
    records = db.session.scalars(
        sa.select(Activity).where(Activity.session_id == sid, Activity.type == "personal_record")
    ).all()
    assert sorted((a.data["kind"], a.data["value_kg"], a.data["previous_kg"]) for a in records) == [
        ("best_est_1rm", 119.58, 116.67),
        ("heaviest_weight", 102.5, 100.0),
    ]
    assert {a.exercise_id for a in records} == {squat.id}
    # Replacing the sets with lighter ones takes the records back.
    r = client.put(
        f"/api/sessions/{sid}",
        json={"sets": [{"exercise_id": squat.id, "set_number": 1, "reps": 1, "weight_kg": 50}]},
        headers=as_athlete,
    )
    assert r.status_code == 200
    left = (
        sa.select(sa.func.count())
        .select_from(Activity)
        .where(Activity.session_id == sid, Activity.type == "personal_record")
    )
    assert db.session.scalar(left) == 0


def test_session_linked_to_a_visible_workout(client, people, as_athlete, squat):
    workout = make_workout(people.coach, [squat], visibility="Clients")
    r = client.post("/api/sessions", json=body(squat, workout_id=workout.id), headers=as_athlete)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["workout_id"] == workout.id


def test_session_linked_to_a_hidden_workout_is_422(client, people, as_athlete, squat):
    workout = make_workout(people.other_trainer, [squat], visibility="Private")
    r = client.post("/api/sessions", json=body(squat, workout_id=workout.id), headers=as_athlete)
    assert r.status_code == 422
    assert "workout_id" in r.get_json()["errors"]["json"]


def test_a_logged_workout_is_archived_not_deleted(client, people, as_athlete, login, squat):
    workout = make_workout(people.coach, [squat], visibility="Clients")
    client.post("/api/sessions", json=body(squat, workout_id=workout.id), headers=as_athlete)
    assert client.delete(f"/api/workouts/{workout.id}", headers=login(people.coach)).status_code == 204
    db.session.expire_all()
    assert workout.archived_at is not None


def test_empty_session_is_allowed(client, as_athlete):
    r = client.post("/api/sessions", json={"started_at": iso(recent())}, headers=as_athlete)
    assert r.status_code == 201
    assert r.get_json()["sets"] == []


# ---- validation


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"reps": 1001}, ("sets", "1", "reps")),
        ({"reps": -1}, ("sets", "1", "reps")),
        ({"weight_kg": 1000.5}, ("sets", "1", "weight_kg")),
        ({"weight_kg": -5}, ("sets", "1", "weight_kg")),
        ({"rpe": 0}, ("sets", "1", "rpe")),
        ({"rpe": 10.5}, ("sets", "1", "rpe")),
        ({"duration_s": -1}, ("sets", "1", "duration_s")),
        ({"distance_m": -1}, ("sets", "1", "distance_m")),
        ({"set_number": 0}, ("sets", "1", "set_number")),
        ({"set_number": 1}, ("sets", "1", "set_number")),  # duplicate of set 1 of the same exercise
        ({"reps": None}, ("sets", "1", "reps")),  # records nothing
        ({"colour": "red"}, ("sets", "1", "colour")),
        ({"weight_kg": "heavy"}, ("sets", "1", "weight_kg")),
    ],
)
def test_bad_sets_are_422_naming_the_set_and_field(client, as_athlete, squat, change, path):
    data = body(squat)
    data["sets"][1].update(change)
    r = client.post("/api/sessions", json=data, headers=as_athlete)
    assert r.status_code == 422, r.get_json()
    errors = r.get_json()["errors"]["json"]
    for key in path:
        errors = errors[key]
    assert errors
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TrainingSession)) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ended_at": iso(recent(-1))}, "ended_at"),  # ends before it starts
        ({"ended_at": iso(recent(25))}, "ended_at"),  # lasts more than a day
        ({"started_at": iso(utcnow() + timedelta(days=1, hours=1)), "ended_at": None}, "started_at"),
        ({"ended_at": iso(utcnow() + timedelta(days=1, hours=1))}, "ended_at"),
        ({"started_at": "1969-12-31T00:00:00Z"}, "started_at"),
        ({"started_at": "yesterday"}, "started_at"),
        ({"perceived_exertion": 11}, "perceived_exertion"),
        ({"perceived_exertion": 0}, "perceived_exertion"),
        ({"notes": "x" * 4001}, "notes"),
        ({"user_id": 5}, "user_id"),
        ({"id": 5}, "id"),
    ],
)
def test_bad_sessions_are_422_naming_the_field(client, as_athlete, squat, change, field):
    r = client.post("/api/sessions", json=body(squat, **change), headers=as_athlete)
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["errors"]["json"]


def test_started_at_is_required(client, as_athlete, squat):
    data = body(squat)
    del data["started_at"]
    r = client.post("/api/sessions", json=data, headers=as_athlete)
    assert r.status_code == 422
    assert "started_at" in r.get_json()["errors"]["json"]


def test_a_day_ahead_is_still_accepted(client, as_athlete):
    r = client.post("/api/sessions", json={"started_at": iso(utcnow() + timedelta(hours=23))}, headers=as_athlete)
    assert r.status_code == 201


def test_missing_or_archived_exercise_is_422_naming_the_index_and_nothing_is_written(client, people, as_athlete, squat):
    archived = make_exercise(archived_at=utcnow())
    data = body(squat)
    data["sets"] += [
        {"exercise_id": 999999, "set_number": 1, "reps": 5},
        {"exercise_id": archived.id, "set_number": 1, "reps": 5},
    ]
    r = client.post("/api/sessions", json=data, headers=as_athlete)
    assert r.status_code == 422
    assert r.get_json()["errors"] == {
        "json": {"sets": {"2": {"exercise_id": ["No such exercise, or it has been archived."]},
                          "3": {"exercise_id": ["No such exercise, or it has been archived."]}}}
    }  # fmt: skip
    for model in (TrainingSession, SessionSet, SessionExercise, Activity):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(model)) == 0


def test_not_json_is_400(client, as_athlete):
    r = client.post("/api/sessions", data="started_at=now", headers=as_athlete)
    assert r.status_code == 400


def test_anonymous_is_401(client):
    assert client.post("/api/sessions", json={}).status_code == 401
    assert client.get("/api/sessions").status_code == 401
    assert client.get("/api/sessions/1").status_code == 401


# ---- read: the permission matrix


READERS = [("athlete", 200), ("coach", 200), ("owner", 200), ("pending", 404), ("former", 404), ("stranger", 404),
           ("other_trainer", 404)]  # fmt: skip


@pytest.mark.parametrize(("who", "status"), READERS)
def test_who_reads_a_session(client, people, login, squat, who, status):
    session = make_session(people.athlete, recent(), [{"exercise_id": squat.id, "reps": 5, "weight_kg": 100}])
    r = client.get(f"/api/sessions/{session.id}", headers=login(getattr(people, who)))
    assert r.status_code == status
    if status == 200:
        assert r.get_json()["id"] == session.id


@pytest.mark.parametrize(("who", "status"), [("athlete", 200), ("coach", 403), ("owner", 403), ("pending", 404),
                                             ("stranger", 404)])  # fmt: skip
def test_who_changes_a_session(client, people, login, squat, who, status):
    session = make_session(people.athlete, recent(), [{"exercise_id": squat.id, "reps": 5, "weight_kg": 100}])
    r = client.put(f"/api/sessions/{session.id}", json={"notes": "edited"}, headers=login(getattr(people, who)))
    assert r.status_code == status


@pytest.mark.parametrize(("who", "status"), [("athlete", 204), ("coach", 403), ("owner", 403), ("former", 404),
                                             ("stranger", 404)])  # fmt: skip
def test_who_deletes_a_session(client, people, login, squat, who, status):
    session = make_session(people.athlete, recent(), [{"exercise_id": squat.id, "reps": 5, "weight_kg": 100}])
    r = client.delete(f"/api/sessions/{session.id}", headers=login(getattr(people, who)))
    assert r.status_code == status


def test_missing_session_is_404(client, as_athlete):
    assert client.get("/api/sessions/999999", headers=as_athlete).status_code == 404
    assert client.put("/api/sessions/999999", json={"notes": "x"}, headers=as_athlete).status_code == 404
    assert client.delete("/api/sessions/999999", headers=as_athlete).status_code == 404


# ---- update and delete


def test_put_replaces_sets_and_fields(client, people, as_athlete, squat, bench):
    session = make_session(people.athlete, recent(), [{"exercise_id": squat.id, "reps": 5, "weight_kg": 100}])
    new_start = recent(-3)
    r = client.put(
        f"/api/sessions/{session.id}",
        json={
            "started_at": iso(new_start),
            "sets": [{"exercise_id": bench.id, "set_number": 1, "reps": 10, "weight_kg": 50}],
        },
        headers=as_athlete,
    )
    assert r.status_code == 200, r.get_json()
    data = r.get_json()
    assert [(s["exercise_id"], s["reps"]) for s in data["sets"]] == [(bench.id, 10)]
    assert data["started_at"] == iso(new_start)
    rows = db.session.execute(sa.select(SessionExercise.exercise_id, SessionExercise.started_at).where(
        SessionExercise.session_id == session.id)).all()  # fmt: skip
    assert rows == [(bench.id, new_start)]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SessionSet)) == 1


def test_patch_keeps_sets_when_not_given(client, people, as_athlete, squat):
    session = make_session(people.athlete, recent(), [{"exercise_id": squat.id, "reps": 5, "weight_kg": 100}])
    r = client.patch(f"/api/sessions/{session.id}", json={"notes": "good", "workout_id": None}, headers=as_athlete)
    assert r.status_code == 200
    assert r.get_json()["notes"] == "good"
    assert len(r.get_json()["sets"]) == 1


def test_update_cannot_end_before_the_stored_start(client, people, as_athlete, squat):
    session = make_session(people.athlete, recent(), [])
    r = client.put(f"/api/sessions/{session.id}", json={"ended_at": iso(recent(-2))}, headers=as_athlete)
    assert r.status_code == 422
    assert "ended_at" in r.get_json()["errors"]["json"]


def test_update_may_keep_an_exercise_archived_since(client, people, as_athlete, squat):
    session = make_session(people.athlete, recent(), [{"exercise_id": squat.id, "reps": 5, "weight_kg": 100}])
    squat.archived_at = utcnow()
    db.session.commit()
    sets = [{"exercise_id": squat.id, "set_number": 1, "reps": 6, "weight_kg": 100}]
    r = client.put(f"/api/sessions/{session.id}", json={"sets": sets}, headers=as_athlete)
    assert r.status_code == 200, r.get_json()


def test_delete_takes_sets_rollups_and_activities(client, people, as_athlete, squat):
    session = make_session(people.athlete, recent(), [{"exercise_id": squat.id, "reps": 5, "weight_kg": 100}])
    assert client.delete(f"/api/sessions/{session.id}", headers=as_athlete).status_code == 204
    for model in (TrainingSession, SessionSet, SessionExercise, RepBest, Activity):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(model)) == 0


def test_an_exercise_with_logged_sets_is_archived_when_deleted(client, people, login, squat):
    trainer_exercise = make_exercise(creator=people.coach)
    make_session(people.athlete, recent(), [{"exercise_id": trainer_exercise.id, "reps": 5}])
    assert client.delete(f"/api/exercises/{trainer_exercise.id}", headers=login(people.coach)).status_code == 204
    db.session.expire_all()
    assert trainer_exercise.archived_at is not None


# ---- list and filters


def pagination(response) -> dict:
    return json.loads(response.headers["X-Pagination"])


def test_list_is_mine_newest_first_and_paged(client, people, as_athlete, squat):
    ids = [make_session(people.athlete, recent(-h), [{"exercise_id": squat.id, "reps": 1}]).id for h in range(3)]
    make_session(people.stranger, recent(), [{"exercise_id": squat.id, "reps": 1}])
    r = client.get("/api/sessions?page_size=2", headers=as_athlete)
    assert r.status_code == 200
    assert [s["id"] for s in r.get_json()] == ids[:2]
    assert pagination(r)["total"] == 3
    r = client.get("/api/sessions?page_size=2&page=2", headers=as_athlete)
    assert [s["id"] for s in r.get_json()] == ids[2:]


@pytest.mark.parametrize(("who", "status"), [("athlete", 200), ("coach", 200), ("owner", 200), ("pending", 403),
                                             ("former", 403), ("stranger", 403), ("other_trainer", 403)])  # fmt: skip
def test_who_lists_an_athletes_sessions(client, people, login, squat, who, status):
    make_session(people.athlete, recent(), [{"exercise_id": squat.id, "reps": 1}])
    r = client.get(f"/api/sessions?user_id={people.athlete.id}", headers=login(getattr(people, who)))
    assert r.status_code == status
    if status == 200:
        assert len(r.get_json()) == 1


def test_list_of_an_unknown_user_is_404(client, as_athlete):
    assert client.get("/api/sessions?user_id=999999", headers=as_athlete).status_code == 404


def test_filter_by_exercise(client, people, as_athlete, squat, bench):
    with_squat = make_session(people.athlete, recent(), [{"exercise_id": squat.id, "reps": 1}])
    make_session(people.athlete, recent(-1), [{"exercise_id": bench.id, "reps": 1}])
    r = client.get(f"/api/sessions?exercise_id={squat.id}", headers=as_athlete)
    assert [s["id"] for s in r.get_json()] == [with_squat.id]


def test_filter_by_range_with_dates_in_the_callers_time_zone(client, make_user, login, squat):
    athlete = make_user(timezone="America/New_York")
    early = make_session(athlete, datetime(2026, 3, 2, 4, 59, tzinfo=UTC), [])  # Mar 1, 23:59 in New York
    first = make_session(athlete, datetime(2026, 3, 2, 5, 0, tzinfo=UTC), [])  # Mar 2, 00:00 in New York
    last = make_session(athlete, datetime(2026, 3, 4, 4, 59, tzinfo=UTC), [])  # Mar 3, 23:59
    make_session(athlete, datetime(2026, 3, 4, 5, 0, tzinfo=UTC), [])  # Mar 4, 00:00
    headers = login(athlete)
    r = client.get("/api/sessions?from=2026-03-02&to=2026-03-03", headers=headers)
    assert [s["id"] for s in r.get_json()] == [last.id, first.id]
    # Timestamps are inclusive at both ends.
    r = client.get("/api/sessions?from=2026-03-02T04:59:00Z&to=2026-03-02T05:00:00Z", headers=headers)
    assert [s["id"] for s in r.get_json()] == [first.id, early.id]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-03-05&to=2026-03-04", "to"),
        ("from=2026-03-05T10:00:00Z&to=2026-03-05T09:59:59Z", "to"),
        ("from=someday", "from"),
        ("to=2026-02-30", "to"),
        ("exercise_id=0", "exercise_id"),
        ("user_id=abc", "user_id"),
        ("colour=red", "colour"),
        ("page_size=0", "page_size"),
        ("page_size=101", "page_size"),
    ],
)
def test_bad_list_queries_are_422(client, as_athlete, query, field):
    r = client.get(f"/api/sessions?{query}", headers=as_athlete)
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["errors"]["query"]


def test_list_runs_a_fixed_number_of_queries(client, people, as_athlete, squat, bench):
    def run() -> int:
        with sql_statements() as seen:
            assert client.get("/api/sessions?page_size=100", headers=as_athlete).status_code == 200
        return len(seen)

    make_session(people.athlete, recent(), [{"exercise_id": squat.id, "reps": 1}])
    client.get("/api/users/me", headers=as_athlete)  # the login's first request asks the database about it
    few = run()
    for hours in range(1, 8):
        make_session(people.athlete, recent(-hours), [{"exercise_id": e.id, "reps": 1} for e in (squat, bench)])
    assert run() == few


def test_ids_beyond_the_database_range_are_404_or_422_never_500(client, people, as_athlete, squat):
    huge = 2**31
    assert client.get(f"/api/sessions/{huge}", headers=as_athlete).status_code == 404
    assert client.delete(f"/api/measurements/{huge}", headers=as_athlete).status_code == 404
    assert client.get(f"/api/users/{huge}/stats", headers=as_athlete).status_code == 404
    assert client.get(f"/api/users/me/progress/exercises/{huge}", headers=as_athlete).status_code == 404
    r = client.get(f"/api/sessions?user_id={huge}", headers=as_athlete)
    assert r.status_code == 422 and "user_id" in r.get_json()["errors"]["query"]
    data = body(squat, workout_id=huge)
    data["sets"][0]["exercise_id"] = huge
    errors = client.post("/api/sessions", json=data, headers=as_athlete).get_json()["errors"]["json"]
    assert set(errors) == {"workout_id", "sets"} and "exercise_id" in errors["sets"]["0"]
