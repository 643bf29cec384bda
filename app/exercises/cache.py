"""Response cache of the exercise library (Flask-Caching) with ETags and a library version.

Every GET of the library is stored under its path and full (sorted) query string together with
the library version it was built from. A write bumps the version after its commit; an entry
whose version is not the current one is a miss, so no list is ever served stale, even when a
slow request that started before the write stores its result after it. A hit costs one cache
round trip (`MGET version entry`) and no SQL; argument parsing is skipped because only valid
queries (200 answers) are ever stored.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, current_app, request

from app.core.db import after_commit
from app.extensions import cache, db

log = logging.getLogger(__name__)

VERSION_KEY = "exercises:version"
KEPT_HEADERS = ("X-Pagination",)


def _entry_key() -> str:
    query = "&".join(f"{k}={v}" for k, v in sorted(request.args.items(multi=True)))
    return f"exercises:{request.path}?{query}"


def _not_modified(etag: str) -> Response | None:
    if request.if_none_match and request.if_none_match.contains_weak(etag):
        response = current_app.response_class(status=304)
        response.set_etag(etag)
        return response
    return None


def _respond(entry: dict[str, Any]) -> Response:
    response = _not_modified(entry["etag"])
    if response is not None:
        return response
    response = current_app.response_class(entry["body"], status=200, mimetype="application/json")
    response.headers.extend(entry["headers"])
    response.set_etag(entry["etag"])
    return response


def _etag(body: bytes, headers: dict[str, str]) -> str:
    digest = hashlib.sha1(body, usedforsecurity=False)
    for name in KEPT_HEADERS:
        digest.update(headers.get(name, "").encode())
    return digest.hexdigest()


def cached_library_response(view: Callable[..., Any]) -> Callable[..., Any]:
    """Serve a library GET from the cache, or build it and store it; answer 304 on a matching ETag."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = _entry_key()
        version, entry = cache.get_many(VERSION_KEY, key)
        if version is None:
            version = _start_version()
        if entry is not None and entry.get("version") == version:
            return _respond(entry)
        response = current_app.make_response(view(*args, **kwargs))
        if response.status_code != 200:
            return response
        body = response.get_data()
        headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
        entry = {"version": version, "body": body, "headers": headers, "etag": _etag(body, headers)}
        cache.set(key, entry)
        return _respond(entry)

    return wrapper


def invalidate_library() -> None:
    """Make every cached library answer stale once the current transaction commits."""
    after_commit(db.session, bump_version)


def _start_version() -> int:
    """Start a version that no stored entry can carry (the key was never set, flushed or evicted)."""
    version = time.time_ns()
    cache.add(VERSION_KEY, version, timeout=0)
    return version


def bump_version() -> None:
    """Move the library to a new version now (cached answers of older versions are misses)."""
    try:
        backend = cache.cache
        if hasattr(backend, "_write_client"):  # Redis: an atomic INCR on a key that never expires
            if cache.get(VERSION_KEY) is None:
                _start_version()
            backend.inc(VERSION_KEY)
        else:  # in-process backends (development): their `inc` would give the key the default timeout
            cache.set(VERSION_KEY, (cache.get(VERSION_KEY) or time.time_ns()) + 1, timeout=0)
    except Exception:  # runs after the commit: the write stands, so report rather than fail the request
        log.exception("could not invalidate the exercise library cache")
