"""Flask-Caching internals the response cache relies on (tests/core/test_adapters.py pins them).

Flask-Caching's Redis backend offers no pipeline: `redis_client` reaches its redis-py client (the backend's
`_write_client`, the one `set` and `inc` use) so that many scopes' versions are bumped in one round trip.
"""

from __future__ import annotations

from typing import Any

import redis


def redis_client(backend: Any) -> redis.Redis | None:
    """The redis-py client a Flask-Caching backend writes through, or None for a backend without Redis."""
    client = getattr(backend, "_write_client", None)
    return client if isinstance(client, redis.Redis) else None
