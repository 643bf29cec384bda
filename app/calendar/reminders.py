"""Reminders: the schedule of due times kept in step with events, and the job that sends each one once.

- `refill(event)` (on every save) replaces the event's pending rows with those of its current times:
  all of them for a single event, those up to a rolling horizon for a series.
- `run()` (beat, every minute) claims at most `REMINDER_BATCH_SIZE` rows with `fire_at <= now`
  (`FOR UPDATE SKIP LOCKED`, over the `fire_at` index: never a scan of events), inserts one
  delivery per row with `ON CONFLICT DO NOTHING` on (event, occurrence start, minutes before) —
  the unique key decides, so a row seen twice, or by two workers, is sent once — and notifies
  the inserted ones that are within `REMINDER_GRACE_MINUTES`; older ones are recorded as missed.
  It then extends the horizon of a bounded number of series.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import select

from app.calendar import recurrence
from app.calendar.models import DeliveryStatus, Event, ReminderDelivery, ReminderSchedule
from app.core import metrics
from app.core.columns import utcnow
from app.core.engine import conflict_insert
from app.core.time import zone
from app.extensions import db
from app.notifications import services as notifications_services

log = logging.getLogger(__name__)
KEY = ("event_id", "occurrence_start", "minutes_before")
CHUNK = 5000  # rows per INSERT: 4 parameters each stay under PostgreSQL's 65535


def _insert(model: type) -> Any:
    """An INSERT that supports ON CONFLICT DO NOTHING on this database (PostgreSQL or SQLite)."""
    return conflict_insert(model, db.session.get_bind().dialect.name)


def _horizon() -> timedelta:
    return timedelta(hours=current_app.config["REMINDER_HORIZON_HOURS"])


def _rows(event: Event, after: datetime, until: datetime) -> list[dict[str, Any]]:
    starts = recurrence.starts_between(event.start_time, event.rrule, event.timezone, after, until)
    return [
        {"event_id": event.id, "occurrence_start": start, "minutes_before": m, "fire_at": start - timedelta(minutes=m)}
        for start in starts
        for m in event.reminders
    ]


def _fill(events: list[Event], now: datetime, after: datetime | None = None) -> None:
    """Materialise reminders of occurrences from `after` (default: where each series stopped) to the horizon."""
    until = now + _horizon()
    rows: list[dict[str, Any]] = []
    for event in events:
        start = after if after is not None else event.reminders_filled_until + timedelta(microseconds=1)
        last = until if event.rrule else max(until, event.start_time)
        rows.extend(_rows(event, start, last))
        more = event.rrule and event.reminders and (event.series_end is None or event.series_end > last)
        event.reminders_filled_until = last if more else None
    for chunk in range(0, len(rows), CHUNK):
        insert = _insert(ReminderSchedule).values(rows[chunk : chunk + CHUNK])
        db.session.execute(insert.on_conflict_do_nothing(index_elements=KEY))


def refill(event: Event, now: datetime | None = None) -> None:
    """Replace an event's pending reminders with those of its current occurrences (after a save)."""
    now = now or utcnow()
    db.session.execute(sa.delete(ReminderSchedule).where(ReminderSchedule.event_id == event.id))
    event.reminders_filled_until = None
    if event.reminders:
        _fill([event], now, after=now)
    db.session.flush()


