"""Progress of one exercise against values worked out by hand, on a New York athlete across the 2026 DST change.

New York moved to daylight time on Sunday 2026-03-08. The dataset (local times):
  S1 Mon 03-02 07:00 EST  squat 100x5, 100x5, 110x3; bench 60x8
  S2 Sun 03-08 23:30 EDT  squat 120x2, 90x10          (UTC: Mon 03-09 03:30, the next ISO week)
  S3 Mon 03-09 18:00 EDT  squat 115x4, 100x5
  S4 Tue 03-31 21:00 EDT  squat 125x1                 (UTC: Wed 04-01, the next month)
Epley: 110x3 -> 121.00, 120x2 -> 128.00, 90x10 -> 120.00, 115x4 -> 130.33, 100x5 -> 116.67, 125x1 -> 129.17.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.conftest import sql_statements
from tests.factories import make_session

NY = "America/New_York"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def log(people, squat, bench):
    people.athlete.profile.timezone = NY

    def sets(*pairs, exercise=squat):
        return [{"exercise_id": exercise.id, "weight_kg": w, "reps": r} for w, r in pairs]

    s1 = make_session(
        people.athlete, utc(2026, 3, 2, 12, 0), sets((100, 5), (100, 5), (110, 3)) + sets((60, 8), exercise=bench)
    )
    s2 = make_session(people.athlete, utc(2026, 3, 9, 3, 30), sets((120, 2), (90, 10)))
    s3 = make_session(people.athlete, utc(2026, 3, 9, 22, 0), sets((115, 4), (100, 5)))
    s4 = make_session(people.athlete, utc(2026, 4, 1, 1, 0), sets((125, 1)))
    return [s1, s2, s3, s4]


def get(client, headers, user_id, exercise_id, query=""):
    return client.get(f"/api/users/{user_id}/progress/exercises/{exercise_id}?{query}", headers=headers)


def test_weekly_series_follows_the_athletes_weeks_across_dst(client, people, login, log, squat):
    r = get(client, login(people.athlete), "me", squat.id, "bucket=week")
    assert r.status_code == 200, r.get_json()
    data = r.get_json()
    assert data["exercise"]["id"] == squat.id
    assert data["timezone"] == NY
    assert data["bucket"] == "week"
    assert data["series"] == [
        {
            "period": "2026-03-02",
            "max_weight_kg": 120.0,
            "est_1rm_kg": 128.0,
            "volume_kg": 2470.0,
            "sets": 5,
            "reps": 25,
        },
        {
            "period": "2026-03-09",
            "max_weight_kg": 115.0,
            "est_1rm_kg": 130.33,
            "volume_kg": 960.0,
            "sets": 2,
            "reps": 9,
        },
        {
            "period": "2026-03-30",
            "max_weight_kg": 125.0,
            "est_1rm_kg": 129.17,
            "volume_kg": 125.0,
            "sets": 1,
            "reps": 1,
        },
    ]


def test_week_is_the_default_bucket(client, people, login, log, squat):
    r = get(client, login(people.athlete), people.athlete.id, squat.id)
    assert [p["period"] for p in r.get_json()["series"]] == ["2026-03-02", "2026-03-09", "2026-03-30"]


def test_daily_and_monthly_series(client, people, login, log, squat):
    headers = login(people.athlete)
    days = get(client, headers, "me", squat.id, "bucket=day").get_json()["series"]
    assert [(p["period"], p["volume_kg"]) for p in days] == [
        ("2026-03-02", 1330.0),
        ("2026-03-08", 1140.0),
        ("2026-03-09", 960.0),
        ("2026-03-31", 125.0),
    ]
    months = get(client, headers, "me", squat.id, "bucket=month").get_json()["series"]
    assert months == [
        {
            "period": "2026-03-01",
            "max_weight_kg": 125.0,
            "est_1rm_kg": 130.33,
            "volume_kg": 3555.0,
            "sets": 8,
            "reps": 35,
        }
    ]


def test_a_utc_athlete_gets_utc_buckets(client, people, login, log, squat):
    people.athlete.profile.timezone = "UTC"
    series = get(client, login(people.athlete), "me", squat.id, "bucket=month").get_json()["series"]
    assert [(p["period"], p["sets"]) for p in series] == [("2026-03-01", 7), ("2026-04-01", 1)]


def test_range_filters_the_series_but_not_the_records(client, people, login, log, squat):
    r = get(client, login(people.athlete), "me", squat.id, "from=2026-03-08&to=2026-03-09")
    data = r.get_json()
    assert data["series"] == [
        {
            "period": "2026-03-02",
            "max_weight_kg": 120.0,
            "est_1rm_kg": 128.0,
            "volume_kg": 1140.0,
            "sets": 2,
            "reps": 12,
        },
        {
            "period": "2026-03-09",
            "max_weight_kg": 115.0,
            "est_1rm_kg": 130.33,
            "volume_kg": 960.0,
            "sets": 2,
            "reps": 9,
        },
    ]
    assert data["personal_records"]["heaviest_weight"]["weight_kg"] == 125.0
    # `to` as a timestamp is inclusive: S2 starts exactly then.
    r = get(client, login(people.athlete), "me", squat.id, "to=2026-03-09T03:30:00Z&bucket=day")
    assert [p["period"] for p in r.get_json()["series"]] == ["2026-03-02", "2026-03-08"]


def test_personal_records(client, people, login, log, squat):
    s1, s2, s3, s4 = log
    records = get(client, login(people.athlete), "me", squat.id).get_json()["personal_records"]

    def rec(weight, reps, session, day, est):
        return {"weight_kg": weight, "reps": reps, "est_1rm_kg": est, "session_id": session.id, "date": day,
                "started_at": session.started_at.isoformat().replace("+00:00", "Z")}  # fmt: skip

    assert records["heaviest_weight"] == rec(125.0, 1, s4, "2026-03-31", 129.17)
    assert records["best_est_1rm"] == rec(115.0, 4, s3, "2026-03-09", 130.33)
    assert records["most_volume_session"] == {
        "volume_kg": 1330.0, "session_id": s1.id, "date": "2026-03-02", "started_at": "2026-03-02T12:00:00Z"
    }  # fmt: skip
    # 100 x 5 was done in S1 and again in S3: the record is the first time.
    assert records["most_reps_at_weight"] == [
        rec(125.0, 1, s4, "2026-03-31", 129.17),
        rec(120.0, 2, s2, "2026-03-08", 128.0),
        rec(115.0, 4, s3, "2026-03-09", 130.33),
        rec(110.0, 3, s1, "2026-03-02", 121.0),
        rec(100.0, 5, s1, "2026-03-02", 116.67),
        rec(90.0, 10, s2, "2026-03-08", 120.0),
    ]


def test_exercise_without_logs_has_an_empty_series(client, people, login, log):
    from tests.factories import make_exercise

    other = make_exercise()
    data = get(client, login(people.athlete), "me", other.id).get_json()
    assert data["series"] == []
    assert data["personal_records"] == {
        "heaviest_weight": None, "best_est_1rm": None, "most_volume_session": None, "most_reps_at_weight": []
    }  # fmt: skip


def test_bodyweight_sets_have_reps_records_without_weight(client, people, login, squat):
    pullup_sets = [{"exercise_id": squat.id, "reps": 12}, {"exercise_id": squat.id, "reps": 9}]
    session = make_session(people.athlete, utc(2026, 3, 2, 12, 0), pullup_sets)
    data = get(client, login(people.athlete), "me", squat.id, "bucket=day").get_json()
    assert data["series"] == [
        {"period": "2026-03-02", "max_weight_kg": None, "est_1rm_kg": None, "volume_kg": 0.0, "sets": 2, "reps": 21}
    ]
    records = data["personal_records"]
    assert records["heaviest_weight"] is None and records["best_est_1rm"] is None
    assert records["most_volume_session"] is None
    assert [(r["weight_kg"], r["reps"], r["session_id"]) for r in records["most_reps_at_weight"]] == [
        (None, 12, session.id)
    ]


@pytest.mark.parametrize(
    ("who", "status"),
    [("athlete", 200), ("coach", 200), ("owner", 200), ("pending", 403), ("former", 403), ("stranger", 403),
     ("other_trainer", 403)],
)  # fmt: skip
def test_who_sees_progress(client, people, login, log, squat, who, status):
    r = get(client, login(getattr(people, who)), people.athlete.id, squat.id)
    assert r.status_code == status


def test_unknown_user_or_exercise_is_404(client, people, login, squat):
    headers = login(people.athlete)
    assert get(client, headers, 999999, squat.id).status_code == 404
    assert get(client, headers, "someone", squat.id).status_code == 404
    assert get(client, headers, "me", 999999).status_code == 404


def test_anonymous_is_401(client, squat):
    assert client.get(f"/api/users/me/progress/exercises/{squat.id}").status_code == 401


@pytest.mark.parametrize(
    ("query", "field"),
    [("bucket=year", "bucket"), ("from=2026-03-09&to=2026-03-08", "to"), ("from=x", "from"), ("page=2", "page")],
)
def test_bad_progress_queries_are_422(client, people, login, squat, query, field):
    r = get(client, login(people.athlete), "me", squat.id, query)
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["errors"]["query"]


def test_progress_runs_a_fixed_number_of_queries(client, people, login, log, squat):
    headers = login(people.athlete)
    client.get("/api/users/me", headers=headers)  # the login's first request asks the database about it
    with sql_statements() as few:
        get(client, headers, "me", squat.id)
    for day in range(10, 20):
        make_session(
            people.athlete, utc(2026, 5, day, 12), [{"exercise_id": squat.id, "weight_kg": 50 + day, "reps": 3}]
        )
    with sql_statements() as many:
        get(client, headers, "me", squat.id)
    assert len(few) == len(many)
