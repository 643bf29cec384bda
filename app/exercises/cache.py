"""The exercise library's response cache: one scope, made stale by any write to the library."""

from __future__ import annotations

from app.core import response_cache

SCOPE = "exercises"
VERSION_KEY = response_cache.version_key(SCOPE)

# The library reads the same for every signed-in user: no per-user part in the key.
cached_library_response = response_cache.cached_response(lambda **kwargs: (SCOPE, ""))


def invalidate_library() -> None:
    """Make every cached library answer stale once the current transaction commits."""
    response_cache.invalidate(SCOPE)


def bump_version() -> None:
    """Move the library to a new version now (cached answers of older versions are misses)."""
    response_cache.bump_version(SCOPE)
