"""Error tracking with sentry-sdk when SENTRY_DSN is set, scrubbed before anything leaves the process.

Nothing personal goes out: no request bodies, cookies, query strings or headers but a short allow-list, no
local variables, no user but the id; every string is searched for email addresses, and values under keys
that carry credentials or health data are replaced, wherever they sit in the event (messages, breadcrumbs,
extras, exception values).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

FILTERED = "[Filtered]"
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# Keys (any word of them) whose values never leave: credentials, contact data, and health figures.
SENSITIVE_WORDS = frozenset(
    [
        "password",
        "passwd",
        "secret",
        "token",
        "authorization",
        "auth",
        "cookie",
        "session",
        "email",
        "phone",
        "birth",
        "weight",
        "height",
        "fat",
        "bmi",
        "reps",
        "measurement",
        "measurements",
        "heart",
        "notes",
        "note",
        "content",
        "bio",
        "credentials",
        "dsn",
        "key",
    ]
)
WORD_SPLIT = re.compile(r"[^a-z0-9]+")
# In free text (exception values, log messages): decimals (weights, body fat, distances; ids are integers and
# stay) and the `Key (column)=(value)` details PostgreSQL puts in constraint errors.
FREE_TEXT_VALUES = re.compile(r"\b\d+\.\d+\b|(?<=\)=\()[^)]*")
KEPT_HEADERS = {"user-agent", "x-request-id", "content-type", "content-length", "host"}


def init_sentry(app: Flask) -> bool:
    """Start the SDK with Flask and Celery (beat check-ins) integrations; False when no SENTRY_DSN is set."""
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return False
    # The SDK is imported only when a DSN is set: with its integrations (and the gevent and anyio it pulls in)
    # it costs every process ~12 MB of memory (bench/RESULTS.md, "Data export").
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.flask import FlaskIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=app.config.get("ENV_NAME"),
        release=app.config.get("SENTRY_RELEASE") or None,
        integrations=[FlaskIntegration(), CeleryIntegration(monitor_beat_tasks=True)],
        # Not the ones it would switch on by itself: its SQLAlchemy hook breaks on statements run without an
        # execution context (DirectStatement, app/core/direct_sql.py, as SQLAlchemy's events allow), and tracing
        # each query and Redis call is cost we do not want on the hot paths.
        auto_enabling_integrations=False,
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=app.config.get("SENTRY_TRACES_SAMPLE_RATE", 0.0),
        before_send=scrub_event,
        before_send_transaction=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
    )
    return True


def scrub_event(event: dict[str, Any], _hint: Any = None) -> dict[str, Any]:
    """Strip what could identify a person or tell their health from an event."""
    request = event.get("request")
    if isinstance(request, dict):
        for part in ("data", "cookies", "query_string", "env"):
            request.pop(part, None)
        headers = request.get("headers") or {}
        request["headers"] = {name: value for name, value in headers.items() if name.lower() in KEPT_HEADERS}
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    for exception in (event.get("exception") or {}).get("values") or []:
        exception["value"] = scrub_text(exception.get("value"))
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    event["message"] = scrub_text(event.get("message"))
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        logentry.update(message=scrub_text(logentry.get("message")), formatted=scrub_text(logentry.get("formatted")))
        logentry.pop("params", None)
    for thread in (event.get("threads") or {}).get("values") or []:
        for frame in (thread.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    return scrub_value(event)


def scrub_breadcrumb(crumb: dict[str, Any], _hint: Any = None) -> dict[str, Any]:
    """Scrub a breadcrumb as an event is scrubbed."""
    crumb["message"] = scrub_text(crumb.get("message"))
    return scrub_value(crumb)


def scrub_text(text: Any) -> Any:
    """Filter the values free text may carry (decimals, constraint details); emails go in `scrub_value`."""
    return FREE_TEXT_VALUES.sub(FILTERED, text) if isinstance(text, str) else text


def scrub_value(value: Any, key: str = "") -> Any:
    """Replace sensitive keys' values and email addresses, recursively."""
    if key and value not in (None, "", [], {}) and not SENSITIVE_WORDS.isdisjoint(WORD_SPLIT.split(key.lower())):
        return FILTERED
    if isinstance(value, dict):
        return {k: scrub_value(v, k if isinstance(k, str) else "") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_value(item) for item in value]
    if isinstance(value, str):
        return EMAIL_RE.sub(FILTERED, value)
    return value
