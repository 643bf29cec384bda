"""redis-py internals Redis key tracking relies on (app/core/key_tracking.py; tests/core/test_adapters.py pins them).

Client-side key tracking on one connection needs its push handler, its socket (polled without blocking) and
the reply parser's buffer; redis-py exposes them only as `Connection._parser` and `Connection._sock`.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import redis


def set_invalidation_handler(connection: redis.Connection, handler: Callable[[list], Any]) -> None:
    """Have a RESP3 connection call `handler` with every invalidation push it reads."""
    connection._parser.set_invalidation_push_handler(handler)


def connection_socket(connection: redis.Connection) -> socket.socket:
    """The connected socket of a connection (for a poll that must not block)."""
    return connection._sock


def has_buffered_reply(connection: redis.Connection) -> bool:
    """Whether hiredis's parser already holds a parsed reply (the socket would not show it as readable)."""
    reader = getattr(connection._parser, "_reader", None)
    return reader is not None and reader.has_data()
