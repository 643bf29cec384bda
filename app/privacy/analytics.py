"""Product analytics that ask first: events only of people whose `analytics` consent is granted, and the
Owner's report (daily and weekly active users, retention by signup week) computed in SQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select

from app.accounts.models import User
from app.core.db import utcnow
from app.extensions import db
from app.privacy import services
from app.privacy.models import AnalyticsEvent, ConsentType, Erasure

WEEK_SECONDS = 7 * 24 * 3600


def record_client_events(user: User, events: list[dict[str, Any]]) -> int:
    """Store a client's batch if the person consents (else drop it silently); return how many were accepted."""
    if events and services.has_consent(user.id, ConsentType.ANALYTICS):
        now = utcnow()
        rows = [
            {
                "user_id": user.id,
                "name": event["name"],
                "source": "client",
                "occurred_at": event["time"],
                "received_at": now,
                "properties": event.get("properties") or {},
            }
            for event in events
        ]
        db.session.execute(sa.insert(AnalyticsEvent), rows)
    return len(events)


def record_server_event(user_id: int, name: str, properties: dict[str, Any] | None = None) -> bool:
    """Record one of the product's own events for a person, only if they consent; tell whether it was."""
    if not services.has_consent(user_id, ConsentType.ANALYTICS):
        return False
    now = utcnow()
    db.session.add(
        AnalyticsEvent(
            user_id=user_id, name=name, source="server", occurred_at=now, received_at=now, properties=properties or {}
        )
    )
    return True


def on_session_logged(sender: Any, session: Any) -> None:
    """A logged training session is a `session_logged` event (for people who consent)."""
    record_server_event(session.user_id, "session_logged", {"session_id": session.id})


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _day(column: Any) -> Any:
    return sa.func.date_trunc(sa.literal_column("'day'"), column) if _postgres() else sa.func.date(column)


def _week(column: Any) -> Any:
    # Weeks start on Monday (ISO), as PostgreSQL's date_trunc('week') has them.
    # Units are literal SQL, not bound parameters, so that GROUP BY repeats the very expression selected.
    if _postgres():
        return sa.func.date_trunc(sa.literal_column("'week'"), column)
    return sa.func.date(column, sa.literal_column("'-6 days'"), sa.literal_column("'weekday 1'"))


def _weeks_between(later: Any, earlier: Any) -> Any:
    if _postgres():
        return sa.cast(sa.extract("epoch", later - earlier) / WEEK_SECONDS, sa.Integer)
    return sa.cast((sa.func.julianday(later) - sa.func.julianday(earlier)) / 7, sa.Integer)


def active_users(bucket: Any, since: datetime) -> list[dict[str, Any]]:
    """Distinct people with an event, per bucket (day or week) since a time."""
    period = bucket(AnalyticsEvent.occurred_at).label("period")
    stmt = (
        select(period, sa.func.count(sa.distinct(AnalyticsEvent.user_id)))
        .where(AnalyticsEvent.occurred_at >= since)
        .group_by(period)
        .order_by(period)
    )
    return [{"period": _date(p), "users": n} for p, n in db.session.execute(stmt)]


def retention(since: datetime) -> list[dict[str, Any]]:
    """Per signup week since a time: how many signed up, and how many were active in each week after."""
    people = (
        select(User.id, User.created_at)
        .where(User.created_at >= since, ~sa.exists().where(Erasure.user_id == User.id))
        .subquery()
    )
    signups = (
        select(_week(people.c.created_at).label("cohort"), sa.func.count().label("n"))
        .group_by(_week(people.c.created_at))
        .order_by(_week(people.c.created_at))
    )
    cohort = _week(people.c.created_at)
    offset = _weeks_between(_week(AnalyticsEvent.occurred_at), cohort).label("week")
    active = (
        select(cohort.label("cohort"), offset, sa.func.count(sa.distinct(AnalyticsEvent.user_id)))
        .join(people, people.c.id == AnalyticsEvent.user_id)
        .group_by(cohort, offset)
    )
    table: dict[Any, dict[str, Any]] = {}
    for week, n in db.session.execute(signups):
        table[_date(week)] = {"cohort_week": _date(week), "signups": n, "active_by_week": {}}
    for week, index, n in db.session.execute(active):
        if _date(week) in table and index >= 0:
            table[_date(week)]["active_by_week"][int(index)] = n
    return [_as_list(row) for row in table.values()]


def _as_list(row: dict[str, Any]) -> dict[str, Any]:
    by_week = row.pop("active_by_week")
    row["active"] = [by_week.get(i, 0) for i in range(max(by_week, default=-1) + 1)]
    return row


def _date(value: Any) -> str:
    return value.date().isoformat() if isinstance(value, datetime) else str(value)[:10]


def report(days: int = 30, weeks: int = 8) -> dict[str, Any]:
    """Daily and weekly active users and retention by signup week (the Owner's report)."""
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    day_start = today - timedelta(days=days - 1)
    week_start = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    return {
        "daily_active_users": active_users(_day, day_start),
        "weekly_active_users": active_users(_week, week_start),
        "retention": retention(week_start),
    }
