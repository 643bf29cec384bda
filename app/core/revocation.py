"""Revoked logins as Redis reports them: a mirror over the process's key tracking (`RevocationWatch`).

The one module of the core that answers "was this login revoked?" (`login_revoked`). The accounts domain owns
the truth and registers it in the factory (`register_revocation_check`: its check and the prefix of the Redis
keys it writes when it revokes a login). With client-side key tracking on that prefix (app/core/key_tracking.py),
Redis pushes the name of every such key written to each process, so requests and socket events are answered
without a round trip; without Redis, or while tracking is down, every check asks the accounts domain's check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app

from app.core.key_tracking import KeyTracking, key_tracking

RevocationCheck = Callable[[dict[str, Any]], bool]  # a token's claims -> whether its login was revoked
CHECK = "revocation_check"
WATCH = "revocation_watch"


def register_revocation_check(app: Flask, check: RevocationCheck, key_prefix: str) -> None:
    """Register the domain's revocation check, and the process's watch of its Redis keys when there is Redis."""
    app.extensions[CHECK] = check
    if app.config.get("REDIS_URL"):
        app.extensions[WATCH] = RevocationWatch(key_tracking(app, app.config["REDIS_URL"]), key_prefix, check)


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
    """Revoked logins as Redis reports them, so that a request or socket event need not ask Redis about its login.

    The process's key tracking watches the revoked-login keys (`revoked-login:`): Redis pushes the name of
    every such key that is written, i.e. of every login revoked anywhere. A login is asked about in Redis once
    per tracking session (after tracking was on, so a later revocation is always reported); from then on its
    checks read the reports. With no working tracking connection every check asks Redis, as before.
    """

    MAX_LOGINS = 100_000  # beyond this many logins remembered, forget them all and ask Redis again

    def __init__(self, tracking: KeyTracking, key_prefix: str, check: RevocationCheck | None = None):
        self._check = check or (lambda claims: current_app.extensions[CHECK](claims))  # None: the app's
        self.tracking = tracking
        self._prefix = key_prefix.encode()
        self._checked: dict[str, int] = {}  # login id -> the tracking session it was asked about in
        self._revoked: set[str] = set()
        tracking.watch(key_prefix, self._on_invalidate)

    def is_revoked(self, claims: dict) -> bool:
        """Tell whether a token's login is revoked, asking Redis only when the reports cannot tell."""
        sid = claims.get("sid")
        with self.tracking.reports() as session:
            if sid is not None and session is not None and self._checked.get(sid) == session:
                return sid in self._revoked
        revoked = self._check(claims)
        if sid is not None and session is not None and not revoked:
            with self.tracking.reports():
                if len(self._checked) >= self.MAX_LOGINS:  # bounded memory in a long-lived process
                    self._checked.clear()
                    self._revoked.clear()
                self._checked[sid] = session
        return revoked

    def known_to_exist(self, sid: str) -> None:
        """Record a login this process has just committed as checked (while tracking runs, reports follow)."""
        with self.tracking.reports() as session:
            if session is not None and len(self._checked) < self.MAX_LOGINS:
                self._checked[sid] = session

    def _on_invalidate(self, keys: list[bytes] | None) -> None:
        if keys is None:  # the database was flushed, which revokes nothing
            return
        self._revoked.update(key[len(self._prefix) :].decode() for key in keys)
