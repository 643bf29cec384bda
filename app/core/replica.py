"""Named read paths served by a streaming replica (`DATABASE_REPLICA_URL`), reading your own writes.

A GET view decorated with `read_from_replica` runs its queries on the replica when the replica has replayed
the caller's last write: after every successful write request, the primary's `pg_current_wal_insert_lsn()`
is kept for that user in Redis (`replica:lsn:<user id>`, for `REPLICA_LSN_TTL` seconds); a replica read first
asks the replica for `pg_last_wal_replay_lsn()` and goes to the primary when the replica is behind that
position, down (then skipped for `REPLICA_RETRY_SECONDS`), or not a replica at all. Everything else, and any
view that writes, stays on the primary. The decision is made once per request, before the view's first query.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

import redis
import sqlalchemy as sa
from flask import Flask, Response, current_app, request

from app.core.auth import current_identity
from app.core.redis import redis_client
from app.core.unit_of_work import use_replica
from app.extensions import db

log = logging.getLogger(__name__)
LSN_KEY = "replica:lsn:{}"
ANY_WRITE_KEY = "replica:lsn:any"  # the last write of anyone: for callers with no write of their own (just logged in)
READS = frozenset({"GET", "HEAD"})
_ENGINE = "replica_engine"
_DOWN_UNTIL = "replica_down_until"


def parse_lsn(lsn: str) -> int:
    """A PostgreSQL LSN ('16/B374D848') as a comparable integer."""
    high, _, low = lsn.partition("/")
    return (int(high, 16) << 32) | int(low, 16)


def init_replica(app: Flask) -> None:
    """Build the replica's engine and remember each write's position, when DATABASE_REPLICA_URL is set."""
    url = app.config.get("SQLALCHEMY_REPLICA_URI")
    if not url:
        return
    options = {k: v for k, v in app.config["SQLALCHEMY_ENGINE_OPTIONS"].items() if k.startswith("pool_")}
    connect_args = {"connect_timeout": app.config["REPLICA_CONNECT_TIMEOUT"]}
    app.extensions[_ENGINE] = sa.create_engine(url, connect_args=connect_args, **options)
    app.extensions[_DOWN_UNTIL] = 0.0
    app.after_request(_remember_write_position)


def replica_engine() -> sa.Engine | None:
    """This app's replica engine, or None when no replica is configured."""
    return current_app.extensions.get(_ENGINE)


def read_from_replica(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let a read-only view run its queries on the replica when the caller's writes are there."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        engine = replica_engine()
        if engine is not None and request.method in READS and _caught_up(engine):
            use_replica(engine)
        return view(*args, **kwargs)

    return wrapper


def _caught_up(engine: sa.Engine) -> bool:
    """The replica is up and has replayed the caller's last write (one query on the replica)."""
    if time.monotonic() < current_app.extensions[_DOWN_UNTIL]:
        return False
    needed = _remembered_position(current_identity())
    try:
        with engine.connect() as connection:
            replayed = connection.execute(sa.text("SELECT pg_last_wal_replay_lsn()::text")).scalar()
    except sa.exc.SQLAlchemyError as error:
        log.warning("replica unreachable, reading from the primary: %s", type(error).__name__)
        current_app.extensions[_DOWN_UNTIL] = time.monotonic() + current_app.config["REPLICA_RETRY_SECONDS"]
        return False
    if replayed is None:  # not in recovery: the URL names a primary, whose reads would not be a replica's
        return False
    return needed is None or parse_lsn(replayed) >= parse_lsn(needed)


def _remembered_position(user_id: str | None) -> str | None:
    """The caller's last write position, else the last of anyone's (a login or registration has no user yet)."""
    client = redis_client()
    if client is None:
        return None
    try:
        mine, anyone = client.mget(LSN_KEY.format(user_id), ANY_WRITE_KEY)
    except redis.RedisError:
        return "FFFFFFFF/FFFFFFFF"  # unknown: as if behind, so the read goes to the primary
    value = mine if user_id is not None and mine else anyone
    return value.decode() if value else None


def _remember_write_position(response: Response) -> Response:
    """After a successful write (its commit is done: this hook runs after the unit of work's), keep the LSN."""
    client = redis_client()
    if request.method in READS or request.method == "OPTIONS" or response.status_code >= 400 or client is None:
        return response
    user_id, ttl = current_identity(), current_app.config["REPLICA_LSN_TTL"]
    try:
        with db.engine.connect() as connection:
            position = connection.execute(sa.text("SELECT pg_current_wal_insert_lsn()::text")).scalar_one()
        pipe = client.pipeline(transaction=False)
        pipe.set(ANY_WRITE_KEY, position, ex=ttl)
        if user_id is not None:
            pipe.set(LSN_KEY.format(user_id), position, ex=ttl)
        pipe.execute()
    except (sa.exc.SQLAlchemyError, redis.RedisError) as error:
        log.warning("write position not kept: %s", type(error).__name__)
    return response


def replica_lag_seconds() -> float | None:
    """How far behind the replica is (0 when it has replayed all it received), or None without one."""
    engine = replica_engine()
    if engine is None:
        return None
    with engine.connect() as connection:
        lag = connection.execute(
            sa.text(
                "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
                "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END"
            )
        ).scalar_one()
        return float(lag)
