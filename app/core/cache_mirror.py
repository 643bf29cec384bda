"""The response cache's process-local tier: scope versions and answers this process has seen (`CacheMirror`).

A cached answer is valid while its scope's version in Redis is the one it was built under (see
app/core/response_cache.py). Asking Redis for that version on every hit is a round trip that costs about as
much CPU as the raw query it replaces. With Redis's key tracking on the version keys (app/core/key_tracking.py),
Redis pushes the name of every version key that is bumped to every process, so a process may keep the
versions it read and the answers it served, and serve a hit from memory until a report says the version moved.

The rules that keep it from ever serving a stale answer:
- A version is kept only while the tracking session that reported on it lasts; a new session (the connection
  was lost, so reports may have been missed) starts from nothing, and without tracking nothing is kept.
- A version read from Redis is kept only if no report came in between the `lookup` before the read and the
  `remember` after it (`Snapshot`): a bump that Redis made after answering the read is either reported before
  `remember` (then the read is not kept) or after (then the report drops it).
- A flush of the database drops every version; the process's own bumps drop its versions at once, without
  waiting for their reports.
Answers are kept at most `entries` at a time, least recently used first out; each carries the version it was
built under, so an answer of an older version is never served.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, NamedTuple

from app.core.key_tracking import KeyTracking


class Snapshot(NamedTuple):
    """What a lookup saw: the tracking session and how many reports had come in (`remember` compares)."""

    session: int
    reports: int


class CacheMirror:
    """Versions of cache scopes and cached answers, kept by this process while Redis reports no change."""

    def __init__(self, tracking: KeyTracking, version_prefix: str, entries: int) -> None:
        self._tracking = tracking
        self._prefix = version_prefix.encode()
        self._entries = entries
        self._session: int | None = None
        self._reports = 0
        self._versions: dict[str, Any] = {}  # scope -> its current version
        self._answers: OrderedDict[str, dict[str, Any]] = OrderedDict()  # entry key -> entry (with its version)
        tracking.watch(version_prefix, self._on_invalidate)

    def lookup(self, scope: str, key: str) -> tuple[Any, dict[str, Any] | None, Snapshot | None]:
        """The scope's version and the answer kept for `key` under it (None when unknown), and a snapshot for
        `remember` (None while nothing can be kept: no tracking)."""
        with self._tracking.reports() as session:
            if session != self._session:  # a new tracking session, or none: what was kept may have missed reports
                self._versions.clear()
                self._answers.clear()
                self._session = session
            if session is None:
                return None, None, None
            version = self._versions.get(scope)
            answer = self._answers.get(key)
            if answer is None or version is None or answer["version"] != version:
                return version, None, Snapshot(session, self._reports)
            self._answers.move_to_end(key)
            return version, answer, Snapshot(session, self._reports)

    def remember(self, snapshot: Snapshot | None, scope: str, version: Any) -> None:
        """Keep a version read from Redis after `lookup` took `snapshot`, unless a report came in meanwhile."""
        if snapshot is None:
            return
        with self._tracking.reports() as session:
            if Snapshot(session, self._reports) == snapshot:
                self._versions[scope] = version

    def keep(self, key: str, entry: dict[str, Any]) -> None:
        """Keep an answer (served under the version it carries) for the next lookups of `key`."""
        with self._tracking.reports() as session:
            if session is None or session != self._session:
                return
            self._answers[key] = entry
            self._answers.move_to_end(key)
            while len(self._answers) > self._entries:
                self._answers.popitem(last=False)

    def forget(self, scopes: list[str]) -> None:
        """Drop these scopes' versions now (this process bumped them; their reports will follow).

        A process that has never looked anything up (a Celery worker bumping after its writes) kept nothing
        and opens no tracking connection: one it never read would pile up every bump's report in Redis.
        """
        if self._session is None:
            return
        with self._tracking.reports():
            self._reports += 1
            for scope in scopes:
                self._versions.pop(scope, None)

    def _on_invalidate(self, keys: list[bytes] | None) -> None:
        self._reports += 1
        if keys is None:  # the database was flushed
            self._versions.clear()
            return
        for key in keys:
            self._versions.pop(key[len(self._prefix) :].decode(), None)


class NoMirror:
    """The mirror of a cache that needs none, or cannot have one: in-process backends, no key tracking."""

    def lookup(self, scope: str, key: str) -> tuple[None, None, None]:
        """Nothing is known: ask the cache."""
        return None, None, None

    def remember(self, snapshot: Snapshot | None, scope: str, version: Any) -> None:
        """Nothing is kept."""

    def keep(self, key: str, entry: dict[str, Any]) -> None:
        """Nothing is kept."""

    def forget(self, scopes: list[str]) -> None:
        """Nothing was kept."""
