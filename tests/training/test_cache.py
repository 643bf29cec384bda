"""Cached progress and stats: no analytics SQL on a hit, stale after any log write, never past a permission."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from app.core.columns import utcnow
from tests.conftest import sql_statements
from tests.factories import make_measurement, make_session


def _progress_url(people, squat) -> str:
    return f"/api/users/{people.athlete.id}/progress/exercises/{squat.id}?bucket=week"


def _log(people, squat, weight: float, days_ago: int = 1):
    started = utcnow() - timedelta(days=days_ago)
    return make_session(people.athlete, started, [{"exercise_id": squat.id, "reps": 5, "weight_kg": weight}])


def test_a_repeated_progress_read_runs_no_analytics_sql(client, login, people, squat):
    _log(people, squat, 100)
    headers = login(people.athlete)
    first = client.get(_progress_url(people, squat), headers=headers)
    with sql_statements() as seen:
        second = client.get(_progress_url(people, squat), headers=headers)
    assert second.status_code == 200 and second.get_json() == first.get_json()
    assert not [s for s in seen if "session_exercises" in s or "rep_bests" in s]
    assert second.headers["ETag"] == first.headers["ETag"]
    not_modified = client.get(_progress_url(people, squat), headers={**headers, "If-None-Match": first.headers["ETag"]})
    assert not_modified.status_code == 304


def test_a_new_session_makes_progress_and_stats_fresh(client, login, people, squat):
    _log(people, squat, 100, days_ago=2)
    headers = login(people.athlete)
    before = client.get(_progress_url(people, squat), headers=headers).get_json()
    stats_before = client.get(f"/api/users/{people.athlete.id}/stats", headers=headers).get_json()
    _log(people, squat, 140, days_ago=1)
    after = client.get(_progress_url(people, squat), headers=headers).get_json()
    stats_after = client.get(f"/api/users/{people.athlete.id}/stats", headers=headers).get_json()
    assert after != before
    assert max(row["max_weight_kg"] for row in after["series"]) == 140
    assert stats_after != stats_before


def test_deleting_a_session_and_measurements_invalidate_too(client, login, people, squat):
    session = _log(people, squat, 120)
    headers = login(people.athlete)
    stats_url = f"/api/users/{people.athlete.id}/stats"
    client.get(stats_url, headers=headers)
    make_measurement(people.athlete, "Weight", 80.5, utcnow() - timedelta(hours=1))
    assert client.get(stats_url, headers=headers).get_json()["measurements"]
    assert client.delete(f"/api/sessions/{session.id}", headers=headers).status_code == 204
    assert client.get(_progress_url(people, squat), headers=headers).get_json()["series"] == []


def test_a_cached_answer_never_skips_the_permission_check(client, login, people, squat):
    _log(people, squat, 100)
    assert client.get(_progress_url(people, squat), headers=login(people.coach)).status_code == 200
    assert client.get(_progress_url(people, squat), headers=login(people.stranger)).status_code == 403
    assert client.get(f"/api/users/{people.athlete.id}/stats", headers=login(people.former)).status_code == 403


def test_stats_follow_the_athletes_date_even_when_cached(client, login, people, squat):
    url = f"/api/users/{people.athlete.id}/stats"
    with time_machine.travel(datetime(2026, 11, 20, 12, tzinfo=UTC), tick=False):  # a Friday
        _log(people, squat, 100, days_ago=0)
        response = client.get(url, headers=login(people.athlete))
        assert response.status_code == 200
        today = response.get_json()
    # Five days on the access token has expired: log in again, so the answer compared is stats, not a 401.
    with time_machine.travel(datetime(2026, 11, 25, 12, tzinfo=UTC), tick=False):  # the next Wednesday
        response = client.get(url, headers=login(people.athlete))
        assert response.status_code == 200
        later = response.get_json()
    assert (today["today"], later["today"]) == ("2026-11-20", "2026-11-25")
    assert today["this_week"] == {"start": "2026-11-16", "sessions": 1, "volume_kg": today["this_week"]["volume_kg"]}
    assert later["this_week"]["sessions"] == 0 and later["last_week"]["sessions"] == 1


def test_your_own_cached_progress_needs_no_sql_at_all(client, login, people, squat):
    _log(people, squat, 100)
    headers = login(people.athlete)
    client.get(_progress_url(people, squat), headers=headers)
    url = _progress_url(people, squat)  # (reading the fixtures' expired attributes would run SQL)
    with sql_statements() as hit:
        assert client.get(url, headers=headers).status_code == 200
    # (the test transaction's savepoints aside: production's commit of an unused session sends nothing)
    assert [s for s in hit if not s.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO"))] == []


def test_a_new_time_zone_makes_your_cached_buckets_stale(client, login, people, squat):
    # Sunday 23:30 UTC is already Monday in Auckland: the week bucket moves.
    make_session(
        people.athlete,
        datetime(2026, 3, 1, 23, 30, tzinfo=UTC),
        [{"exercise_id": squat.id, "reps": 5, "weight_kg": 90}],
    )
    headers = login(people.athlete)
    utc_weeks = client.get(_progress_url(people, squat), headers=headers).get_json()["series"]
    update = {"profile": {"timezone": "Pacific/Auckland"}}
    assert client.put("/api/users/me", json=update, headers=headers).status_code == 200
    auckland_weeks = client.get(_progress_url(people, squat), headers=headers).get_json()["series"]
    assert [w["period"] for w in utc_weeks] == ["2026-02-23"]
    assert [w["period"] for w in auckland_weeks] == ["2026-03-02"]


def test_a_revoked_login_hears_401_before_any_permission_answer(client, login, people, squat):
    _log(people, squat, 100)
    headers = login(people.stranger)
    assert client.get(_progress_url(people, squat), headers=headers).status_code == 403
    assert client.post("/api/logout", headers=headers).status_code == 204
    for url in (_progress_url(people, squat), f"/api/users/{people.athlete.id}/stats", "/api/users/999999/stats"):
        response = client.get(url, headers=headers)
        assert response.status_code == 401, url
        assert response.get_json()["message"] == "The token has been revoked."


def test_your_own_cached_progress_is_refused_once_you_log_out(client, login, people, squat):
    _log(people, squat, 100)
    headers = login(people.athlete)
    assert client.get(_progress_url(people, squat), headers=headers).status_code == 200
    assert client.post("/api/logout", headers=headers).status_code == 204
    assert client.get(_progress_url(people, squat), headers=headers).status_code == 401
