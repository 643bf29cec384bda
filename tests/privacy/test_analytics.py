"""POST /api/analytics/events (kept only with consent), server-side events, the Owner's report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.chat import services as chat_services
from app.core.celery import beat_schedule
from app.extensions import db
from app.privacy import analytics, export
from app.privacy import services as privacy_services
from app.privacy.models import AnalyticsEvent, AnalyticsWatermark, ConsentType
from tests.factories import PASSWORD, make_coaching, make_session, make_user
from tests.privacy.conftest import make_world

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


# ---- server-side events materialised by the beat job (messages sent, sign-ups)

SETTLED = timedelta(minutes=2)  # older than ANALYTICS_SETTLE_SECONDS (60)


def _server_events(name: str) -> list[tuple[int, int, datetime]]:
    stmt = (
        sa.select(AnalyticsEvent.user_id, AnalyticsEvent.subject_id, AnalyticsEvent.occurred_at)
        .where(AnalyticsEvent.name == name, AnalyticsEvent.source == "server")
        .order_by(AnalyticsEvent.id)
    )
    return [tuple(row) for row in db.session.execute(stmt)]


def _send(sender, receiver, when: datetime) -> int:
    with time_machine.travel(when, tick=False):
        message, created = chat_services.send_message(sender, receiver.id, "how did it go?")
    assert created
    return message.id


def test_messages_sent_become_events_exactly_once_for_people_who_consent(clock):
    coach, consenting, silent, withdrawn = make_user("Trainer"), make_user(), make_user(), make_user()
    for person in (consenting, silent, withdrawn):
        make_coaching(coach, person)
    earlier = NOW - timedelta(minutes=10)
    with time_machine.travel(earlier - timedelta(minutes=1), tick=False):
        privacy_services.record_consent(consenting, ConsentType.ANALYTICS, True)
        privacy_services.record_consent(withdrawn, ConsentType.ANALYTICS, True)
    first = _send(consenting, coach, earlier)
    _send(silent, coach, earlier)
    _send(withdrawn, coach, earlier)  # sent while consenting, but withdrawn before the job ran
    _send(coach, consenting, earlier)  # the coach never consented
    privacy_services.record_consent(withdrawn, ConsentType.ANALYTICS, False)

    assert analytics.materialise_server_events(NOW)["message_sent"] == 1
    assert _server_events("message_sent") == [(consenting.id, first, earlier)]
    assert analytics.materialise_server_events(NOW)["message_sent"] == 0  # read once, past the watermark
    db.session.execute(sa.update(AnalyticsWatermark).values(last_id=0))  # even a reset watermark records once
    assert analytics.materialise_server_events(NOW)["message_sent"] == 0
    assert _server_events("message_sent") == [(consenting.id, first, earlier)]


def test_a_message_sent_before_consent_or_after_withdrawal_is_not_an_event(clock):
    coach, person = make_user("Trainer"), make_user()
    make_coaching(coach, person)
    _send(person, coach, NOW - timedelta(minutes=30))  # before any consent
    with time_machine.travel(NOW - timedelta(minutes=20), tick=False):
        privacy_services.record_consent(person, ConsentType.ANALYTICS, True)
    consented = _send(person, coach, NOW - timedelta(minutes=15))
    with time_machine.travel(NOW - timedelta(minutes=10), tick=False):
        privacy_services.record_consent(person, ConsentType.ANALYTICS, False)
    _send(person, coach, NOW - timedelta(minutes=5))  # withdrawn: stops
    with time_machine.travel(NOW - timedelta(minutes=4), tick=False):
        privacy_services.record_consent(person, ConsentType.ANALYTICS, True)
    again = _send(person, coach, NOW - timedelta(minutes=3))
    analytics.materialise_server_events(NOW)
    # Recorded: the messages sent while the latest answer was a grant (and it is a grant again now).
    assert [subject for _user, subject, _at in _server_events("message_sent")] == [consented, again]


def test_the_job_waits_for_young_rows_and_never_reads_past_them(clock):
    coach, person = make_user("Trainer"), make_user()
    make_coaching(coach, person)
    with time_machine.travel(NOW - timedelta(hours=1), tick=False):
        privacy_services.record_consent(person, ConsentType.ANALYTICS, True)
    old = _send(person, coach, NOW - SETTLED)
    young = _send(person, coach, NOW - timedelta(seconds=10))
    analytics.materialise_server_events(NOW)
    assert [subject for _u, subject, _at in _server_events("message_sent")] == [old]
    mark = db.session.get(AnalyticsWatermark, "messages")
    assert mark.last_id == old  # stops before the young one
    analytics.materialise_server_events(NOW + SETTLED)
    assert [subject for _u, subject, _at in _server_events("message_sent")] == [old, young]


def test_sign_ups_become_events_once_consent_is_granted(clock):
    with time_machine.travel(NOW - timedelta(days=3), tick=False):
        consenting, silent, withdrawn = make_user(), make_user(), make_user()
    with time_machine.travel(NOW - SETTLED, tick=False):
        for _ in range(2):  # granted twice (with a withdrawal between): still one sign-up
            privacy_services.record_consent(consenting, ConsentType.ANALYTICS, True)
            privacy_services.record_consent(consenting, ConsentType.ANALYTICS, False)
        privacy_services.record_consent(consenting, ConsentType.ANALYTICS, True)
        privacy_services.record_consent(withdrawn, ConsentType.ANALYTICS, True)
        privacy_services.record_consent(withdrawn, ConsentType.ANALYTICS, False)
        privacy_services.record_consent(silent, ConsentType.MARKETING, True)
    assert analytics.materialise_server_events(NOW)["signed_up"] == 1
    assert _server_events("signed_up") == [(consenting.id, consenting.id, consenting.created_at)]
    with time_machine.travel(NOW + SETTLED, tick=False):
        privacy_services.record_consent(consenting, ConsentType.ANALYTICS, True)
    assert analytics.materialise_server_events(NOW + 2 * SETTLED)["signed_up"] == 0
    assert len(_server_events("signed_up")) == 1


def test_server_events_are_exported_and_erased(store, clock):
    with time_machine.travel(NOW - timedelta(hours=2), tick=False):
        world = make_world(store)  # `me` and their client talk
    with time_machine.travel(NOW - timedelta(hours=1), tick=False):
        privacy_services.record_consent(world.me, ConsentType.ANALYTICS, True)
    _send(world.me, world.client, NOW - SETTLED)
    _send(world.me, world.client, NOW)  # too young for this run
    assert analytics.materialise_server_events(NOW) == {"message_sent": 1, "signed_up": 1}
    rows = list(export.table_rows("analytics_events", lambda table, uid: table.c.user_id == uid, world.me.id))
    assert sorted(row["name"] for row in rows) == ["message_sent", "signed_up"]
    privacy_services.request_erasure(world.me, password=PASSWORD)
    privacy_services.erase_user(world.me.id)
    assert _count(world.me) == 0
    # The message the job had not read yet stays unrecorded: the person is erased (and their consents gone).
    assert analytics.materialise_server_events(NOW + 2 * SETTLED) == {"message_sent": 0, "signed_up": 0}
    assert _count(world.me) == 0


def test_the_job_is_scheduled_by_beat(app):
    assert beat_schedule(app)["privacy-server-analytics"]["task"] == "privacy.materialise_analytics"
