"""Model building blocks: aware UTC timestamps, enum columns, and after-commit callbacks."""

from __future__ import annotations

import enum
import threading
import weakref
from collections import namedtuple
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

import sqlalchemy as sa
from flask import g, has_app_context
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column, scoped_session
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as UTC and always read back timezone-aware, on PostgreSQL and SQLite."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; give a timezone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def enum_type(enum_cls: type[enum.Enum], name: str) -> sa.Enum:
    """A portable enum column storing the members' values as spelled in the API."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda cls: [m.value for m in cls],
        validate_strings=True,
    )


def escape_like(value: str) -> str:
    """Escape LIKE's wildcards (and the escape character, `\\`) so a user's text matches as typed."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class TimestampMixin:
    """created_at / updated_at, set by the application in UTC."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)


@event.listens_for(sa.Engine, "connect")
def _session_settings(dbapi_connection, connection_record) -> None:
    """Per new connection. SQLite (the embedded default): WAL so web and worker can write, foreign keys enforced.

    PostgreSQL: the session's time zone is UTC, as every timestamp we keep; psycopg then reads them with
    `datetime.UTC` itself, which `iso_utc` writes twice as fast as a zone it has to convert from.
    """
    import sqlite3

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


_AFTER_COMMIT_KEY = "spotter_after_commit"


def after_commit(session: Session | scoped_session, callback: Callable[[], Any]) -> None:
    """Run `callback` once the session's current transaction commits; drop it on rollback.

    In a unit of work that runs without a transaction on PostgreSQL (`read_without_transaction`) and has
    none open, every statement it ran is committed already: the callback runs now (and no session is made
    to hold it).
    """
    if _autocommits(session):
        callback()
        return
    session.info.setdefault(_AFTER_COMMIT_KEY, []).append(callback)


def _autocommits(session: Session | scoped_session) -> bool:
    """Whether each statement the unit of work runs now is committed as it returns: it is marked
    `read_without_transaction`, on PostgreSQL, with no transaction open."""
    if isinstance(session, scoped_session):
        if not session.registry.has():
            return _marked(None) and _is_postgresql(bind_of(session))
        session = session()
    return not session.in_transaction() and _marked(session) and _is_postgresql(session.get_bind())


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    callbacks = session.info.pop(_AFTER_COMMIT_KEY, [])
    for callback in callbacks:
        callback()


@event.listens_for(Session, "after_rollback")
def _drop_after_commit(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT_KEY, None)


_WITHOUT_TRANSACTION_KEY = "spotter_without_transaction"


def read_without_transaction(session: Session | scoped_session) -> None:
    """Run the rest of this unit of work's statements outside a transaction: no BEGIN and COMMIT round trips.

    For units of work that only read, or change the database in one statement (atomic by itself: the
    single-statement Socket.IO events). Under READ COMMITTED (PostgreSQL's default, and ours) every statement
    sees its own snapshot anyway, so a reader sees exactly what it would inside a transaction, two round trips
    sooner. Call it before the first query: a session already in a transaction, or bound to a connection (the
    tests' outer transaction), is left as it is; SQLite is left as it is too. It costs nothing until the
    session first needs a connection (`UnitOfWorkSession`): a unit of work that never does (a `DirectStatement`
    read, a cache hit) checks nothing out through the session, has nothing to commit, and, when it has made no
    session yet, makes none (the mark waits in the app context for the session it will make).
    """
    if isinstance(session, scoped_session):
        if not session.registry.has() and has_app_context():
            g.setdefault(_WITHOUT_TRANSACTION_KEY, True)
            return
        session = session()
    if not session.in_transaction():
        session.info[_WITHOUT_TRANSACTION_KEY] = True


def forget_unused_marks() -> None:
    """End of a unit of work: drop a `read_without_transaction` mark no session took up.

    A request's app context normally ends with it; where one app context hosts several units of work (a test
    client's requests inside a test's app context), the next one must not inherit the mark.
    """
    if has_app_context():
        g.pop(_WITHOUT_TRANSACTION_KEY, None)


_REPLICA_KEY = "spotter_db_replica"


def use_replica(engine: sa.Engine) -> None:
    """Send this unit of work's reads to a replica's engine (app/core/replica.py decides when)."""
    g.setdefault(_REPLICA_KEY, engine)


def forget_replica() -> None:
    """End of a unit of work: the next one (in the same app context, as in tests) decides afresh."""
    if has_app_context():
        g.pop(_REPLICA_KEY, None)


def replica_in_use() -> sa.Engine | None:
    """The replica engine this unit of work reads from, if any."""
    return g.get(_REPLICA_KEY) if has_app_context() else None


class UnitOfWorkSession(FlaskSession):
    """The app's session: the first connection of a unit of work marked `read_without_transaction` autocommits."""

    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kwargs: Any) -> Any:
        """The replica's engine for a unit of work sent there (`use_replica`), else Flask-SQLAlchemy's choice."""
        replica = replica_in_use() if bind is None else None
        if replica is not None:
            return replica
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)

    def _connection_for_bind(self, engine: Any, execution_options: Any = None, **kwargs: Any) -> Any:
        # The one place SQLAlchemy's Session takes a connection (executes, `get`, `connection()`, flushes).
        wanted = self.info.pop(_WITHOUT_TRANSACTION_KEY, False) or (
            has_app_context() and g.pop(_WITHOUT_TRANSACTION_KEY, False)
        )
        wanted = wanted and self._transaction is None
        if wanted and isinstance(engine, sa.Engine) and engine.dialect.name == "postgresql":
            execution_options = {**(execution_options or {}), "isolation_level": "AUTOCOMMIT"}
        return super()._connection_for_bind(engine, execution_options, **kwargs)


