"""Prometheus instruments of this process (requests, sockets) and the job counters workers keep in Redis.

Web processes count their own requests and sockets in memory: a scrape of a process reads its own figures.
Celery workers count jobs in a Redis hash (`JOBS_KEY`), which `/metrics` of any web process reports: a worker
dyno has no port to scrape and no folder shared with the web dynos, so prometheus_client's multiprocess mode
(one folder of mmapped files per host) could not join them; Redis already does. The lag of each reminder
and digest sent (due → sent) goes the same way: a Redis hash per histogram (`LAG_KEY`), fixed buckets.
"""

from __future__ import annotations

import logging
import time
from collections import Counter as Tally
from collections.abc import Iterable

import redis
from flask import Flask, Response, g, request
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics
from prometheus_client.utils import floatToGoString

from app.core.redis import redis_client
from app.core.unit_of_work import after_commit
from app.extensions import db

log = logging.getLogger(__name__)

disable_created_metrics()  # no `_created` twin of every series: Prometheus does not need them
registry = CollectorRegistry(auto_describe=True)
UNMATCHED_ROUTE = "<unmatched>"
JOBS_KEY = "spotter:metrics:jobs"  # hash "<task>|<outcome>" -> count
JOB_SECONDS_KEY = "spotter:metrics:job_seconds"  # hash "<task>" -> seconds spent
LAG_KEY = "spotter:metrics:lag:{kind}"  # hash "<bucket le>" -> count (not cumulative), "sum" -> seconds
# Upper bounds (seconds) of the due → sent lag buckets; beat runs the senders every minute.
LAG_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, float("inf"))

http_requests = Counter(
    "spotter_http_requests_total",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
    registry=registry,
)
http_latency = Histogram(
    "spotter_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route template and status.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=registry,
)
socket_connections = Gauge(
    "spotter_socketio_connections", "Authenticated Socket.IO connections open in this process.", registry=registry
)
socket_events = Counter(
    "spotter_socketio_events_total",
    "Socket.IO client events handled, by event and outcome (ok or the error code).",
    ["event", "outcome"],
    registry=registry,
)


def route_label() -> str:
    """The matched route's template (`/api/users/<id:user_id>`), never the raw path."""
    rule = request.url_rule
    return rule.rule if rule is not None else UNMATCHED_ROUTE


def register_request_metrics(app: Flask) -> None:
    """Count and time every request by method, route template and status."""

    @app.before_request
    def _start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.get("metrics_started")
        count, latency = _request_series(request.method, route_label(), response.status_code)
        count.inc()
        if started is not None:
            latency.observe(time.perf_counter() - started)
        return response


# The request counter's and histogram's child for each (method, route, status), looked up once: `labels()`
# validates and locks on every call (prometheus_client's documentation suggests keeping the child). A few
# hundred entries at most: routes are templates, never raw paths.
_SERIES: dict[tuple[str, str, int], tuple] = {}


def _request_series(method: str, route: str, status: int) -> tuple:
    series = _SERIES.get((method, route, status))
    if series is None:
        labels = (method, route, str(status))
        series = _SERIES[method, route, status] = (http_requests.labels(*labels), http_latency.labels(*labels))
    return series


def socket_connected() -> None:
    """Count an accepted Socket.IO connection."""
    socket_connections.inc()


def socket_disconnected() -> None:
    """Count a closed Socket.IO connection."""
    socket_connections.dec()


def socket_event(event: str, outcome: str) -> None:
    """Count one handled Socket.IO event."""
    socket_events.labels(event, outcome).inc()


def record_job(client: redis.Redis | None, task: str, outcome: str, seconds: float) -> None:
    """Add one finished Celery job to the Redis counters; a Redis failure loses the count, never the job."""
    if client is None:
        return
    try:
        pipe = client.pipeline(transaction=False)
        pipe.hincrby(JOBS_KEY, f"{task}|{outcome}", 1)
        pipe.hincrbyfloat(JOB_SECONDS_KEY, task, seconds)
        pipe.execute()
    except redis.RedisError as error:
        log.warning("job metrics not recorded: %s", type(error).__name__)


def job_counts(client: redis.Redis) -> tuple[dict[tuple[str, str], int], dict[str, float]]:
    """Read the job counters: {(task, outcome): count} and {task: seconds}."""
    counts = {}
    for field, value in client.hgetall(JOBS_KEY).items():
        task, _, outcome = field.decode().rpartition("|")
        counts[(task, outcome)] = int(value)
    seconds = {field.decode(): float(value) for field, value in client.hgetall(JOB_SECONDS_KEY).items()}
    return counts, seconds


def lag_bucket(seconds: float) -> str:
    """The `le` label of the lag bucket `seconds` falls into."""
    return floatToGoString(next(bound for bound in LAG_BUCKETS if seconds <= bound))


def observe_lags(kind: str, lags: Iterable[float]) -> None:
    """Add the due → sent lags of what this unit of work sent to the `kind` histogram once it commits."""
    lags = list(lags)
    if lags:
        after_commit(db.session, lambda: record_lags(redis_client(), kind, lags))


def record_lags(client: redis.Redis | None, kind: str, lags: list[float]) -> None:
    """Add lags (seconds) to the `kind` histogram in Redis; a Redis failure loses them, never the send."""
    if client is None:
        return
    key = LAG_KEY.format(kind=kind)
    try:
        pipe = client.pipeline(transaction=False)
        for bucket, count in Tally(lag_bucket(max(lag, 0.0)) for lag in lags).items():
            pipe.hincrby(key, bucket, count)
        pipe.hincrbyfloat(key, "sum", sum(max(lag, 0.0) for lag in lags))
        pipe.execute()
    except redis.RedisError as error:
        log.warning("lag metrics not recorded: %s", type(error).__name__)


def lag_histogram(client: redis.Redis, kind: str) -> tuple[list[tuple[str, int]], float]:
    """Read the `kind` histogram: cumulative (le, count) pairs over every bucket, and the sum of the lags."""
    stored = {field.decode(): value for field, value in client.hgetall(LAG_KEY.format(kind=kind)).items()}
    buckets, seen = [], 0
    for bound in LAG_BUCKETS:
        le = floatToGoString(bound)
        seen += int(stored.get(le, 0))
        buckets.append((le, seen))
    return buckets, float(stored.get("sum", 0.0))
