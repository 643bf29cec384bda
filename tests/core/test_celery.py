"""The request id travels from a request into the Celery jobs it publishes, their log lines and their own jobs."""

from __future__ import annotations

import json
import logging

import pytest
from celery import shared_task

from app.core.celery import REQUEST_ID_HEADER
from app.core.logging import RequestContextFilter, current_request_id
from app.core.redis import redis_client
from tests.conftest import wait_for

SEEN_KEY = "test:request-ids"


@shared_task(name="test_only.remember_request_id")
def remember_request_id(hops: int) -> None:
    """Record the id this job runs under, then publish one more job (a chain of `hops`)."""
    redis_client().rpush(SEEN_KEY, current_request_id() or "")
    if hops > 1:
        remember_request_id.delay(hops - 1)


def queued_headers(app) -> list[dict]:
    """The headers of the messages waiting in the broker's default queue."""
    return [json.loads(raw)["headers"] for raw in redis_client().lrange("celery", 0, -1)]


def test_a_job_published_by_a_request_carries_its_request_id(app, client, user):
    response = client.post(
        "/api/password/forgot", json={"email": user.email}, headers={"X-Request-ID": "trace-forgot-1"}
    )
    assert response.status_code in (200, 202, 204)
    headers = queued_headers(app)
    assert [h["task"] for h in headers] == ["core.send_email"]
    assert all(h[REQUEST_ID_HEADER] == "trace-forgot-1" for h in headers)


def test_a_job_published_outside_requests_and_jobs_has_no_request_id(app):
    remember_request_id.delay(1)
    assert REQUEST_ID_HEADER not in queued_headers(app)[0]


class Collect(logging.Handler):
    """Keeps the records of one logger, stamped by the app's request-id filter as stdout's handler is."""

    def __init__(self) -> None:
        super().__init__()
        self.addFilter(RequestContextFilter())
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.mark.live
def test_the_id_follows_into_the_worker_its_log_lines_and_the_jobs_it_publishes(app, celery_worker):
    collected, jobs_log = Collect(), logging.getLogger("spotter.jobs")
    jobs_log.addHandler(collected)
    jobs_log.setLevel(logging.INFO)  # the test worker sets the root logger to ERROR
    try:
        with app.test_request_context(headers={"X-Request-ID": "trace-chain-7"}):
            app.preprocess_request()  # the request-id hook runs as for a real request
            remember_request_id.delay(3)
        client = redis_client()
        wait_for(lambda: client.llen(SEEN_KEY) == 3)
        assert [v.decode() for v in client.lrange(SEEN_KEY, 0, -1)] == ["trace-chain-7"] * 3
        wait_for(lambda: len([r for r in collected.records if r.task == "test_only.remember_request_id"]) == 3)
    finally:
        jobs_log.removeHandler(collected)
        jobs_log.setLevel(logging.NOTSET)
    lines = [r for r in collected.records if r.task == "test_only.remember_request_id"]
    assert {(r.request_id, r.outcome) for r in lines} == {("trace-chain-7", "success")}


@pytest.mark.live
def test_a_job_without_a_request_id_runs_under_a_new_one(app, celery_worker):
    remember_request_id.delay(2)
    client = redis_client()
    wait_for(lambda: client.llen(SEEN_KEY) == 2)
    first, second = (v.decode() for v in client.lrange(SEEN_KEY, 0, -1))
    assert len(first) == 32 and first == second  # a fresh id, and its child job inherits it
