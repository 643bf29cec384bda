"""Revoked logins as Redis reports them: one key-tracking connection per process (`RevocationWatch`).

The one module of the core that answers "was this login revoked?" (`login_revoked`). The accounts domain owns
the truth and registers it in the factory (`register_revocation_check`: its check and the prefix of the Redis
keys it writes when it revokes a login). With client-side key tracking on that prefix, Redis pushes the name
of every such key written to each process that asked, so requests and socket events are answered without a
round trip; without Redis, or while tracking is down, every check asks the accounts domain's check.
"""

from __future__ import annotations

import logging
import select
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
from flask import Flask, current_app

from app.core.adapters.redis_py import connection_socket, has_buffered_reply, set_invalidation_handler

log = logging.getLogger(__name__)
RevocationCheck = Callable[[dict[str, Any]], bool]  # a token's claims -> whether its login was revoked
CHECK = "revocation_check"
WATCH = "revocation_watch"


def register_revocation_check(app: Flask, check: RevocationCheck, key_prefix: str) -> None:
    """Register the domain's revocation check, and the process's watch of its Redis keys when there is Redis."""
    app.extensions[CHECK] = check
    if app.config.get("REDIS_URL"):
        app.extensions[WATCH] = RevocationWatch(app.config["REDIS_URL"], key_prefix, check)


def login_revoked(claims: dict[str, Any]) -> bool:
    """Whether a token's login was revoked: from the process's Redis key tracking when it runs, else asked."""
    watch = current_app.extensions.get(WATCH)
    if watch is not None:
        return watch.is_revoked(claims)
    return current_app.extensions[CHECK](claims)


def login_created(sid: str) -> None:
    """Tell the process's revocation watch that a login it just committed exists (it need not read it back)."""
    watch = current_app.extensions.get(WATCH)
    if watch is not None:
        watch.known_to_exist(sid)


class RevocationWatch:
    """Revoked logins as Redis reports them, so that a socket event need not ask Redis about its login.

    One RESP3 connection per process has key tracking on for the revoked-login keys (`CLIENT TRACKING ON
    BCAST PREFIX revoked-login:`): Redis pushes the name of every such key that is written, i.e. of every
    login revoked anywhere. A login is asked about in Redis once per tracking session (after tracking was on,
    so a later revocation is always reported); from then on its events read the reports, drained without
    blocking before each check. With no working tracking connection every check asks Redis, as before.
    """

    RETRY_SECONDS = 5.0
    MAX_LOGINS = 100_000  # beyond this many logins remembered, forget them all and ask Redis again

    def __init__(self, url: str, key_prefix: str, check: RevocationCheck | None = None):
        self._check = check or (lambda claims: current_app.extensions[CHECK](claims))  # None: the app's
        self._pool = redis.ConnectionPool.from_url(url, protocol=3, socket_connect_timeout=2, socket_timeout=2)
        self._prefix = key_prefix.encode()
        self._connection: redis.Connection | None = None
        self._poller: select.poll | None = None  # the connection's socket, registered for reading
        self._session = 0  # bumped at every (re)connection: what was checked before does not count
        self._checked: dict[str, int] = {}  # login id -> the tracking session it was asked about in
        self._revoked: set[str] = set()
        self._lock = threading.Lock()
        self._retry_at = 0.0

    def is_revoked(self, claims: dict) -> bool:
        """Tell whether a token's login is revoked, asking Redis only when the reports cannot tell."""
        sid = claims.get("sid")
        with self._lock:
            tracking = self._drain()
            if sid is not None and tracking is not None and self._checked.get(sid) == tracking:
                return sid in self._revoked
        revoked = self._check(claims)
        if sid is not None and tracking is not None and not revoked:
            with self._lock:
                if len(self._checked) >= self.MAX_LOGINS:  # bounded memory in a long-lived process
                    self._checked.clear()
                    self._revoked.clear()
                self._checked[sid] = tracking
        return revoked

    def known_to_exist(self, sid: str) -> None:
        """Record a login this process has just committed as checked (while tracking runs, reports follow)."""
        with self._lock:
            tracking = self._drain()
            if tracking is not None and len(self._checked) < self.MAX_LOGINS:
                self._checked[sid] = tracking

    def _drain(self) -> int | None:
        """Take in the reports received so far; return the tracking session, or None when not tracking."""
        if self._connection is None and not self._connect():
            return None
        try:
            while self._has_pending():
                self._connection.read_response(push_request=True)
        except (redis.RedisError, OSError):
            log.warning("revoked-login tracking lost; checking logins in Redis until it is back")
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
        if time.monotonic() < self._retry_at:
            return False
        connection = self._pool.make_connection()
        try:
            connection.connect()
            set_invalidation_handler(connection, self._on_invalidate)
            connection.send_command("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", self._prefix)
            connection.read_response()
        except (redis.RedisError, OSError):
            log.warning("revoked-login tracking unavailable; checking logins in Redis", exc_info=True)
            connection.disconnect()
            self._retry_at = time.monotonic() + self.RETRY_SECONDS
            return False
        self._poller = _original_poll()  # made once per connection: a poll object per check cost as much as the rest
        self._poller.register(connection_socket(connection), select.POLLIN)
        self._connection, self._session = connection, self._session + 1
        return True

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.disconnect()
        self._connection = self._poller = None
        self._retry_at = time.monotonic() + self.RETRY_SECONDS

    def _on_invalidate(self, push: list) -> None:
        keys = push[1] or []  # None: the database was flushed, which revokes nothing
        self._revoked.update(
            key[len(self._prefix) :].decode() for key in keys if isinstance(key, bytes) and key.startswith(self._prefix)
        )


def _original_poll() -> select.poll:
    """The operating system's poll(), also in a process gevent has patched (a zero timeout must not yield)."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey.get_original("select", "poll")() if monkey and monkey.is_module_patched("select") else select.poll()
