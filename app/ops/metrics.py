"""What `/metrics` reads at scrape time: worker job counters and lag histograms, queue depth, lags, DB pool."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterator

import redis
from flask import current_app, request
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from sqlalchemy.pool import QueuePool

from app.calendar import reminders
from app.chat import services as chat_services
from app.core import metrics
from app.core.columns import utcnow
from app.core.errors import Unauthorized
from app.core.redis import redis_client
from app.core.replica import replica_lag_seconds
from app.extensions import db

log = logging.getLogger(__name__)


class ScrapeCollector:
    """Reads the figures that live outside this process, each probe on its own (one failing skips only itself)."""

    def collect(self) -> Iterator[Metric]:
        """Yield every metric family this scrape could read."""
        for probe in (self._jobs, self._queue_depth, self._lags, self._pool, self._replica):
            try:
                yield from probe()
            except Exception as error:  # a scrape reports what it can; an outage shows in readyz and alerts
                log.warning("metrics probe %s failed: %s", probe.__name__, type(error).__name__)
                db.session.rollback()

    def _jobs(self) -> Iterator[Metric]:
        client = redis_client()
        if client is None:
            return
        counts, seconds = metrics.job_counts(client)
        jobs = CounterMetricFamily(
            "spotter_celery_jobs", "Celery jobs finished, by task and outcome.", labels=["task", "outcome"]
        )
        for (task, outcome), value in sorted(counts.items()):
            jobs.add_metric([task, outcome], value)
        spent = CounterMetricFamily("spotter_celery_job_seconds", "Seconds Celery jobs ran, by task.", labels=["task"])
        for task, value in sorted(seconds.items()):
            spent.add_metric([task], value)
        yield from (jobs, spent)
        for kind, name in (
            ("reminder", "spotter_reminder_sent_lag_seconds"),
            ("digest", "spotter_digest_sent_lag_seconds"),
        ):
            buckets, total = metrics.lag_histogram(client, kind)
            yield HistogramMetricFamily(
                name, f"Lag of each {kind} sent, from due to sent.", buckets=buckets, sum_value=total
            )

    def _queue_depth(self) -> Iterator[Metric]:
        celery = current_app.config["CELERY"]
        broker = celery.get("broker_url") or ""
        if not broker.startswith(("redis://", "rediss://")):
            return
        queue = celery.get("task_default_queue", "celery")
        client = redis.Redis.from_url(broker, socket_connect_timeout=1, socket_timeout=1)
        try:
            depth = GaugeMetricFamily(
                "spotter_celery_queue_depth", "Jobs waiting in the broker queue.", labels=["queue"]
            )
            depth.add_metric([queue], client.llen(queue))
            yield depth
        finally:
            client.close()

    def _lags(self) -> Iterator[Metric]:
        now = utcnow()
        for name, help_text, due_at in (
            (
                "spotter_reminder_lag_seconds",
                "Age of the oldest due reminder not sent yet (0: none).",
                reminders.oldest_due_fire_at(now),
            ),
            (
                "spotter_digest_lag_seconds",
                "Age of the oldest unread-message digest due and not sent (0: none).",
                chat_services.oldest_digest_due_at(now),
            ),
        ):
            yield GaugeMetricFamily(name, help_text, value=(now - due_at).total_seconds() if due_at else 0.0)

    def _pool(self) -> Iterator[Metric]:
        pool = db.engine.pool
        if isinstance(pool, QueuePool):
            yield GaugeMetricFamily(
                "spotter_db_pool_in_use",
                "Database connections lent out by this process's pool.",
                value=pool.checkedout(),
            )
            yield GaugeMetricFamily("spotter_db_pool_size", "Connections this process's pool keeps.", value=pool.size())

    def _replica(self) -> Iterator[Metric]:
        lag = replica_lag_seconds()
        if lag is not None:
            yield GaugeMetricFamily(
                "spotter_db_replica_lag_seconds",
                "How far the read replica's replay is behind (0: caught up).",
                value=lag,
            )


def check_token() -> None:
    """Refuse a scrape without `Authorization: Bearer <METRICS_TOKEN>` when a token is configured."""
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        return
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        raise Unauthorized("A valid metrics token is required.")


def exposition() -> bytes:
    """The Prometheus text of this process's instruments and of the scrape-time figures."""
    scraped = CollectorRegistry(auto_describe=False)
    scraped.register(ScrapeCollector())
    return generate_latest(metrics.registry) + generate_latest(scraped)
