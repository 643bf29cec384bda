"""Typed service errors and the one handler that renders every error as API.md's JSON shape."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import redis
from flask import Flask, current_app, g, jsonify
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)
# Outages of a dependency, not bugs: PostgreSQL unreachable or restarting, the pool's wait timed out, Redis down.
UNAVAILABLE = (OperationalError, PoolTimeout, redis.ConnectionError, redis.TimeoutError)


class AppError(Exception):
    """A failure a service reports to the caller; rendered with its HTTP status."""

    code = 400

    def __init__(self, message: str | None = None, *, errors: dict | None = None, headers: dict | None = None):
        super().__init__(message or HTTPStatus(self.code).description)
        self.message = message or HTTPStatus(self.code).description
        self.errors = errors
        self.headers = headers or {}


class BadRequest(AppError):
    code = 400


class Unauthorized(AppError):
    code = 401


class Forbidden(AppError):
    code = 403


class NotFound(AppError):
    code = 404


class Conflict(AppError):
    code = 409


class Gone(AppError):
    code = 410


class PayloadTooLarge(AppError):
    code = 413


class UnsupportedMediaType(AppError):
    code = 415


class Invalid(AppError):
    """A validation failure found by a service; `field` names it under the `json` location."""

    code = 422

    def __init__(self, message: str, *, field: str | None = None, location: str = "json", **kwargs: Any):
        errors = kwargs.pop("errors", None)
        if errors is None and field is not None:
            errors = {location: {field: [message]}}
        super().__init__(message, errors=errors, **kwargs)


class TooManyRequests(AppError):
    code = 429


class NotConfigured(AppError):
    """A feature that needs an outside service this server has not been configured for."""

    code = 501


class ServiceUnavailable(AppError):
    code = 503


UNAVAILABLE_RETRY_AFTER = 5  # seconds: Redis and the database reconnect by themselves


def service_unavailable() -> ServiceUnavailable:
    """The 503 for a server the API needs (the database or Redis) being unreachable, with `Retry-After`."""
    return ServiceUnavailable(
        "A service the API needs is temporarily unavailable; try again shortly.",
        headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)},
    )


def error_body(code: int, message: str | None = None, errors: dict | None = None) -> dict:
    """Build API.md's error JSON for a status code."""
    status = HTTPStatus(code)
    body: dict[str, Any] = {"code": code, "status": status.phrase, "message": message or status.description}
    if errors:
        body["errors"] = errors
    return body


def _json_error(code: int, message: str | None = None, errors: dict | None = None, headers: dict | None = None):
    response = jsonify(error_body(code, message, errors))
    response.status_code = code
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def handle_app_error(error: AppError):
    """Render a service error."""
    return _json_error(error.code, error.message, error.errors, error.headers)


def handle_http_exception(error: HTTPException):
    """Render a werkzeug/webargs HTTP error, keeping webargs' field messages."""
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages")
    message = data.get("message")
    if message is None:
        message = "Validation failed." if errors and error.code == 422 else error.description
    headers = dict(data.get("headers") or {})
    if error.code == 429:
        headers.update(_retry_after_headers(error))
    if error.code == 405 and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    return _json_error(error.code or 500, message, errors, headers)


def _retry_after_headers(error: HTTPException) -> dict:
    response = getattr(error, "response", None)
    if response is not None and response.headers.get("Retry-After"):
        return {"Retry-After": response.headers["Retry-After"]}
    limit = getattr(error, "limit", None)
    return {"Retry-After": str(int(limit.limit.get_expiry()))} if limit is not None else {}


def handle_integrity_error(error: IntegrityError):
    """A uniqueness or reference rule the database enforced: 409, never a 500."""
    from app.extensions import db

    db.session.rollback()
    log.info("integrity error: %s", error.orig)
    return _json_error(409, "The request conflicts with existing data.")


def handle_unavailable(error: Exception):
    """The database or Redis is unreachable (restarting, failing over, pool exhausted): 503 with `Retry-After`."""
    log.warning("dependency unavailable (request id %s): %s", g.get("request_id"), type(error).__name__)
    try:
        current_app.extensions["sqlalchemy"].session.rollback()  # the app's Flask-SQLAlchemy
    except Exception:  # the connection is gone; the session is discarded at teardown anyway
        log.debug("rollback after an outage failed", exc_info=True)
    return handle_app_error(service_unavailable())


def handle_unexpected(error: Exception):
    """Log an unexpected failure with the request id; answer a plain 500."""
    log.exception("unhandled error (request id %s)", g.get("request_id"))
    return _json_error(500, "The server hit an unexpected error; it has been logged.")


def register_error_handlers(app: Flask) -> None:
    """Route every failure through the one JSON error shape."""
    app.register_error_handler(AppError, handle_app_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    for unavailable in UNAVAILABLE:
        app.register_error_handler(unavailable, handle_unavailable)
    app.register_error_handler(Exception, handle_unexpected)