def _claim(now: datetime, batch: int) -> list[sa.Row]:
    stmt = (
        select(ReminderSchedule.id, *(getattr(ReminderSchedule, k) for k in KEY), ReminderSchedule.fire_at)
        .where(ReminderSchedule.fire_at <= now)
        .order_by(ReminderSchedule.fire_at)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    return list(db.session.execute(stmt))


def _record(claimed: list[sa.Row], now: datetime) -> list[sa.Row]:
    """Insert a delivery per claimed reminder unless one exists; return the inserted ones."""
    oldest = now - timedelta(minutes=current_app.config["REMINDER_GRACE_MINUTES"])
    values = [
        {
            **{k: getattr(row, k) for k in KEY},
            "fire_at": row.fire_at,
            "status": DeliveryStatus.SENT if row.fire_at >= oldest else DeliveryStatus.MISSED,
            "handled_at": now,
        }
        for row in claimed
    ]
    inserted: list[sa.Row] = []
    for chunk in range(0, len(values), CHUNK // 2):
        stmt = (
            _insert(ReminderDelivery)
            .values(values[chunk : chunk + CHUNK // 2])
            .on_conflict_do_nothing(index_elements=KEY)
            .returning(*(getattr(ReminderDelivery, k) for k in KEY), ReminderDelivery.status, ReminderDelivery.fire_at)
        )
        inserted.extend(db.session.execute(stmt))
    return inserted


def _message(event: Event, occurrence_start: datetime, minutes_before: int) -> tuple[str, str]:
    local = occurrence_start.astimezone(zone(event.timezone))
    when = f"{local:%a %d %b, %H:%M} ({event.timezone})"
    lead = "now" if minutes_before == 0 else f"in {minutes_before} minutes" if minutes_before < 120 else None
    return f"Reminder: {event.title}", f"Starts {lead}, {when}." if lead else f"Starts {when}."


def _send(deliveries: list[sa.Row]) -> int:
    ids = {row.event_id for row in deliveries}
    events = {e.id: e for e in db.session.execute(select(Event).where(Event.id.in_(ids))).scalars()} if ids else {}
    notifications = []
    for row in deliveries:
        event = events[row.event_id]
        title, body = _message(event, row.occurrence_start, row.minutes_before)
        data = {
            "event_id": event.id,
            "occurrence_start": row.occurrence_start.isoformat().replace("+00:00", "Z"),
            "minutes_before": row.minutes_before,
        }
        notifications.append({"user_id": event.user_id, "type": "reminder", "title": title, "body": body, "data": data})
    # One INSERT for the batch; push and email per preferences are the notifications domain's job.
    notifications_services.notify_many(notifications)
    return len(deliveries)


def extend_series(now: datetime, batch: int) -> int:
    """Materialise the next horizon of reminders for series running out of rows; return how many series."""
    threshold = now + _horizon() / 2
    stmt = (
        select(Event)
        .where(Event.reminders_filled_until.is_not(None), Event.reminders_filled_until < threshold)
        .order_by(Event.reminders_filled_until)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    events = list(db.session.execute(stmt).scalars())
    _fill(events, now)
    db.session.flush()
    return len(events)


def run(now: datetime | None = None, batch: int | None = None) -> dict[str, int]:
    """Send the reminders due now (each exactly once), record the missed ones, extend series; return counts."""
    now = now or utcnow()
    batch = batch or current_app.config["REMINDER_BATCH_SIZE"]
    claimed = _claim(now, batch)
    inserted = _record(claimed, now) if claimed else []
    if claimed:
        db.session.execute(sa.delete(ReminderSchedule).where(ReminderSchedule.id.in_([row.id for row in claimed])))
    deliveries = [row for row in inserted if row.status == DeliveryStatus.SENT]
    sent = _send(deliveries)
    metrics.observe_lags("reminder", ((now - row.fire_at).total_seconds() for row in deliveries))
    result = {
        "claimed": len(claimed),
        "sent": sent,
        "missed": len(inserted) - sent,
        "duplicates": len(claimed) - len(inserted),
        "series_extended": extend_series(now, batch),
    }
    if claimed:
        log.info("reminders run: %s", result)
    return result


def oldest_due_fire_at(now: datetime | None = None) -> datetime | None:
    """The due time of the oldest reminder still waiting to be sent (for the lag metric), or None."""
    now = now or utcnow()
    return db.session.execute(
        select(sa.func.min(ReminderSchedule.fire_at)).where(ReminderSchedule.fire_at <= now)
    ).scalar_one()
