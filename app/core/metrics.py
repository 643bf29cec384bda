"""Prometheus instruments of this process (requests, sockets) and the job counters workers keep in Redis.

Web processes count their own requests and sockets in memory: a scrape of a process reads its own figures.
Celery workers count jobs in a Redis hash (`JOBS_KEY`), which `/metrics` of any web process reports: a worker
dyno has no port to scrape and no folder shared with the web dynos, so prometheus_client's multiprocess mode
(one folder of mmapped files per host) could not join them; Redis already does.
"""

from __future__ import annotations

import logging
import time

import redis
from flask import Flask, Response, g, request
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics

log = logging.getLogger(__name__)

disable_created_metrics()  # no `_created` twin of every series: Prometheus does not need them
registry = CollectorRegistry(auto_describe=True)
UNMATCHED_ROUTE = "<unmatched>"
JOBS_KEY = "spotter:metrics:jobs"  # hash "<task>|<outcome>" -> count
JOB_SECONDS_KEY = "spotter:metrics:job_seconds"  # hash "<task>" -> seconds spent

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
        labels = (request.method, route_label(), str(response.status_code))
        http_requests.labels(*labels).inc()
        if started is not None:
            http_latency.labels(*labels).observe(time.perf_counter() - started)
        return response


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
