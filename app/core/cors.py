"""Cross-origin browsers: one allowed-origins list (`CORS_ALLOWED_ORIGINS`) for REST (Flask-CORS) and Socket.IO."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask_cors import CORS

# Response headers a script on another origin may read (pagination, request tracing, caching, rate limits).
EXPOSED_HEADERS = ["X-Pagination", "X-Request-ID", "ETag", "Retry-After"]
PREFLIGHT_MAX_AGE = 600  # seconds a browser may reuse a preflight answer


def parse_origins(value: str | None) -> list[str]:
    """Split a comma-separated origins setting into origins (`scheme://host[:port]`, no trailing slash)."""
    return [origin.strip().rstrip("/") for origin in (value or "").split(",") if origin.strip()]


def init_cors(app: Flask, origins: list[str]) -> None:
    """Answer preflights and add CORS headers to `/api/` responses for the allowed origins (none: no CORS).

    Requests carry a bearer token, not cookies, so no origin is ever granted credentials, and `*` answers
    with a literal `*` rather than echoing the caller's origin.
    """
    if not origins:
        return
    CORS(
        app,
        resources={r"/api/*": {}},
        origins="*" if "*" in origins else origins,
        send_wildcard="*" in origins,
        supports_credentials=False,
        expose_headers=EXPOSED_HEADERS,
        max_age=PREFLIGHT_MAX_AGE,
        always_send=False,  # no Origin, no CORS headers (and the list is not advertised)
    )


def socket_origin_check(origins: list[str]) -> Callable[[str | None, dict[str, Any]], bool]:
    """Engine.IO's origin check for the same list: the server's own origin, and the listed ones.

    A browser on an origin not in the list is refused on every transport (the polling transport would
    otherwise echo its Origin back).
    """
    allow_any = "*" in origins
    allowed = {origin.lower() for origin in origins}

    def allowed_origin(origin: str | None, environ: dict[str, Any]) -> bool:
        if origin is None:
            return True  # not a browser's cross-origin request
        origin = origin.lower()
        # The page's own host (the scheme is left out: behind a TLS-ending proxy the server sees http).
        same_host = origin.partition("://")[2] == environ.get("HTTP_HOST", "").lower()
        return allow_any or same_host or origin in allowed

    return allowed_origin