def bind_of(session: Session | scoped_session) -> sa.Engine | sa.Connection:
    """What a session reads through (the app's engine, or the tests' connection), without making a session."""
    if isinstance(session, scoped_session) and not session.registry.has():
        replica = replica_in_use()
        if replica is not None:
            return replica
        options = session.session_factory.kw
        return options["bind"] if options.get("bind") is not None else options["db"].engine  # Flask-SQLAlchemy's
    return (session() if isinstance(session, scoped_session) else session).get_bind()


class DirectStatement:
    """A statement compiled once per dialect and run straight on the DBAPI connection: SQLAlchemy's rows, cheaper.

    For the hottest reads and single-statement writes, built once with named `bindparam`s and run many times
    with new values: a select, or an INSERT/UPDATE with RETURNING. `session.execute(stmt)` spends about a
    millisecond of CPU per call in SQLAlchemy's layers (cache key, execution context, ORM result), four times
    what the query costs on the wire; this runs the compiled string on the DBAPI cursor and applies the same
    bind and result processors (its rows equal `session.execute(stmt).all()`, tested).

    Where it runs:
    - A select outside a transaction takes a pooled connection in autocommit (one round trip, like
      `read_without_transaction`).
    - A write does the same only on PostgreSQL and only in a unit of work marked `read_without_transaction`
      (one statement is atomic by itself): it is committed when it returns, so `after_commit` callbacks
      registered after it run at once. Anywhere else (SQLite, an open transaction, an unmarked unit of work)
      it runs in the session's transaction, committed or rolled back with the rest.
    - Inside a transaction, or in a session bound to a connection (the tests), on that connection: it sees
      its uncommitted writes and announces the statement to its `before_cursor_execute` listeners (SQL
      logging, the tests' statement counts). A pooled statement has no SQLAlchemy connection and no engine
      events.

    `driver_values=True` skips the result processors on PostgreSQL, where psycopg's values already are
    what the columns hold (lists for arrays, aware datetimes) but for non-native enums, which stay their
    `str` values (our enums are `StrEnum`s: equal to their members); converting was a fifth of a list's
    read. SQLite's driver returns text for those types, so there the values are always converted.

    `wait_for_disk=False` (writes): when the write commits by itself (the pooled case above), its commit does
    not wait for PostgreSQL to flush the WAL to disk (`synchronous_commit = off` for that one transaction).
    It is visible to every session as soon as it returns, and on disk a moment later; a crash of PostgreSQL
    (not of this process) in that moment loses it. For what may be shown before it is safe: `wait_until_durable`
    waits for the disk when a promise depends on it (chat delivers a message at once, and acks the sender
    once it is durable); a read receipt never waits. Where the write runs in the session's transaction, that
    commit waits for the disk as usual.
    """

    def __init__(
        self, stmt: sa.Select | sa.Insert | sa.Update, *, driver_values: bool = False, wait_for_disk: bool = True
    ) -> None:
        self.stmt = stmt
        self.driver_values = driver_values
        self.writes = stmt.is_dml
        self.wait_for_disk = wait_for_disk or not self.writes
        self._compiled: dict[tuple[str, bool], _Compiled] = {}  # by dialect, and committed before flushed

    def rows(self, session: Session | scoped_session, params: dict[str, Any]) -> list[Any]:
        """Run the statement with these bound values; rows as named tuples of processed values."""
        outside = not self.writes or _autocommits(session)  # may it run outside the session's transaction?
        if isinstance(session, scoped_session):
            if outside and not session.registry.has():  # no session yet in this unit of work: none is made
                return self._run_pooled(bind_of(session), params)
            session = session()
        bind = session.get_bind()
        if outside and isinstance(bind, sa.Engine) and not session.in_transaction():
            return self._run_pooled(bind, params)
        return self._compiled_for(bind.dialect).run(session.connection(), params)

    def _compiled_for(self, dialect: sa.Dialect, *, before_flush: bool = False) -> _Compiled:
        compiled = self._compiled.get((dialect.name, before_flush))
        if compiled is None:
            stmt = _committed_before_flushed(self.stmt) if before_flush else self.stmt
            convert = not (self.driver_values and dialect.name == "postgresql")
            compiled = self._compiled[dialect.name, before_flush] = _Compiled(stmt, dialect, convert)
        return compiled

    def _run_pooled(self, bind: sa.Engine | sa.Connection, params: dict[str, Any]) -> list[Any]:
        if not isinstance(bind, sa.Engine):  # a session bound to a connection (the tests' outer transaction)
            return self._compiled_for(bind.dialect).run(bind, params)
        postgresql = bind.dialect.name == "postgresql"
        compiled = self._compiled_for(bind.dialect, before_flush=postgresql and not self.wait_for_disk)
        pooled = bind.raw_connection()
        try:
            if not postgresql:
                return compiled.run_on(pooled.dbapi_connection, params)
            pooled.dbapi_connection.autocommit = True  # one round trip, no BEGIN/COMMIT
            try:
                return compiled.run_on(pooled.dbapi_connection, params)
            finally:
                pooled.dbapi_connection.autocommit = False
        finally:
            pooled.close()  # back to the pool (which rolls back whatever SQLite began)


