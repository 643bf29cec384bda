"""`DirectStatement`: a statement compiled once per dialect and run straight on the DBAPI connection."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, scoped_session

from app.core.adapters.sqlalchemy import announce_statement, parameter_order, rendered_bind_names
from app.core.durability import committed_before_flushed
from app.core.unit_of_work import bind_of, current_unit_of_work


class DirectStatement:
    """A statement compiled once per dialect and run straight on the DBAPI connection: SQLAlchemy's rows, cheaper.

    For the hottest reads and single-statement writes, built once with named `bindparam`s and run many times
    with new values: a select, or an INSERT/UPDATE with RETURNING. `session.execute(stmt)` spends about a
    millisecond of CPU per call in SQLAlchemy's layers (cache key, execution context, ORM result), four times
    what the query costs on the wire; this runs the compiled string on the DBAPI cursor and applies the same
    bind and result processors (its rows equal `session.execute(stmt).all()`, tested).

    Where it runs:
    - A select outside a transaction takes a pooled connection in autocommit (one round trip, like a unit of
      work without a transaction).
    - A write does the same only when the unit of work autocommits (`UnitOfWork.autocommits`: PostgreSQL, run
      without a transaction, none open; one statement is atomic by itself): it is committed when it returns,
      so `after_commit` callbacks registered after it run at once. Anywhere else (SQLite, an open
      transaction, a transactional unit of work) it runs in the session's transaction.
    - Inside a transaction, or in a session bound to a connection (the tests), on that connection: it sees
      its uncommitted writes and announces the statement to its `before_cursor_execute` listeners (SQL
      logging, the tests' statement counts). A pooled statement has no SQLAlchemy connection and no engine
      events.

    `driver_values=True` skips the result processors on PostgreSQL, where psycopg's values already are
    what the columns hold (lists for arrays, aware datetimes) but for non-native enums, which stay their
    `str` values (our enums are `StrEnum`s: equal to their members); converting was a fifth of a list's
    read. SQLite's driver returns text for those types, so there the values are always converted.

    `wait_for_disk=False` (writes): when the write commits by itself (the pooled case above), its commit does
    not wait for PostgreSQL to flush the WAL to disk (app/core/durability.py). It is visible to every
    session as soon as it returns, and on disk a moment later; a crash of PostgreSQL (not of this process)
    in that moment loses it. `wait_until_durable` waits for the disk when a promise depends on it. Where the
    write runs in the session's transaction, that commit waits for the disk as usual.
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
        outside = not self.writes or current_unit_of_work().autocommits(session)  # outside the session's transaction?
        if isinstance(session, scoped_session):
            if outside and not session.registry.has():  # no session yet in this unit of work: none is made
                return self.run_pooled(bind_of(session), params)
            session = session()
        bind = session.get_bind()
        if outside and isinstance(bind, sa.Engine) and not session.in_transaction():
            return self.run_pooled(bind, params)
        return self._compiled_for(bind.dialect).run(session.connection(), params)

    def _compiled_for(self, dialect: sa.Dialect, *, before_flush: bool = False) -> _Compiled:
        compiled = self._compiled.get((dialect.name, before_flush))
        if compiled is None:
            stmt = committed_before_flushed(self.stmt) if before_flush else self.stmt
            convert = not (self.driver_values and dialect.name == "postgresql")
            compiled = self._compiled[dialect.name, before_flush] = _Compiled(stmt, dialect, convert)
        return compiled

    def run_pooled(self, bind: sa.Engine | sa.Connection, params: dict[str, Any]) -> list[Any]:
        """Run on a pooled DBAPI connection in autocommit (on a connection given instead: on it)."""
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


class _Compiled:
    """A statement compiled for one dialect, with its bind and result processors."""

    def __init__(self, stmt: sa.Select | sa.Insert | sa.Update, dialect: sa.Dialect, convert: bool) -> None:
        self.compiled = stmt.compile(dialect=dialect)
        self.sql = self.compiled.string
        self.positions = parameter_order(self.compiled)
        self.bind_processors = {  # by the names the SQL renders (anonymous binds: `role_1`, ...)
            name: processor
            for bind, name in rendered_bind_names(self.compiled).items()
            if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        }
        columns = list(stmt.exported_columns)  # a select's columns, or a write's RETURNING
        self.types = [column.type.dialect_impl(dialect) for column in columns] if convert else []
        self.dialect = dialect
        self.result_processors: list[tuple[int, Callable[[Any], Any]]] | None = None if convert else []
        self.row_type = namedtuple("Row", [column.key for column in columns], rename=True)
        self.make_row = self.row_type._make

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
            if connection is not None:  # SQL logs, statement counts
                announce_statement(connection, cursor, self.sql, parameters)
            cursor.execute(self.sql, parameters)
            raw_rows = cursor.fetchall()
            if self.result_processors is None:  # first run: some processors depend on the driver's column types
                self.result_processors = self._result_processors(cursor.description)
        finally:
            cursor.close()
        make = self.make_row
        if not self.result_processors:
            return [make(row) for row in raw_rows]
        rows = []
        for raw in raw_rows:
            values = list(raw)
            for index, processor in self.result_processors:
                values[index] = processor(values[index])
            rows.append(make(values))
        return rows

    def _result_processors(self, description: Any) -> list[tuple[int, Callable[[Any], Any]]]:
        """Each column's result processor for the type code the driver reported (as SQLAlchemy's own results do)."""
        processors = [
            (i, type_.result_processor(self.dialect, column[1]))
            for i, (type_, column) in enumerate(zip(self.types, description, strict=True))
        ]
        return [(i, processor) for i, processor in processors if processor is not None]
