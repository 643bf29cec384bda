"""Revoked logins as Redis reports them: one key-tracking connection per process (`RevocationWatch`).

Revoking a login writes `revoked-login:<sid>` in Redis (`accounts.services._mark_revoked`). With client-side
key tracking on that prefix, Redis pushes the name of every such key written to each process that asked, so
`auth.login_revoked` answers requests and socket events without a round trip.
"""

from __future__ import annotations

import logging
import select
import sys
import threading
import time

import redis
from flask import Flask

log = logging.getLogger(__name__)


def register_revocation_watch(app: Flask) -> None:
    """Give the app its process's watch when it has Redis (without, every check asks the database)."""
    from app.accounts import services as accounts_services

    if app.config.get("REDIS_URL"):
        app.extensions["revocation_watch"] = RevocationWatch(
            app.config["REDIS_URL"], accounts_services.REVOKED_KEY.format("")
        )


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

    def __init__(self, url: str, key_prefix: str):
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
        from app.accounts import services as accounts_services  # only on the slow path: imports cost per call

        revoked = accounts_services.is_login_revoked(claims)
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
        reader = getattr(self._connection._parser, "_reader", None)  # hiredis's buffer of parsed replies
        if reader is not None and reader.has_data():
            return True
        return bool(self._poller.poll(0))

    def _connect(self) -> bool:
        if time.monotonic() < self._retry_at:
            return False
        connection = self._pool.make_connection()
        try:
            connection.connect()
            connection._parser.set_invalidation_push_handler(self._on_invalidate)
            connection.send_command("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", self._prefix)
            connection.read_response()
        except (redis.RedisError, OSError):
            log.warning("revoked-login tracking unavailable; checking logins in Redis", exc_info=True)
            connection.disconnect()
            self._retry_at = time.monotonic() + self.RETRY_SECONDS
            return False
        self._poller = _original_poll()  # made once per connection: a poll object per check cost as much as the rest
        self._poller.register(connection._sock, select.POLLIN)
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
