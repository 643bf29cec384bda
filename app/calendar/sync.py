"""Pushing events to connected calendars: verify on connect, apply an event's current state, record failures.

A push always applies the event's *current* state (or its absence): running a push late, twice or
out of order leaves the external calendar as Spotter is now.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import select

from app.calendar.models import CalendarConnection, Event, Provider
from app.calendar.sync_caldav import CalDAVCalendar, CalDAVError
from app.calendar.sync_google import GoogleCalendar, GoogleError, exchange_code
from app.core.db import utcnow
from app.core.errors import Invalid
from app.extensions import db

MAX_ERROR_LENGTH = 1000


class SyncError(Exception):
    """A push to an external calendar failed; it is retried with backoff."""


def verify(provider: Provider, data: dict[str, Any]) -> dict[str, Any]:
    """Check the credentials with the provider; return the credentials to store (422 naming the bad field)."""
    try:
        if provider == Provider.CALDAV:
            credentials = {"username": data["username"], "password": data["password"]}
            CalDAVCalendar(data["url"], credentials, current_app.config["CALENDAR_SYNC_TIMEOUT"]).verify()
            return credentials
        return exchange_code(data["code"])
    except (CalDAVError, GoogleError) as error:
        raise Invalid(str(error), field=error.field) from error


def _client(connection: CalendarConnection) -> CalDAVCalendar | GoogleCalendar:
    credentials = connection.credentials
    if connection.provider == Provider.CALDAV:
        return CalDAVCalendar(connection.url, credentials, current_app.config["CALENDAR_SYNC_TIMEOUT"])
    return GoogleCalendar(credentials)


def connection_ids(user_id: int) -> list[int]:
    """Return the ids of a user's connected calendars."""
    stmt = select(CalendarConnection.id).where(CalendarConnection.user_id == user_id).order_by(CalendarConnection.id)
    return list(db.session.execute(stmt).scalars())


def _apply(connection: CalendarConnection, client: CalDAVCalendar | GoogleCalendar, event_id: int, uid: str) -> None:
    event = db.session.get(Event, event_id)
    try:
        if event is None or event.user_id != connection.user_id:
            client.delete(uid)
        else:
            client.put(event)
    except (CalDAVError, GoogleError, ValueError) as error:
        raise SyncError(str(error)) from error


def _succeeded(connection: CalendarConnection, client: CalDAVCalendar | GoogleCalendar) -> None:
    if isinstance(client, GoogleCalendar) and client.refreshed:
        connection.credentials = client.credentials
    connection.last_synced_at = utcnow()
    connection.last_error = None
    connection.last_error_at = None
    db.session.flush()


def push(connection_id: int, event_id: int, uid: str) -> bool:
    """Apply an event's current state (or deletion) to one connected calendar; False if disconnected."""
    connection = db.session.get(CalendarConnection, connection_id)
    if connection is None:
        return False
    client = _client(connection)
    _apply(connection, client, event_id, uid)
    _succeeded(connection, client)
    return True


def push_all(connection_id: int) -> int:
    """Push every event of the connection's owner (after connecting); return how many."""
    connection = db.session.get(CalendarConnection, connection_id)
    if connection is None:
        return 0
    client = _client(connection)
    events = db.session.execute(select(Event.id, Event.uid).where(Event.user_id == connection.user_id)).all()
    for event_id, uid in events:
        _apply(connection, client, event_id, uid)
    _succeeded(connection, client)
    return len(events)


def record_failure(connection_id: int, message: str) -> None:
    """Show a failed push on the connection (`last_error`)."""
    connection = db.session.get(CalendarConnection, connection_id)
    if connection is not None:
        connection.last_error = message[:MAX_ERROR_LENGTH]
        connection.last_error_at = utcnow()
        db.session.flush()
