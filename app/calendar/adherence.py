"""Adherence to assigned plans, in SQL: scheduled workouts vs sessions of that workout logged that local day.

A scheduled workout (an event of the assignment whose start has come) counts as done when the client
logged a training session of the same workout (`training_sessions.workout_id`) on the event's local day
in the event's time zone. PostgreSQL compares local days with `timezone()`; the SQLite demo database has
no zone data in SQL and compares UTC days.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from app.calendar.models import Event
from app.extensions import db
from app.training.models import TrainingSession


class local_date(FunctionElement):  # noqa: N801 - a SQL function
    """The calendar date of a UTC timestamp in a named time zone."""

    type = sa.Date()
    name = "local_date"
    inherit_cache = True


@compiles(local_date, "postgresql")
def _local_date_postgresql(element, compiler, **kw) -> str:
    moment, tz_name = list(element.clauses)
    return f"CAST(timezone({compiler.process(tz_name, **kw)}, {compiler.process(moment, **kw)}) AS DATE)"


@compiles(local_date)
def _local_date_default(element, compiler, **kw) -> str:
    moment, _ = list(element.clauses)
    return f"date({compiler.process(moment, **kw)})"


def figures(assignment_ids: list[int], now: datetime) -> dict[int, tuple[int, int, int]]:
    """Return {assignment id: (scheduled in total, scheduled up to now, completed)} in one query."""
    session = TrainingSession
    done = (
        sa.select(session.id)
        .where(
            session.user_id == Event.user_id,
            session.workout_id == Event.workout_id,
            local_date(session.started_at, Event.timezone) == local_date(Event.start_time, Event.timezone),
        )
        .exists()
    )
    due = Event.start_time <= now
    stmt = (
        sa.select(
            Event.assignment_id,
            sa.func.count(),
            sa.func.sum(sa.case((due, 1), else_=0)),
            sa.func.sum(sa.case((sa.and_(due, done), 1), else_=0)),
        )
        .where(Event.assignment_id.in_(assignment_ids))
        .group_by(Event.assignment_id)
    )
    return {row[0]: (row[1], int(row[2] or 0), int(row[3] or 0)) for row in db.session.execute(stmt)}
