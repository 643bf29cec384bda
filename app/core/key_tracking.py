"""Redis's client-side key tracking, one connection per process and server (`KeyTracking`).

With tracking on in broadcast mode for some key prefixes (`CLIENT TRACKING ON BCAST PREFIX ...`), Redis
pushes the name of every key under them that is written, by anyone, to the connection that asked. A process
can then keep what it read of those keys and know when that stops being true, without asking Redis again.

Two mirrors use it: revoked logins (`app/core/revocation.py`) and the response cache's scope versions
(`app/core/cache_mirror.py`). Each `watch`es its prefix with a handler; the reports received so far are taken
in, without waiting, when a user enters `reports()`, which holds the lock its handlers run under, so a mirror
reads its state consistently. A tracking session is one connection's life: whatever a mirror learned before
the connection was lost may have missed reports, so mirrors start over when the session changes. Without a
working connection `reports()` yields None and the mirrors ask Redis, as if they did not exist.
"""

from __future__ import annotations

import logging
import select
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import redis
from flask import Flask

from app.core.adapters.redis_py import connection_socket, has_buffered_reply, set_invalidation_handler

log = logging.getLogger(__name__)
TRACKINGS = "key_tracking"  # app.extensions key: the process's KeyTracking per Redis URL
# Called with the key names (bytes) written under the watched prefix, or None when the database was flushed.
InvalidationHandler = Callable[[list[bytes] | None], None]


def key_tracking(app: Flask, url: str) -> KeyTracking:
    """The app's key tracking on the Redis server at `url` (one per server and process, made on first use)."""
    trackings = app.extensions.setdefault(TRACKINGS, {})
    tracking = trackings.get(url)
    if tracking is None:
        tracking = trackings[url] = KeyTracking(url)
    return tracking


class KeyTracking:
    """One RESP3 connection with broadcast key tracking on the watched prefixes, read without blocking."""

    RETRY_SECONDS = 5.0

    def __init__(self, url: str) -> None:
        self._pool = redis.ConnectionPool.from_url(url, protocol=3, socket_connect_timeout=2, socket_timeout=2)
        self._handlers: dict[bytes, InvalidationHandler] = {}
        self._connection: redis.Connection | None = None
        self._poller: select.poll | None = None  # the connection's socket, registered for reading
        self._session = 0  # bumped at every (re)connection
        self._lock = threading.Lock()
        self._retry_at = 0.0

    def watch(self, prefix: str, handler: InvalidationHandler) -> None:
        """Report the keys written under `prefix` to `handler` (a prefix may not contain another one)."""
        with self._lock:
            self._handlers[prefix.encode()] = handler
            self._close(retry_now=True)  # the next session tracks every prefix watched so far

    @contextmanager
    def reports(self) -> Iterator[int | None]:
        """Take in the reports received so far and hold the lock: yield the session, or None when not tracking."""
        with self._lock:
            yield self._drain()

    def _drain(self) -> int | None:
        if self._connection is None and not self._connect():
            return None
        try:
            while self._has_pending():
                self._connection.read_response(push_request=True)
        except (redis.RedisError, OSError):
            log.warning("Redis key tracking lost; asking Redis until it is back")
            self._close()
            return None
        return self._session

    def _has_pending(self) -> bool:
        """Whether a report waits in the reply parser or on the socket, looked at without waiting.

        Not `can_read(0)`: under gevent its poll yields to the hub, here while the lock is held.
        """
        if has_buffered_reply(self._connection):
            return True
        return bool(self._poller.poll(0))

    def _connect(self) -> bool:
        if not self._handlers or time.monotonic() < self._retry_at:
            return False
        connection = self._pool.make_connection()
        try:
            connection.connect()
            set_invalidation_handler(connection, self._on_invalidate)
            prefixes = [part for prefix in self._handlers for part in (b"PREFIX", prefix)]
            connection.send_command("CLIENT", "TRACKING", "ON", "BCAST", *prefixes)
            connection.read_response()
        except (redis.RedisError, OSError):
            log.warning("Redis key tracking unavailable; asking Redis instead", exc_info=True)
            connection.disconnect()
            self._retry_at = time.monotonic() + self.RETRY_SECONDS
            return False
        self._poller = _original_poll()  # made once per connection: a poll object per check cost as much as the rest
        self._poller.register(connection_socket(connection), select.POLLIN)
        self._connection, self._session = connection, self._session + 1
        return True

    def _close(self, *, retry_now: bool = False) -> None:
        if self._connection is not None:
            self._connection.disconnect()
        self._connection = self._poller = None
        self._retry_at = 0.0 if retry_now else time.monotonic() + self.RETRY_SECONDS

    def _on_invalidate(self, push: list) -> None:
        keys = push[1]  # None: the database was flushed
        if keys is None:
            for handler in self._handlers.values():
                handler(None)
            return
        for prefix, handler in self._handlers.items():
            written = [key for key in keys if isinstance(key, bytes) and key.startswith(prefix)]
            if written:
                handler(written)


def _original_poll() -> select.poll:
    """The operating system's poll(), also in a process gevent has patched (a zero timeout must not yield)."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey.get_original("select", "poll")() if monkey and monkey.is_module_patched("select") else select.poll()