def _committed_before_flushed(stmt: sa.Insert | sa.Update) -> sa.Select:
    """A PostgreSQL write (with RETURNING) as a data-modifying CTE whose rows, once written, turn
    `synchronous_commit` off for the transaction it runs in (`set_config(..., is_local => true)`: it ends with
    the transaction). A write that changes nothing evaluates it for no row, and has nothing to flush anyway."""
    written = stmt.cte("written")
    return sa.select(*written.c).where(sa.text("set_config('synchronous_commit', 'off', true) IS NOT NULL"))


class _GroupFlush:
    """One WAL flush in flight per process; every caller returns after a flush that began after it asked.

    A flush is a transaction that commits synchronously: its commit record is flushed to disk with all the WAL
    before it, every earlier commit of every session included. Callers that arrive while one is in flight
    wait for the next, which serves them all: when the disk stalls, one pooled connection waits for it, not
    one per caller (a stalled fsync held the whole pool before).
    """

    def __init__(self, flush: Callable[[], Any]) -> None:
        self._flush = flush
        self._changed = threading.Condition()
        self._started = 0  # flushes begun
        self._done = 0  # the latest flush that completed
        self._running = False

    def wait(self) -> None:
        """Return once a flush that began after this call has completed (raise what a flush this call ran raised)."""
        with self._changed:
            needed = self._started + 1
            while self._done < needed:
                if self._running:
                    self._changed.wait()
                    continue
                self._running = True
                self._started += 1
                mine = self._started
                self._changed.release()
                try:
                    self._flush()
                finally:
                    self._changed.acquire()
                    self._running = False
                    self._changed.notify_all()  # after a failure, another caller flushes
                self._done = mine  # (the lock is held again: the waiters see it when they wake)


