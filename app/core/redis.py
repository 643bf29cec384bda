"""The process's Redis client (None in the embedded mode, which runs without Redis)."""

from __future__ import annotations

import redis
from flask import current_app


def redis_client() -> redis.Redis | None:
    """Return this app's shared Redis client, or None when no REDIS_URL is configured."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    client = current_app.extensions.get("redis")
    if client is None:
        # Blocking: with many threads (Socket.IO), a request waits for a free connection instead of failing.
        pool = redis.BlockingConnectionPool.from_url(
            url,
            max_connections=current_app.config["REDIS_MAX_CONNECTIONS"],
            timeout=5,
            socket_connect_timeout=2,
            socket_timeout=2,
        )
        client = redis.Redis(connection_pool=pool)
        current_app.extensions["redis"] = client
    return client
