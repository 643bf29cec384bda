"""Database connections: the settings every new connection gets, and a pool opened before traffic."""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson
import sqlalchemy as sa
from psycopg.types.json import set_json_loads
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite


def _session_settings(dbapi_connection, connection_record) -> None:
    """Per new connection. SQLite (the embedded default): WAL so web and worker can write, foreign keys enforced.

    PostgreSQL: the session's time zone is UTC, as every timestamp we keep; psycopg then reads them with
    `datetime.UTC` itself, which `iso_utc` writes twice as fast as a zone it has to convert from. JSON columns
    are parsed by orjson (the stdlib's decoder was a tenth of a feed page's CPU, each activity's `data`); what
    we store passed our JSON decoder, which refuses integers beyond 64 bits, the one input the two read apart.
    """
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
    elif type(dbapi_connection).__module__.startswith("psycopg"):
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        dbapi_connection.execute("SET TIME ZONE 'UTC'")
        dbapi_connection.autocommit = autocommit
        set_json_loads(orjson.loads, dbapi_connection)


def open_pool(engine: sa.Engine) -> int:
    """Open all of a fixed pool's connections now, before traffic; return how many.

    A pool opens connections as it first needs them, so the first burst of a new process queued behind
    PostgreSQL backends starting (several milliseconds each, on both sides). Pools of other kinds are left
    as they are.
    """
    pool = engine.pool
    if not isinstance(pool, sa.pool.QueuePool):
        return 0
    connections = [engine.raw_connection() for _ in range(pool.size())]  # held together: each one is new
    for connection in connections:
        connection.close()  # back to the pool, open
    return len(connections)


def configure_connections() -> None:
    """Give every new connection of every engine its settings (`_session_settings`); idempotent."""
    if not event.contains(sa.Engine, "connect", _session_settings):
        event.listen(sa.Engine, "connect", _session_settings)


def conflict_insert(table: Any, dialect: str) -> Any:
    """An INSERT that takes ON CONFLICT clauses, for this dialect: PostgreSQL's, else SQLite's (the embedded one)."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
