"""SQLAlchemy internals `DirectStatement` relies on, in one place (tests/core/test_adapters.py pins them).

A compiled statement's parameter order and rendered bind names, and the engine's `before_cursor_execute`
dispatch, are not documented API; Flask-SQLAlchemy's scoped session keeps its configured bind in the
sessionmaker's keyword arguments. A SQLAlchemy or Flask-SQLAlchemy upgrade that changes them fails that test.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import scoped_session
from sqlalchemy.sql.compiler import Compiled


def parameter_order(compiled: Compiled) -> list[str] | None:
    """The names of a positional dialect's parameters in the order the SQL takes them (None: named style)."""
    return list(compiled.positiontup) if compiled.positional else None


def rendered_bind_names(compiled: Compiled) -> dict[Any, str]:
    """Each bind parameter of a compiled statement by the name its SQL renders (anonymous ones: `role_1`...)."""
    return {bind: compiled.bind_names[bind] for bind in compiled.binds.values()}


def announce_statement(connection: sa.Connection, cursor: Any, sql: str, parameters: Any) -> None:
    """Tell a connection's `before_cursor_execute` listeners (SQL logs, the tests' counters) of a statement."""
    if connection.dispatch.before_cursor_execute:
        connection.dispatch.before_cursor_execute(connection, cursor, sql, parameters, None, False)


def configured_bind(session: scoped_session) -> sa.Engine | sa.Connection:
    """What a Flask-SQLAlchemy scoped session's sessions are bound to (a connection in the tests, else the
    app's engine), without making a session."""
    options = session.session_factory.kw
    return options["bind"] if options.get("bind") is not None else options["db"].engine
