"""The reminder job: on time, late, twice, at once on two workers, after a move; bounded and index-driven."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy.dialects import postgresql

from app.calendar import reminders, services
from app.calendar.models import DeliveryStatus, ReminderDelivery, ReminderSchedule
from app.extensions import db
from app.notifications.models import Notification
from tests.conftest import sql_statements
from tests.factories import make_event

T = datetime(2026, 5, 4, 7, 0, tzinfo=UTC)  # the occurrence the reminders are for


def sent(user=None) -> list[Notification]:
    stmt = sa.select(Notification).where(Notification.type == "reminder").order_by(Notification.id)
    if user is not None:
        stmt = stmt.where(Notification.user_id == user.id)
    return list(db.session.execute(stmt).scalars())


def deliveries(status: DeliveryStatus | None = None) -> int:
    stmt = sa.select(sa.func.count()).select_from(ReminderDelivery)
    if status:
        stmt = stmt.where(ReminderDelivery.status == status)
    return db.session.scalar(stmt)


def run_at(moment: datetime, **kwargs) -> dict[str, int]:
    with time_machine.travel(moment, tick=False):
        result = reminders.run(**kwargs)
        db.session.commit()
        return result


@pytest.fixture
def event(user):
    with time_machine.travel(T - timedelta(days=1), tick=False):
        return make_event(user, T, title="Leg day", reminders=[30, 0], timezone="Europe/Berlin")


def test_sent_when_due_and_only_once(user, event):
    assert run_at(T - timedelta(minutes=31))["sent"] == 0
    assert run_at(T - timedelta(minutes=30))["sent"] == 1
    (notification,) = sent(user)
    assert notification.title == "Reminder: Leg day"
    assert notification.body == "Starts in 30 minutes, Mon 04 May, 09:00 (Europe/Berlin)."
    assert notification.data == {"event_id": event.id, "occurrence_start": "2026-05-04T07:00:00Z", "minutes_before": 30}
    assert run_at(T - timedelta(minutes=29))["claimed"] == 0
    assert run_at(T)["sent"] == 1
    assert run_at(T + timedelta(minutes=5)) == {
        "claimed": 0,
        "sent": 0,
        "missed": 0,
        "duplicates": 0,
        "series_extended": 0,
    }
    assert len(sent(user)) == 2 and deliveries(DeliveryStatus.SENT) == 2


def test_a_late_run_sends_what_is_due_within_the_grace_window(user, event):
    result = run_at(T + timedelta(minutes=20))  # both fell due while the job was down
    assert result["sent"] == 2 and len(sent(user)) == 2


def test_older_than_grace_is_recorded_as_missed(app, user, event):
    result = run_at(T + timedelta(minutes=50))  # the 30-minute reminder fired 80 minutes ago, the other 50
    assert result["missed"] == 1 and result["sent"] == 1
    assert deliveries(DeliveryStatus.MISSED) == 1
    assert run_at(T + timedelta(hours=3))["claimed"] == 0


def test_moved_event_gets_a_new_reminder_for_its_new_time(client, user, login, event):
    run_at(T - timedelta(minutes=30))
    assert len(sent(user)) == 1
    later = T + timedelta(days=1)
    with time_machine.travel(T - timedelta(minutes=20), tick=False):
        services.update_event(user, event.id, {"start_time": later, "end_time": later + timedelta(hours=1)})
        db.session.commit()
    assert run_at(T)["claimed"] == 0  # the old time's reminders are gone
    assert run_at(later - timedelta(minutes=30))["sent"] == 1
    assert [n.data["occurrence_start"] for n in sent(user)] == ["2026-05-04T07:00:00Z", "2026-05-05T07:00:00Z"]


def test_editing_after_sending_does_not_send_again(user, event):
    run_at(T - timedelta(minutes=30))
    with time_machine.travel(T - timedelta(minutes=10), tick=False):
        services.update_event(user, event.id, {"title": "Leg day (renamed)"})
        db.session.commit()
    result = run_at(T - timedelta(minutes=10))  # the re-created row of the sent reminder
    assert result == {**result, "claimed": 1, "sent": 0, "duplicates": 1}
    assert run_at(T)["sent"] == 1
    assert len(sent(user)) == 2


def test_deleted_event_sends_nothing(user, event):
    services.delete_event(user, event.id)
    db.session.commit()
    assert run_at(T)["claimed"] == 0 and sent(user) == []


def test_past_occurrences_get_no_reminders(user):
    with time_machine.travel(T, tick=False):
        make_event(user, T - timedelta(days=2), reminders=[10])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReminderSchedule)) == 0


def test_series_reminders_roll_forward_once_per_occurrence(app, user):
    with time_machine.travel(T - timedelta(hours=1), tick=False):
        series = make_event(user, T, rrule="FREQ=DAILY;COUNT=6", reminders=[15])
    pending = db.session.scalar(sa.select(sa.func.count()).select_from(ReminderSchedule))
    assert pending == 2  # only the 48-hour horizon is materialised
    moment = T - timedelta(hours=1)
    while moment < T + timedelta(days=7):  # the job every 30 minutes for a week
        run_at(moment)
        moment += timedelta(minutes=30)
    starts = [n.data["occurrence_start"][:10] for n in sent(user)]
    assert starts == ["2026-05-04", "2026-05-05", "2026-05-06", "2026-05-07", "2026-05-08", "2026-05-09"]
    db.session.refresh(series)
    assert series.reminders_filled_until is None  # the series is over: nothing left to fill


def test_endless_series_keeps_a_bounded_horizon(user):
    with time_machine.travel(T, tick=False):
        make_event(user, T + timedelta(hours=1), rrule="FREQ=DAILY", reminders=[15, 60])
    for day in range(10):
        run_at(T + timedelta(days=day))  # 07:00, the 60-minute reminder of the 08:00 occurrence
        run_at(T + timedelta(days=day, minutes=45))  # 07:45, the 15-minute one
    pending = db.session.scalar(sa.select(sa.func.count()).select_from(ReminderSchedule))
    assert pending <= 2 * 3  # at most a horizon's worth of occurrences ahead
    assert len(sent(user)) == 10 * 2 and deliveries(DeliveryStatus.MISSED) == 0


def test_work_per_run_is_bounded(user):
    with time_machine.travel(T - timedelta(days=1), tick=False):
        for minute in range(5):
            make_event(user, T + timedelta(minutes=minute), reminders=[0])
    assert run_at(T + timedelta(minutes=10), batch=2)["sent"] == 2
    assert run_at(T + timedelta(minutes=10), batch=2)["sent"] == 2
    assert run_at(T + timedelta(minutes=10), batch=2)["sent"] == 1
    assert len(sent(user)) == 5


def test_statements_grow_with_due_reminders_not_with_events(user):
    with time_machine.travel(T - timedelta(days=1), tick=False):
        for hour in range(30):
            make_event(user, T + timedelta(days=2, hours=hour), reminders=[10])  # not due
        due = [make_event(user, T + timedelta(minutes=m), reminders=[0]) for m in range(3)]
    with time_machine.travel(T + timedelta(minutes=5), tick=False), sql_statements() as statements:
        result = reminders.run()
    seen = [s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE"))]
    assert result["sent"] == len(due)
    # claim, record, delete, load events, one INSERT per notification, extend series
    assert len(seen) <= 5 + len(due)
    claim = next(s for s in seen if "FROM reminder_schedule" in s and "FOR UPDATE" in s)
    assert "SKIP LOCKED" in claim and "fire_at <=" in claim


def test_the_claim_can_use_the_fire_at_index(user):
    db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
    plan = db.session.execute(
        sa.text("EXPLAIN SELECT id FROM reminder_schedule WHERE fire_at <= now() ORDER BY fire_at LIMIT 1000")
    ).scalars()
    assert "ix_reminder_schedule_fire_at" in "\n".join(plan)


def _race(app, work) -> None:
    """Run `work` in two threads with their own app contexts, started together; fail on any error."""
    barrier = threading.Barrier(2)
    errors = []

    def worker():
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                work()
                db.session.remove()
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []


@pytest.mark.live
def test_two_workers_at_once_send_each_reminder_once(app, make_user):
    users = [make_user() for _ in range(4)]
    with time_machine.travel(T - timedelta(days=1), tick=False):
        for index in range(60):
            make_event(users[index % 4], T + timedelta(seconds=index), reminders=[0, 5])
    results = []

    def work():
        results.append(reminders.run(now=T + timedelta(minutes=1), batch=1000))
        db.session.commit()

    _race(app, work)
    assert sum(r["sent"] for r in results) == 120
    assert len(sent()) == 120 and deliveries() == 120
    keys = db.session.execute(sa.select(ReminderDelivery.event_id, ReminderDelivery.minutes_before)).all()
    assert len(set(keys)) == 120


@pytest.mark.live
def test_two_workers_racing_on_the_same_key_send_once(app, user):
    """Even if the same reminder is claimed by two runs (re-created row), the unique key lets one through."""
    with time_machine.travel(T - timedelta(days=1), tick=False):
        event = make_event(user, T, reminders=[0])
    results = []
    row = {"event_id": event.id, "occurrence_start": T, "minutes_before": 0, "fire_at": T}

    def work():
        results.append(reminders.run(now=T))
        db.session.commit()
        # as if the event were saved again meanwhile: the schedule row comes back
        db.session.execute(postgresql.insert(ReminderSchedule).values(row).on_conflict_do_nothing())
        db.session.commit()
        results.append(reminders.run(now=T))
        db.session.commit()

    _race(app, work)
    assert sum(r["sent"] for r in results) == 1 and sum(r["duplicates"] for r in results) >= 1
    assert len(sent(user)) == 1
