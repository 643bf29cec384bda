"""The unit of work: one object per entry point (request, socket event, job, CLI command), created and closed here.

An entry point calls `begin(kind)` when it starts and `UnitOfWork.close(session, commit=...)` when it ends;
code in between asks `current_unit_of_work()`. The object carries the three things that used to be spread
over `g`, `session.info` and a private SQLAlchemy override:

- its **mode**: transactional (the default), or without a transaction (`run_without_transaction()`: every
  statement commits as it returns, no BEGIN/COMMIT round trips; for units of work that only read, or change
  the database in one statement), until the session's first commit or rollback. `autocommits(session)` is
  the one place the mode is derived; `UnitOfWorkSession.get_bind` the one place it reaches SQLAlchemy
  (public API: an engine with `isolation_level="AUTOCOMMIT"` sharing the app engine's pool);
- its **after-commit callbacks** (`after_commit`): run when the session commits, dropped on rollback;
- the **replica** its reads go to, if any (`use_replica`, app/core/replica.py decides).

Durability waits (`app/core/durability.py`) ask the unit of work whether its writes committed without one.
An app context with no entry point (a shell, a test's app context) gets a transactional unit of work made on
first use, here too.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import g, has_app_context
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event
from sqlalchemy.orm import Session, scoped_session

from app.core.adapters.sqlalchemy import configured_bind

_KEY = "unit_of_work"
_autocommit_engines: weakref.WeakKeyDictionary[sa.Engine, sa.Engine] = weakref.WeakKeyDictionary()


class UnitOfWork:
    """One entry point's unit of work: its mode, its after-commit callbacks and its replica."""

    __slots__ = ("callbacks", "kind", "outer", "replica", "without_transaction")

    def __init__(self, kind: str, outer: UnitOfWork | None = None) -> None:
        self.kind = kind  # "request", "socket event", "job", "command", "app context"
        self.outer = outer  # the app context's unit this one began in (a test's, around its test client's requests)
        self.without_transaction = False
        self.callbacks: list[Callable[[], Any]] = []
        self.replica: sa.Engine | None = None

    def run_without_transaction(self, session: scoped_session) -> None:
        """Run the rest of this unit of work outside a transaction, if it has not begun one.

        For units of work that only read, or change the database in one statement (atomic by itself). Under
        READ COMMITTED (PostgreSQL's default, and ours) every statement sees its own snapshot anyway, so a
        reader sees what it would inside a transaction, two round trips sooner. A session already in a
        transaction, or bound to a connection (the tests' outer transaction), is left as it is; SQLite too.
        It costs nothing until the session first needs a connection: a unit of work that never does (a
        `DirectStatement` read, a cache hit) makes no session.
        """
        if not session.registry.has() or not session().in_transaction():
            self.without_transaction = True

    def autocommits(self, session: Session | scoped_session) -> bool:
        """Whether each statement this unit of work runs now is committed as it returns: it runs without a
        transaction, on a PostgreSQL engine, and its session has no (transactional) connection open."""
        if not self.without_transaction:
            return False
        if isinstance(session, scoped_session):
            if not session.registry.has():
                return _is_postgresql(bind_of(session))
            session = session()
        return not session.in_transaction() and _is_postgresql(session.get_bind())

    def close(self, session: scoped_session, *, commit: bool | None) -> None:
        """End the unit of work: commit (`True`) or roll back (`False`) what its session began, or leave the
        session to its owner (`None`: Flask-SQLAlchemy's teardown removes it); then the outer unit is current.

        With no transaction open there is nothing to wait for: a success runs its callbacks now, a failure
        drops them."""
        try:
            if commit is not None and session.registry.has() and session().in_transaction():
                session.commit() if commit else session.rollback()
            elif commit is not None:
                callbacks, self.callbacks = self.callbacks, []
                for callback in callbacks if commit else ():
                    callback()
        finally:
            if has_app_context() and g.get(_KEY) is self:
                setattr(g, _KEY, self.outer)

    def chain(self) -> list[UnitOfWork]:
        """This unit and the ones it began in: they share the app context's session, so its commit is theirs."""
        units, unit = [], self
        while unit is not None:
            units.append(unit)
            unit = unit.outer
        return units


