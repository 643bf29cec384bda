"""A small world of people around one trainer, and a statement counter."""

from __future__ import annotations

from contextlib import contextmanager
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.extensions import db
from tests.factories import make_coaching


@pytest.fixture
def people(make_user, trainer, owner):
    """The author trainer, an active client, a pending client, an ex-client, a stranger, another trainer, an Owner."""
    client_user = make_user()
    pending = make_user()
    former = make_user()
    make_coaching(trainer, client_user, "Active")
    make_coaching(trainer, pending, "Pending")
    make_coaching(trainer, former, "Ended")
    return SimpleNamespace(
        author=trainer,
        client=client_user,
        pending=pending,
        former=former,
        stranger=make_user(),
        other_trainer=make_user(role="Trainer"),
        owner=owner,
    )


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
