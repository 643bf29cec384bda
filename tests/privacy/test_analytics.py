"""POST /api/analytics/events (kept only with consent), server-side events, the Owner's report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.extensions import db
from app.privacy import services as privacy_services
from app.privacy.models import AnalyticsEvent, ConsentType
from tests.factories import make_session, make_user

NOW = datetime(2026, 11, 18, 12, tzinfo=UTC)  # a Wednesday


def _event(name: str = "screen.view", when: datetime | None = None, **properties) -> dict:
    return {"name": name, "time": (when or NOW).isoformat(), "properties": properties}


def _count(user) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(AnalyticsEvent.user_id == user.id))


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_events_are_kept_only_for_people_who_consent(client, login, clock):
    consenting, silent, withdrawn = make_user(), make_user(), make_user()
    privacy_services.record_consent(consenting, ConsentType.ANALYTICS, True)
    privacy_services.record_consent(withdrawn, ConsentType.ANALYTICS, True)
    privacy_services.record_consent(withdrawn, ConsentType.ANALYTICS, False)
    db.session.commit()
    batch = {"events": [_event(screen="home"), _event("workout.start")]}
    for person in (consenting, silent, withdrawn):
        response = client.post("/api/analytics/events", json=batch, headers=login(person))
        assert response.status_code == 202 and response.get_json() == {"accepted": 2}  # the same answer for all
    assert (_count(consenting), _count(silent), _count(withdrawn)) == (2, 0, 0)
    stored = db.session.scalars(sa.select(AnalyticsEvent).order_by(AnalyticsEvent.id)).first()
    assert stored.properties == {"screen": "home"} and stored.source == "client"


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"name": "Bad Name", "time": NOW.isoformat()}, "name"),
        ({"name": "ok", "time": (NOW - timedelta(days=8)).isoformat()}, "time"),
        ({"name": "ok", "time": NOW.isoformat(), "properties": {"x": "y" * 3000}}, "properties"),
        ({"time": NOW.isoformat()}, "name"),
    ],
)
def test_events_are_validated(client, login, clock, event, field):
    response = client.post("/api/analytics/events", json={"events": [event]}, headers=login(make_user()))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]["events"]["0"]


def test_batches_are_bounded_in_size_and_rate(app, client, login, clock):
    headers = login(make_user())
    too_many = client.post("/api/analytics/events", json={"events": [_event()] * 51}, headers=headers)
    assert too_many.status_code == 422 and "events" in too_many.get_json()["errors"]["json"]
    saved = app.config["ANALYTICS_RATE"]
    app.config["ANALYTICS_RATE"] = "2 per minute"
    try:
        codes = [client.post("/api/analytics/events", json={"events": []}, headers=headers).status_code for _ in "abc"]
    finally:
        app.config["ANALYTICS_RATE"] = saved
    assert codes == [202, 202, 429]
    assert client.post("/api/analytics/events", json={"events": []}).status_code == 401


def test_a_logged_session_is_a_server_event_with_consent(clock):
    consenting, silent = make_user(), make_user()
    privacy_services.record_consent(consenting, ConsentType.ANALYTICS, True)
    session = make_session(consenting, NOW - timedelta(hours=1))
    make_session(silent, NOW - timedelta(hours=1))
    event = db.session.scalars(sa.select(AnalyticsEvent)).one()
    assert (event.user_id, event.name, event.source) == (consenting.id, "session_logged", "server")
    assert event.properties == {"session_id": session.id}


def _store(user, when: datetime, name: str = "app.open") -> None:
    db.session.add(AnalyticsEvent(user_id=user.id, name=name, source="client", occurred_at=when, properties={}))


def test_the_owner_report_counts_active_users_and_retention(client, login, clock):
    owner = make_user("Owner")
    two_weeks_ago = NOW - timedelta(days=14)  # Wednesday of the week starting 2026-11-02
    with time_machine.travel(two_weeks_ago, tick=False):
        early, late = make_user(), make_user()
    a, b = make_user(), make_user()  # signed up this week
    for when in (two_weeks_ago, NOW):
        _store(early, when)
    _store(late, two_weeks_ago)
    _store(a, NOW)
    _store(a, NOW - timedelta(days=1))
    _store(b, NOW - timedelta(days=1))
    db.session.commit()

    response = client.get("/api/analytics/report?days=3&weeks=3", headers=login(owner))
    assert response.status_code == 200
    body = response.get_json()
    assert body["daily_active_users"] == [
        {"period": "2026-11-17", "users": 2},
        {"period": "2026-11-18", "users": 2},
    ]
    assert body["weekly_active_users"] == [
        {"period": "2026-11-02", "users": 2},
        {"period": "2026-11-16", "users": 3},
    ]
    cohorts = {row["cohort_week"]: row for row in body["retention"]}
    assert cohorts["2026-11-02"] == {"cohort_week": "2026-11-02", "signups": 2, "active": [2, 0, 1]}
    assert cohorts["2026-11-16"]["signups"] == 3 and cohorts["2026-11-16"]["active"] == [2]  # the Owner too


def test_the_report_is_for_owners(client, login):
    assert client.get("/api/analytics/report", headers=login(make_user())).status_code == 403
    assert client.get("/api/analytics/report", headers=login(make_user("Trainer"))).status_code == 403
    assert client.get("/api/analytics/report").status_code == 401
    bad = client.get("/api/analytics/report?days=0", headers=login(make_user("Owner")))
    assert bad.status_code == 422 and "days" in bad.get_json()["errors"]["query"]


def test_erasure_and_export_include_analytics(store, clock):
    me = make_user()
    privacy_services.record_consent(me, ConsentType.ANALYTICS, True)
    _store(me, NOW)
    privacy_services.request_erasure(me, password="correct horse battery")
    privacy_services.erase_user(me.id)
    assert _count(me) == 0
