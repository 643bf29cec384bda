"""JSON log lines and the X-Request-ID every response carries (and the Celery jobs a request publishes)."""

from __future__ import annotations

import logging
import os
import re
import sys
import time

from flask import Flask, Response, g, has_app_context, request
from pythonjsonlogger.json import JsonFormatter

from app.core.auth import current_identity

REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
access_log = logging.getLogger("spotter.access")


class RequestContextFilter(logging.Filter):
    """Stamp each record with the current request id (when there is one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


def current_request_id() -> str | None:
    """The id of the request, or Celery job, this code runs for (None outside both)."""
    return g.get("request_id") if has_app_context() else None


def configure_logging(level: str) -> None:
    """Send every log record to stdout as one JSON line."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", rename_fields={"levelname": "level"})
    )
    handler.addFilter(RequestContextFilter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "spotter", False):
            root.removeHandler(existing)
    handler.spotter = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("alembic.runtime.plugins", "kombu.connection"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


def new_request_id() -> str:
    """32 random hex digits (as a uuid4's hex, without building a UUID on every request)."""
    return os.urandom(16).hex()


def register_request_logging(app: Flask) -> None:
    """Give every request an id (echoing a valid incoming one) and log one line per response."""

    @app.before_request
    def _start() -> None:
        incoming = request.environ.get("HTTP_X_REQUEST_ID")
        g.request_id = incoming if incoming and REQUEST_ID_RE.match(incoming) else new_request_id()
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        request_id = g.get("request_id") or new_request_id()
        response.headers["X-Request-ID"] = request_id
        if not access_log.isEnabledFor(logging.INFO):
            return response
        started = g.get("request_started")
        access_log.info(
            "request",
            extra={
                "request_id": request_id,
                "user_id": _user_id(),
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
            },
        )
        return response


def _user_id() -> str | None:
    return current_identity()
