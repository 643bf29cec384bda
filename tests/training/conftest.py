"""An athlete and everyone around them, a few exercises, and a statement counter."""

from __future__ import annotations

from contextlib import contextmanager
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.extensions import db
from tests.factories import make_coaching, make_exercise


@pytest.fixture
def people(make_user, owner):
    """The athlete; their active, pending and former trainers; a stranger (User and Trainer); an Owner."""
    athlete = make_user()
    coach, pending, former = make_user(role="Trainer"), make_user(role="Trainer"), make_user(role="Trainer")
    make_coaching(coach, athlete, "Active")
    make_coaching(pending, athlete, "Pending")
    make_coaching(former, athlete, "Ended")
    return SimpleNamespace(
        athlete=athlete,
        coach=coach,
        pending=pending,
        former=former,
        stranger=make_user(),
        other_trainer=make_user(role="Trainer"),
        owner=owner,
    )


@pytest.fixture
def squat():
    return make_exercise(name="Back Squat")


@pytest.fixture
def bench():
    return make_exercise(name="Bench Press")


@contextmanager
def count_statements():
    """Count the SQL statements run inside the block."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
