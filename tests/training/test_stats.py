"""The athlete's stats and the trainer dashboard, with time frozen and athletes whose "today" is not UTC's."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from app.training import analytics
from tests.conftest import sql_statements
from tests.factories import make_coaching, make_measurement, make_project, make_session, make_task

NY, AUCKLAND = "America/New_York", "Pacific/Auckland"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def sets(exercise, *pairs):
    return [{"exercise_id": exercise.id, "weight_kg": w, "reps": r} for w, r in pairs]


@pytest.fixture
def new_york(people, squat, bench):
    """The progress dataset (see test_progress.py): New York, across the DST change of 2026-03-08."""
    people.athlete.profile.timezone = NY
    return [
        make_session(
            people.athlete, utc(2026, 3, 2, 12, 0), sets(squat, (100, 5), (100, 5), (110, 3)) + sets(bench, (60, 8))
        ),
        make_session(people.athlete, utc(2026, 3, 9, 3, 30), sets(squat, (120, 2), (90, 10))),
        make_session(people.athlete, utc(2026, 3, 9, 22, 0), sets(squat, (115, 4), (100, 5))),
        make_session(people.athlete, utc(2026, 4, 1, 1, 0), sets(squat, (125, 1))),
    ]


def stats(client, headers, user_id="me"):
    r = client.get(f"/api/users/{user_id}/stats", headers=headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_weeks_are_the_athletes_weeks(client, people, login, new_york):
    # Monday 2026-03-09 22:00 in New York; already Tuesday in UTC.
    with time_machine.travel(utc(2026, 3, 10, 2, 0), tick=False):
        data = stats(client, login(people.athlete))
    assert data["today"] == "2026-03-09"
    assert data["this_week"] == {"start": "2026-03-09", "sessions": 1, "volume_kg": 960.0}
    # S2 (Sunday 23:30 local, Monday in UTC) belongs to last week.
    assert data["last_week"] == {"start": "2026-03-02", "sessions": 2, "volume_kg": 2950.0}


def test_records_of_the_last_30_days(client, people, login, new_york, squat):
    _, s2, s3, s4 = new_york
    with time_machine.travel(utc(2026, 4, 2, 12, 0), tick=False):
        data = stats(client, login(people.athlete))
    records = data["personal_records_30d"]
    assert records["count"] == 4
    assert [(r["session_id"], r["kind"], r["value_kg"], r["previous_kg"]) for r in records["items"]] == [
        (s4.id, "heaviest_weight", 125.0, 120.0),
        (s3.id, "best_est_1rm", 130.33, 128.0),
        (s2.id, "heaviest_weight", 120.0, 110.0),
        (s2.id, "best_est_1rm", 128.0, 121.0),
    ]
    assert {r["exercise_id"] for r in records["items"]} == {squat.id}
    # 30 days later only S4's record is left in the window.
    with time_machine.travel(utc(2026, 4, 30, 12, 0), tick=False):
        assert stats(client, login(people.athlete))["personal_records_30d"]["count"] == 1


def test_the_records_match_the_personal_record_activities(people, new_york):
    from sqlalchemy import select

    from app.extensions import db
    from app.social.models import Activity

    activities = db.session.scalars(select(Activity).where(Activity.type == "personal_record")).all()
    listed = analytics.recent_records(people.athlete.id, utc(2026, 1, 1))
    assert sorted((a.session_id, a.data["kind"]) for a in activities) == sorted(
        (r["session_id"], r["kind"]) for r in listed
    )


@pytest.fixture
def auckland(people):
    """Local days 03-01..03-03 (3), 03-05..03-08 (4), 03-10..03-11 (2).

    20:00 in Auckland is the same UTC day, 08:00 the UTC day before.
    """
    people.athlete.profile.timezone = AUCKLAND
    starts = [
        utc(2026, 3, 1, 7), utc(2026, 3, 2, 7), utc(2026, 3, 3, 7),  # 20:00 NZDT on Mar 1, 2, 3
        utc(2026, 3, 5, 7), utc(2026, 3, 5, 19), utc(2026, 3, 7, 7), utc(2026, 3, 8, 7),  # Mar 5, 6 (08:00), 7, 8
        utc(2026, 3, 10, 7), utc(2026, 3, 10, 19),  # Mar 10 20:00 and Mar 11 08:00: one UTC day, two local days
        utc(2026, 3, 10, 8),  # a second session on local Mar 10 counts once
    ]  # fmt: skip
    return [make_session(people.athlete, start, []) for start in starts]


@pytest.mark.parametrize(
    ("now", "today", "current", "last_day"),
    [
        (utc(2026, 3, 10, 20, 0), "2026-03-11", 2, "2026-03-11"),  # 09:00 on Mar 11 in Auckland: trained today
        (utc(2026, 3, 11, 20, 0), "2026-03-12", 2, "2026-03-11"),  # last trained yesterday: still alive
        (utc(2026, 3, 12, 20, 0), "2026-03-13", 0, "2026-03-11"),  # a whole day missed
        (utc(2026, 3, 6, 20, 0), "2026-03-07", 3, "2026-03-07"),  # later sessions are not counted yet
    ],
)
def test_streaks_in_the_athletes_days(client, people, login, auckland, now, today, current, last_day):
    with time_machine.travel(now, tick=False):  # tokens are issued in the frozen time too
        data = stats(client, login(people.athlete))
    assert data["today"] == today
    assert data["streak"]["current_days"] == current
    assert data["streak"]["last_day"] == last_day
    assert data["streak"]["longest_days"] == (4 if today >= "2026-03-08" else 3)


def test_streak_sql_equals_the_plain_computation(people, auckland):
    from datetime import date

    days = sorted({s.started_at.astimezone(__import__("zoneinfo").ZoneInfo(AUCKLAND)).date() for s in auckland})
    today = date(2026, 3, 11)
    assert analytics.streaks(people.athlete.id, AUCKLAND, today) == analytics.streaks_of(days, today)


def test_no_sessions_no_streak(client, people, login):
    data = stats(client, login(people.athlete))
    assert data["streak"] == {"current_days": 0, "longest_days": 0, "last_day": None}
    assert data["this_week"]["sessions"] == 0 and data["this_week"]["volume_kg"] == 0.0
    assert data["personal_records_30d"] == {"count": 0, "items": []}
    assert data["measurements"] == []


def test_latest_measurements_with_change(client, people, login):
    make_measurement(people.athlete, "Weight", 80, utc(2026, 3, 1, 7))
    make_measurement(people.athlete, "Weight", 79.5, utc(2026, 3, 5, 7))
    make_measurement(people.athlete, "Weight", 81, utc(2026, 2, 1, 7))
    make_measurement(people.athlete, "Waist", 85, utc(2026, 3, 2, 7))
    make_measurement(people.stranger, "Weight", 60, utc(2026, 3, 6, 7))
    assert stats(client, login(people.athlete))["measurements"] == [
        {"type": "Weight", "value": 79.5, "unit": "kg", "measured_at": "2026-03-05T07:00:00Z", "previous_value": 80.0,
         "change": -0.5},
        {"type": "Waist", "value": 85.0, "unit": "cm", "measured_at": "2026-03-02T07:00:00Z", "previous_value": None,
         "change": None},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("who", "status"),
    [("athlete", 200), ("coach", 200), ("owner", 200), ("pending", 403), ("former", 403), ("stranger", 403)],
)
def test_who_sees_stats(client, people, login, who, status):
    r = client.get(f"/api/users/{people.athlete.id}/stats", headers=login(getattr(people, who)))
    assert r.status_code == status


def test_stats_of_unknown_user_is_404_and_anonymous_401(client, people, login):
    assert client.get("/api/users/999999/stats", headers=login(people.athlete)).status_code == 404
    assert client.get("/api/users/me/stats").status_code == 401


def test_stats_run_a_fixed_number_of_queries(client, people, login, squat):
    headers = login(people.athlete)
    client.get("/api/users/me", headers=headers)  # the login's first request asks the database about it
    with sql_statements() as few:
        stats(client, headers)
    for day in range(1, 15):
        make_session(people.athlete, utc(2026, 3, day, 12), sets(squat, (50 + day, 5)))
        make_measurement(people.athlete, "Weight", 80 - day / 10, utc(2026, 3, day, 7))
    with sql_statements() as many:
        stats(client, headers)
    assert len(few) == len(many)


# ---- trainer dashboard


def dashboard(client, headers, query=""):
    r = client.get(f"/api/trainers/me/dashboard?{query}", headers=headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_dashboard_rows(client, people, login, make_user, squat):
    coach = people.coach
    people.athlete.profile.timezone = AUCKLAND
    other = make_user(username="zed", timezone=NY)
    make_coaching(coach, other, "Active")
    # Auckland's week starts Monday 03-09 (local) = 03-08T11:00Z; New York's at 03-09T04:00Z.
    make_session(people.athlete, utc(2026, 3, 8, 12), [])  # Auckland Mon 03-09 01:00: this week
    last = make_session(people.athlete, utc(2026, 3, 9, 12), [])
    make_session(other, utc(2026, 3, 9, 3), [])  # New York Sun 03-08 23:00: last week
    project = make_project(coach, members=[people.athlete])
    make_task(project, coach, assignee_id=people.athlete.id)
    make_task(project, coach, assignee_id=people.athlete.id, status="Completed")
    hidden = make_project(people.stranger, members=[people.athlete])  # not the coach's project
    make_task(hidden, people.stranger, assignee_id=people.athlete.id)
    with time_machine.travel(utc(2026, 3, 10, 12), tick=False):
        rows = dashboard(client, login(coach))
    assert [row["client"]["id"] for row in rows] == [people.athlete.id, other.id]
    first, second = rows
    assert first["last_session"] == {"id": last.id, "started_at": "2026-03-09T12:00:00Z"}
    assert first["sessions_this_week"] == 2
    assert first["open_tasks"] == 1
    assert first["unread_messages"] == 0
    assert first["adherence"] is None
    assert first["timezone"] == AUCKLAND
    assert second["sessions_this_week"] == 0
    assert second["last_session"]["started_at"] == "2026-03-09T03:00:00Z"
    assert second["open_tasks"] == 0


def test_dashboard_lists_only_active_clients(client, people, login):
    rows = dashboard(client, login(people.pending))
    assert rows == []
    assert [row["client"]["id"] for row in dashboard(client, login(people.coach))] == [people.athlete.id]


@pytest.mark.parametrize("who", ["athlete", "owner", "stranger"])
def test_dashboard_is_for_trainers(client, people, login, who):
    assert client.get("/api/trainers/me/dashboard", headers=login(getattr(people, who))).status_code == 403


def test_dashboard_runs_a_fixed_number_of_queries(client, people, login, make_user, squat):
    headers = login(people.coach)
    make_session(people.athlete, utc(2026, 3, 2, 12), sets(squat, (100, 5)))
    client.get("/api/users/me", headers=headers)  # the login's first request asks the database about it
    with sql_statements() as one:
        assert len(dashboard(client, headers)) == 1
    for _ in range(6):
        extra = make_user()
        make_coaching(people.coach, extra, "Active")
        make_session(extra, utc(2026, 3, 3, 12), sets(squat, (90, 5)))
    with sql_statements() as seven:
        assert len(dashboard(client, headers)) == 7
    assert len(one) == len(seven)
