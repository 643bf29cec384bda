"""Durability: writes committed without waiting for the disk, and waiting for the disk when a promise needs it."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, scoped_session

from app.core.unit_of_work import bind_of, current_unit_of_work

# The smallest transaction whose commit waits for the disk: PostgreSQL flushes at COMMIT only for a
# transaction that has a transaction id and wrote WAL before its commit record (an id alone commits
# asynchronously). A transactional logical-decoding message does both, with no table (any role may call it;
# a logical decoding consumer would see these empty messages under the prefix).
FLUSH_WAL_SQL = "SELECT pg_logical_emit_message(true, 'spotter.flush', '')"


def committed_before_flushed(stmt: sa.Insert | sa.Update) -> sa.Select:
    """A PostgreSQL write (with RETURNING) as a data-modifying CTE whose rows, once written, turn
    `synchronous_commit` off for the transaction it runs in (`set_config(..., is_local => true)`: it ends with
    the transaction). A write that changes nothing evaluates it for no row, and has nothing to flush anyway."""
    written = stmt.cte("written")
    return sa.select(*written.c).where(sa.text("set_config('synchronous_commit', 'off', true) IS NOT NULL"))


class GroupFlush:
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


_group_flushes: weakref.WeakKeyDictionary[Any, GroupFlush] = weakref.WeakKeyDictionary()


def _flush(bind: sa.Engine | sa.Connection) -> None:
    """Run the flush transaction: on a pooled connection in autocommit, or on the tests' connection."""
    if isinstance(bind, sa.Connection):
        bind.exec_driver_sql(FLUSH_WAL_SQL).all()
        return
    pooled = bind.raw_connection()
    try:
        pooled.dbapi_connection.autocommit = True  # the statement is its own, synchronously committed, transaction
        try:
            pooled.dbapi_connection.execute(FLUSH_WAL_SQL).fetchall()
        finally:
            pooled.dbapi_connection.autocommit = False
    finally:
        pooled.close()


def wait_until_durable(session: Session | scoped_session) -> None:
    """Return once what this unit of work committed is on disk: it may not be if it ran without a transaction
    on PostgreSQL (`DirectStatement(..., wait_for_disk=False)`); a transaction's commit waits for the disk."""
    if current_unit_of_work().autocommits(session):
        flush_wal(session)


def flush_wal(session: Session | scoped_session) -> None:
    """Return once every commit made so far, by any session, is on disk (PostgreSQL; elsewhere at once): for
    a row that another unit of work may have committed a moment ago without waiting for the disk."""
    bind = bind_of(session)
    if bind.dialect.name != "postgresql":
        return
    key = bind.pool if isinstance(bind, sa.Engine) else bind  # an engine and its autocommit copy share a pool
    group = _group_flushes.get(key)
    if group is None:
        group = _group_flushes.setdefault(key, GroupFlush(lambda: _flush(bind)))
    group.wait()
