"""Cached GET responses (Flask-Caching) with ETags, made stale by bumping a version per scope.

A scope is what a write can change: the whole exercise library ("exercises"), or one athlete's training
("training:42"). Every answer is stored under its scope, path, full (sorted) query string and a "vary"
string (what else the answer depends on, e.g. the caller's time zone), together with the scope's version
at the time it was built. A write bumps the scope's version after its commit; an entry carrying another
version is a miss, so no answer is ever served stale, even when a slow request that started before the
write stores its result after it. A hit costs no SQL, and at most one Redis round trip (the version and the
entry in one `MGET`): with Redis, each process also keeps the versions and answers it has seen while Redis's
key tracking reports no bump of them (app/core/cache_mirror.py), so a repeated hit costs no round trip at all.
Argument parsing is skipped on a hit because only valid queries (200 answers) are ever stored.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from flask import Flask, Response, current_app, request
from werkzeug.http import quote_etag

from app.core.adapters.flask_caching import redis_client
from app.core.cache_mirror import CacheMirror, NoMirror
from app.core.key_tracking import key_tracking
from app.core.unit_of_work import after_commit, current_unit_of_work, replica_in_use
from app.extensions import cache, db

log = logging.getLogger(__name__)

KEPT_HEADERS = ("X-Pagination",)
KeyParts = Callable[..., tuple[str, str]]  # view kwargs -> (scope, vary); may raise (e.g. 403/404)
MIRROR = "response_cache_mirror"  # app.extensions key
VERSIONS = "version:"  # the prefix of the version keys, which the mirror's key tracking watches


def init_response_cache(app: Flask) -> None:
    """Give the app's Redis-backed cache its process-local mirror (RESPONSE_CACHE_LOCAL_ENTRIES answers; 0: none)."""
    with app.app_context():
        backend = cache.cache
    entries = app.config["RESPONSE_CACHE_LOCAL_ENTRIES"]
    url = app.config.get("CACHE_REDIS_URL")
    if redis_client(backend) is None or not url or entries <= 0:
        app.extensions[MIRROR] = NoMirror()
        return
    app.extensions[MIRROR] = CacheMirror(key_tracking(app, url), backend.key_prefix + VERSIONS, entries)


def version_key(scope: str) -> str:
    """The cache key holding a scope's current version."""
    return VERSIONS + scope


def _entry_key(scope: str, vary: str) -> str:
    # The raw query's parameters, sorted: the same query in another order is the same entry.
    query = "&".join(sorted(request.query_string.decode("latin-1").split("&")))
    return f"{scope}:{request.path}?{query}" + (f"|{vary}" if vary else "")


def _not_modified(etag: str) -> Response | None:
    if "HTTP_IF_NONE_MATCH" in request.environ and request.if_none_match.contains_weak(etag):
        response = current_app.response_class(status=304)
        response.set_etag(etag)
        return response
    return None


def _respond(entry: dict[str, Any]) -> Response:
    response = _not_modified(entry["etag"])
    if response is not None:
        return response
    headers = {**entry["headers"], "ETag": quote_etag(entry["etag"])}
    return current_app.response_class(entry["body"], status=200, headers=headers, content_type="application/json")


def _etag(body: bytes, headers: dict[str, str]) -> str:
    digest = hashlib.sha1(body, usedforsecurity=False)
    for name in KEPT_HEADERS:
        digest.update(headers.get(name, "").encode())
    return digest.hexdigest()


def cached_response(key_parts: KeyParts) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Serve a GET from the cache or build and store it; answer 304 on a matching ETag.

    `key_parts(**view_kwargs)` names the scope and the vary string; it runs first on every request, so it is
    where a per-object permission check belongs (a hit must not skip it).
    """

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            scope, vary = key_parts(**kwargs)
            key = _entry_key(scope, vary)
            mirror = _mirror()
            version, entry, snapshot = mirror.lookup(scope, key)
            if entry is not None:
                return _respond(entry)
            if version is None:
                version, entry = cache.get_many(version_key(scope), key)
                if version is None:
                    version = _start_version(scope)
                else:
                    mirror.remember(snapshot, scope, version)
            else:
                entry = cache.get(key)
            if entry is not None and entry.get("version") == version:
                mirror.keep(key, entry)
                return _respond(entry)
            current_unit_of_work().run_without_transaction(db.session)  # a cacheable answer is built by reads alone
            response = current_app.make_response(view(*args, **kwargs))
            # An answer read on a replica may predate the version it would be stored under: served, not stored.
            if response.status_code != 200 or replica_in_use() is not None:
                return response
            body = response.get_data()
            headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
            entry = {"version": version, "body": body, "headers": headers, "etag": _etag(body, headers)}
            cache.set(key, entry)
            mirror.keep(key, entry)
            not_modified = _not_modified(entry["etag"])
            if not_modified is not None:
                return not_modified
            response.set_etag(entry["etag"])  # the answer as built: what `_respond` would rebuild from the entry
            return response

        return wrapper

    return decorator


def _mirror() -> CacheMirror | NoMirror:
    return current_app.extensions[MIRROR]


def invalidate(*scopes: str) -> None:
    """Make every cached answer of these scopes stale once the current transaction commits."""
    if scopes:
        after_commit(db.session, lambda: bump_versions(scopes))


def _start_version(scope: str) -> int:
    """Start a version that no stored entry can carry (the key was never set, flushed or evicted)."""
    version = time.time_ns()
    cache.add(version_key(scope), version, timeout=0)
    return version


def bump_version(scope: str) -> None:
    """Move a scope to a new version now (cached answers of older versions are misses)."""
    bump_versions([scope])


def bump_versions(scopes: Iterable[str]) -> None:
    """Move scopes to new versions now, in one round trip with Redis (a write may touch many users' lists)."""
    scopes = list(scopes)
    keys = [version_key(scope) for scope in scopes]
    try:
        backend = cache.cache
        client = redis_client(backend)
        if client is not None:  # Redis: start a version if the key is gone, then INCR it
            with client.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.set(backend.key_prefix + key, time.time_ns(), nx=True)  # ints are stored as is
                    pipe.incr(backend.key_prefix + key)
                pipe.execute()
        else:  # in-process backends (development): their `inc` would give the key the default timeout
            for key in keys:
                cache.set(key, (cache.get(key) or time.time_ns()) + 1, timeout=0)
    except Exception:  # runs after the commit: the write stands, so report rather than fail the request
        log.exception("could not invalidate cached answers of %s", keys)
    _mirror().forget(scopes)  # this process's next reads ask Redis at once; the bump's report reaches the others
