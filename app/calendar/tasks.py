"""Calendar jobs: the reminder run (beat, every minute) and pushes to connected calendars with retries."""

from __future__ import annotations

from celery import shared_task
from flask import current_app

from app.calendar import reminders, sync
from app.extensions import db

MAX_BACKOFF_SECONDS = 600  # below the broker's visibility timeout (CELERY_VISIBILITY_TIMEOUT), see config.py


def backoff(retries: int) -> int:
    """Seconds before retry number `retries + 1`: exponential from CALENDAR_SYNC_BACKOFF_SECONDS, capped."""
    return min(current_app.config["CALENDAR_SYNC_BACKOFF_SECONDS"] * 2**retries, MAX_BACKOFF_SECONDS)


@shared_task(name="calendar.send_reminders")
def send_reminders() -> dict[str, int]:
    """Send the reminders that are due, each exactly once."""
    return reminders.run()


@shared_task(name="calendar.push_event")
def push_event(user_id: int, event_id: int, uid: str) -> None:
    """Fan an event change out to one push per connected calendar of its owner."""
    for connection_id in sync.connection_ids(user_id):
        push_to_connection.delay(connection_id, event_id, uid)


def _retry_or_give_up(task, connection_id: int, error: sync.SyncError) -> None:
    sync.record_failure(connection_id, str(error))
    db.session.commit()  # the error stays visible although the task fails
    if task.request.retries < current_app.config["CALENDAR_SYNC_MAX_RETRIES"]:
        raise task.retry(exc=error, countdown=backoff(task.request.retries), max_retries=None)


@shared_task(name="calendar.push_to_connection", bind=True)
def push_to_connection(self, connection_id: int, event_id: int, uid: str) -> None:
    """Apply an event's current state to one connected calendar; retry with backoff on failure."""
    try:
        sync.push(connection_id, event_id, uid)
    except sync.SyncError as error:
        _retry_or_give_up(self, connection_id, error)


@shared_task(name="calendar.push_all_events", bind=True)
def push_all_events(self, connection_id: int) -> None:
    """Push all of a user's events to a calendar they just connected; retry with backoff on failure."""
    try:
        sync.push_all(connection_id)
    except sync.SyncError as error:
        _retry_or_give_up(self, connection_id, error)
