"""Product analytics that ask first: events only of people whose `analytics` consent is granted, and the
Owner's report (daily and weekly active users, retention by signup week) computed in SQL.

Server-side events come two ways. A logged session is recorded in its own transaction (training's
`session_logged` signal). Messages sent and sign-ups are materialised by a beat job (`materialise_server_events`)
that reads the `messages` and `consents` tables past a watermark: chat's send path stays one statement with no
consent lookup, and neither chat nor accounts knows analytics exists. Exactly once: each event names its
subject (`subject_id`: the message, the person), unique per event name, and the watermark row is locked while a
run reads. A row is read once it is `ANALYTICS_SETTLE_SECONDS` old, and a run never reads past a younger one, so
a row whose transaction commits late is not skipped.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import aliased

from app.accounts.models import User
from app.core.columns import UTCDateTime, utcnow
from app.core.engine import conflict_insert
from app.extensions import db
from app.privacy import services
from app.privacy.models import AnalyticsEvent, AnalyticsWatermark, Consent, ConsentType, Erasure

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


def record_server_event(
    user_id: int, name: str, properties: dict[str, Any] | None = None, subject_id: int | None = None
) -> bool:
    """Record one of the product's own events for a person, only if they consent; tell whether it was."""
    if not services.has_consent(user_id, ConsentType.ANALYTICS):
        return False
    now = utcnow()
    db.session.add(
        AnalyticsEvent(
            user_id=user_id,
            name=name,
            source="server",
            occurred_at=now,
            received_at=now,
            properties=properties or {},
            subject_id=subject_id,
        )
    )
    return True


def on_session_logged(sender: Any, session: Any) -> None:
    """A logged training session is a `session_logged` event (for people who consent)."""
    record_server_event(session.user_id, "session_logged", {"session_id": session.id}, subject_id=session.id)


# ---- server-side events materialised from other tables (the beat job)


def materialise_server_events(now: datetime | None = None) -> dict[str, int]:
    """Record `message_sent` and `signed_up` events of people who consent, past each watermark; return how many."""
    now = now or utcnow()
    return {"message_sent": _messages_sent(now), "signed_up": _signups(now)}


def _messages_sent(now: datetime) -> int:
    """A message is a `message_sent` event of its sender if they consented when they sent it, and still do."""
    messages = db.metadata.tables["messages"]
    ids = _claim(messages, messages.c.created_at, now)
    if ids is None:
        return 0
    sender, sent_at = messages.c.sender_id, messages.c.created_at
    rows = select(sender, sa.literal("message_sent"), sent_at, messages.c.id).where(
        messages.c.id > ids[0],
        messages.c.id <= ids[1],
        _consents(sender, as_of=sent_at),
        _consents(sender),
        _not_erased(sender),
    )
    return _insert_events(rows, now)


def _signups(now: datetime) -> int:
    """A grant of the analytics consent makes the person's sign-up (at their account's creation) a `signed_up`
    event, once: the consent cannot be given before the account exists, so the event is recorded when it is."""
    consents = db.metadata.tables["consents"]
    users = db.metadata.tables["users"]
    ids = _claim(consents, consents.c.recorded_at, now)
    if ids is None:
        return 0
    person = consents.c.user_id
    rows = (
        select(person, sa.literal("signed_up"), users.c.created_at, person)
        .join(users, users.c.id == person)
        .where(
            consents.c.id > ids[0],
            consents.c.id <= ids[1],
            consents.c.type == ConsentType.ANALYTICS,
            consents.c.granted.is_(True),
            _consents(person),
            _not_erased(person),
        )
        .group_by(person, users.c.created_at)  # one row per person, however many grants the batch holds
    )
    return _insert_events(rows, now)


def _claim(table: sa.Table, written_at: sa.Column, now: datetime) -> tuple[int, int] | None:
    """Lock the table's watermark and move it over the next settled rows: (after, up to) the ids to read now.

    None when another run holds the watermark or nothing settled is new. Rows are read in id order up to the
    first one younger than the settle time, so a row committed late (a lower id seen after a higher one) waits.
    """
    db.session.execute(_insert_ignoring(AnalyticsWatermark).values(source=table.name, last_id=0, updated_at=now))
    stmt = select(AnalyticsWatermark).where(AnalyticsWatermark.source == table.name)
    mark = db.session.execute(stmt.with_for_update(skip_locked=True)).scalar_one_or_none()
    if mark is None:
        return None
    settled = now - timedelta(seconds=current_app.config["ANALYTICS_SETTLE_SECONDS"])
    unsettled = select(sa.func.min(table.c.id)).where(table.c.id > mark.last_id, written_at > settled).scalar_subquery()
    batch = (
        select(table.c.id)
        .where(
            table.c.id > mark.last_id,
            sa.or_(unsettled.is_(None), table.c.id < unsettled),
        )
        .order_by(table.c.id)
        .limit(current_app.config["ANALYTICS_BATCH_SIZE"])
        .subquery()
    )
    upper = db.session.scalar(select(sa.func.max(batch.c.id)))
    if upper is None:
        return None
    after, mark.last_id, mark.updated_at = mark.last_id, upper, now
    return after, upper


def _consents(person: Any, as_of: Any = None) -> sa.ColumnElement[bool]:
    """The person's latest answer to the analytics consent (as of a time, or now) is a grant."""
    answer = aliased(Consent)  # its own name: the outer query may read `consents` too
    latest = (
        select(answer.granted)
        .where(answer.user_id == person, answer.type == ConsentType.ANALYTICS)
        .order_by(answer.id.desc())
        .limit(1)
    )
    if as_of is not None:
        latest = latest.where(answer.recorded_at <= as_of)
    return latest.scalar_subquery().is_(True)


def _not_erased(person: Any) -> sa.ColumnElement[bool]:
    return ~sa.exists().where(Erasure.user_id == person)


def _insert_events(rows: sa.Select, now: datetime) -> int:
    """Insert server events from rows of (user_id, name, occurred_at, subject_id); one already there is kept."""
    columns = ["user_id", "name", "occurred_at", "subject_id", "source", "received_at", "properties"]
    extra = (sa.literal("server"), sa.literal(now, UTCDateTime()), sa.literal({}, sa.JSON()))
    stmt = _insert_ignoring(AnalyticsEvent, ["name", "subject_id"]).from_select(columns, rows.add_columns(*extra))
    return len(db.session.execute(stmt.returning(AnalyticsEvent.id)).all())


def _insert_ignoring(model: type, conflict: list[str] | None = None) -> Any:
    """An INSERT that does nothing for a row its unique key already holds (PostgreSQL and SQLite alike)."""
    return conflict_insert(model, db.session.get_bind().dialect.name).on_conflict_do_nothing(index_elements=conflict)


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