def begin(kind: str) -> UnitOfWork:
    """Start an entry point's unit of work in this app context: the one place a unit of work is made."""
    unit = UnitOfWork(kind, g.get(_KEY))
    setattr(g, _KEY, unit)
    return unit


def current_unit_of_work() -> UnitOfWork:
    """This app context's unit of work (a transactional one is begun for a context with no entry point)."""
    unit = g.get(_KEY)
    return unit if unit is not None else begin("app context")


def current_or_none() -> UnitOfWork | None:
    """This app context's unit of work, without beginning one (None outside an app context)."""
    return g.get(_KEY) if has_app_context() else None


def read_without_transaction(session: scoped_session) -> None:
    """Run the rest of the current unit of work without a transaction (see `UnitOfWork.run_without_transaction`)."""
    current_unit_of_work().run_without_transaction(session)


def after_commit(session: Session | scoped_session, callback: Callable[[], Any]) -> None:
    """Run `callback` once the session's current transaction commits; drop it on rollback.

    In a unit of work without a transaction that has none open, every statement it ran is committed already:
    the callback runs now (and no session is made to hold it).
    """
    unit = current_unit_of_work()
    if unit.autocommits(session):
        callback()
        return
    unit.callbacks.append(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    """Run the callbacks; what follows the session's first transaction is transactional again."""
    unit = current_or_none()
    if unit is not None:
        unit.without_transaction = False
    for each in reversed(unit.chain()) if unit is not None else ():
        callbacks, each.callbacks = each.callbacks, []
        for callback in callbacks:
            callback()


@event.listens_for(Session, "after_rollback")
def _drop_after_commit(session: Session) -> None:
    """Drop the callbacks; what follows is transactional again."""
    unit = current_or_none()
    if unit is not None:
        unit.without_transaction = False
    for each in unit.chain() if unit is not None else ():
        each.callbacks.clear()


def use_replica(engine: sa.Engine) -> None:
    """Send this unit of work's reads to a replica's engine (app/core/replica.py decides when)."""
    unit = current_unit_of_work()
    if unit.replica is None:
        unit.replica = engine


def replica_in_use() -> sa.Engine | None:
    """The replica engine this unit of work reads from, if any."""
    unit = current_or_none()
    return unit.replica if unit is not None else None


class UnitOfWorkSession(FlaskSession):
    """The app's session: its bind follows the unit of work (the replica; autocommit without a transaction)."""

    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kwargs: Any) -> Any:
        """The replica's engine for a unit of work sent there, else Flask-SQLAlchemy's choice; in autocommit
        when the unit of work runs without a transaction (a session in a transaction keeps its connection's)."""
        unit = current_or_none() if bind is None else None
        engine = unit.replica if unit is not None and unit.replica is not None else None
        if engine is None:
            engine = super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
        if unit is not None and unit.without_transaction and _is_postgresql(engine):
            return autocommit_engine(engine)
        return engine


def autocommit_engine(engine: sa.Engine) -> sa.Engine:
    """The engine in autocommit (public `Engine.execution_options`: same pool, connections reset on return)."""
    autocommitting = _autocommit_engines.get(engine)
    if autocommitting is None:
        autocommitting = _autocommit_engines[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return autocommitting


def bind_of(session: Session | scoped_session) -> sa.Engine | sa.Connection:
    """What a session reads through (the app's engine, or the tests' connection), without making a session."""
    if isinstance(session, scoped_session) and not session.registry.has():
        replica = replica_in_use()
        if replica is not None:
            return replica
        return configured_bind(session)
    return (session() if isinstance(session, scoped_session) else session).get_bind()


def _is_postgresql(bind: sa.Engine | sa.Connection) -> bool:
    return isinstance(bind, sa.Engine) and bind.dialect.name == "postgresql"