# The smallest transaction whose commit waits for the disk: PostgreSQL flushes at COMMIT only for a
# transaction that has a transaction id and wrote WAL before its commit record (an id alone commits
# asynchronously). A transactional logical-decoding message does both, with no table (any role may call it;
# a logical decoding consumer would see these empty messages under the prefix).
_FLUSH_WAL = DirectStatement(sa.select(sa.literal_column("pg_logical_emit_message(true, 'spotter.flush', '')")))
_group_flushes: weakref.WeakKeyDictionary[sa.Engine | sa.Connection, _GroupFlush] = weakref.WeakKeyDictionary()


def wait_until_durable(session: Session | scoped_session) -> None:
    """Return once what this unit of work committed is on disk: it may not be if it ran without a transaction
    on PostgreSQL (`DirectStatement(..., wait_for_disk=False)`); a transaction's commit waits for the disk."""
    if _autocommits(session):
        flush_wal(session)


def flush_wal(session: Session | scoped_session) -> None:
    """Return once every commit made so far, by any session, is on disk (PostgreSQL; elsewhere at once): for
    a row that another unit of work may have committed a moment ago without waiting for the disk."""
    bind = bind_of(session)
    if bind.dialect.name != "postgresql":
        return
    group = _group_flushes.get(bind)
    if group is None:
        group = _group_flushes.setdefault(bind, _GroupFlush(partial(_FLUSH_WAL._run_pooled, bind, {})))
    group.wait()


def _is_postgresql(bind: sa.Engine | sa.Connection) -> bool:
    return isinstance(bind, sa.Engine) and bind.dialect.name == "postgresql"


def _marked(session: Session | None) -> bool:
    """Whether this unit of work runs without a transaction (`read_without_transaction`), without taking the mark."""
    if session is not None and session.info.get(_WITHOUT_TRANSACTION_KEY):
        return True
    return has_app_context() and bool(g.get(_WITHOUT_TRANSACTION_KEY))


class _Compiled:
    def __init__(self, stmt: sa.Select | sa.Insert | sa.Update, dialect: sa.Dialect, convert: bool) -> None:
        self.compiled = stmt.compile(dialect=dialect)
        self.sql = self.compiled.string
        self.positions = self.compiled.positiontup if self.compiled.positional else None
        self.bind_processors = {  # by the names the SQL renders (anonymous binds: `role_1`, ...)
            self.compiled.bind_names[bind]: processor
            for bind in self.compiled.binds.values()
            if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        }
        columns = list(stmt.exported_columns)  # a select's columns, or a write's RETURNING
        processors = [column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns]
        self.result_processors = [(i, p) for i, p in enumerate(processors) if p is not None] if convert else []
        self.row_type = namedtuple("Row", [column.key for column in columns], rename=True)

    def run(self, connection: sa.Connection, params: dict[str, Any]) -> list[Any]:
        """On a SQLAlchemy connection's DBAPI connection, announced to its `before_cursor_execute` listeners."""
        return self.run_on(connection.connection.dbapi_connection, params, connection)

    def run_on(
        self, dbapi_connection: Any, params: dict[str, Any], connection: sa.Connection | None = None
    ) -> list[Any]:
        """On a DBAPI connection (a pooled one has no SQLAlchemy connection: no engine events for it)."""
        values = self.compiled.construct_params(params)
        for name, processor in self.bind_processors.items():
            values[name] = processor(values[name])
        parameters = [values[name] for name in self.positions] if self.positions else values
        cursor = dbapi_connection.cursor()
        try:
            if connection is not None and connection.dispatch.before_cursor_execute:  # SQL logs, statement counts
                connection.dispatch.before_cursor_execute(connection, cursor, self.sql, parameters, None, False)
            cursor.execute(self.sql, parameters)
            raw_rows = cursor.fetchall()
        finally:
            cursor.close()
        make = self.row_type._make
        if not self.result_processors:
            return [make(row) for row in raw_rows]
        rows = []
        for raw in raw_rows:
            values = list(raw)
            for index, processor in self.result_processors:
                values[index] = processor(values[index])
            rows.append(make(values))
        return rows


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
