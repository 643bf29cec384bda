"""Readiness checks and the heartbeat."""

from __future__ import annotations

import socket
from typing import Any

import redis
import sqlalchemy as sa
from flask import current_app

from app.core.columns import utcnow
from app.extensions import db
from app.ops.models import Heartbeat

WORKER_HEARTBEAT = "worker"


def record_heartbeat(name: str = WORKER_HEARTBEAT) -> Heartbeat:
    """Upsert the named heartbeat with the current time."""
    beat = db.session.get(Heartbeat, name) or Heartbeat(name=name)
    beat.beat_at = utcnow()
    beat.hostname = socket.gethostname()
    db.session.add(beat)
    db.session.flush()
    return beat


def check_database() -> dict[str, Any]:
    """Run a trivial query."""
    try:
        db.session.execute(sa.text("SELECT 1"))
        return {"ok": True}
    except Exception as error:
        db.session.rollback()
        return {"ok": False, "error": type(error).__name__}


def check_redis() -> dict[str, Any]:
    """Ping Redis, or report the embedded broker when no Redis is configured."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return {"ok": True, "embedded": True, "broker": current_app.config["CELERY"]["broker_url"].split(":")[0]}
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        return {"ok": True}
    except redis.RedisError as error:
        return {"ok": False, "error": type(error).__name__}


def check_heartbeat() -> dict[str, Any]:
    """Report the last worker heartbeat and whether it is recent."""
    try:
        beat = db.session.get(Heartbeat, WORKER_HEARTBEAT)
    except Exception as error:
        db.session.rollback()
        return {"ok": False, "error": type(error).__name__}
    if beat is None:
        return {"ok": False, "last_beat_at": None}
    age = (utcnow() - beat.beat_at).total_seconds()
    return {
        "ok": age <= current_app.config["HEARTBEAT_MAX_AGE"],
        "last_beat_at": beat.beat_at.isoformat().replace("+00:00", "Z"),
        "age_s": round(age, 1),
    }


def readiness() -> tuple[bool, dict[str, Any]]:
    """Check the database and Redis (required) and the heartbeat (reported)."""
    checks = {"database": check_database(), "redis": check_redis(), "heartbeat": check_heartbeat()}
    ready = checks["database"]["ok"] and checks["redis"]["ok"]
    return ready, checks


def readiness_status(ready: bool, checks: dict[str, Any]) -> str:
    """Say `unavailable` (a required check failed), `starting` (no worker heartbeat yet) or `ready`."""
    if not ready:
        return "unavailable"
    never_beat = "last_beat_at" in checks["heartbeat"] and checks["heartbeat"]["last_beat_at"] is None
    return "starting" if never_beat else "ready"
