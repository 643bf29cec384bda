"""GET /metrics: route-template labels, the token, socket and job counters, queue depth, lags, DB pool."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.calendar import reminders
from app.calendar import tasks as calendar_tasks
from app.calendar.models import ReminderSchedule
from app.chat import services as chat_services
from app.core import metrics
from app.core.columns import utcnow
from app.core.redis import redis_client
from app.extensions import db
from app.ops import tasks
from tests import factories
from tests.conftest import wait_for


def scrape(client, headers=None) -> dict[tuple[str, frozenset], float]:
    """Every sample of /metrics as {(name, labels): value}."""
    response = client.get("/metrics", headers=headers or {})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def series(samples: dict, name: str, **labels: str) -> list[tuple[frozenset, float]]:
    """The samples named `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return [(key[1], value) for key, value in samples.items() if key[0] == name and wanted <= key[1]]


def total(samples: dict, name: str, **labels: str) -> float:
    """The sum of the samples named `name` whose labels include `labels` (instruments live per process)."""
    return sum(value for _, value in series(samples, name, **labels))


def test_requests_are_labelled_by_route_template_so_raw_paths_add_no_series(client, login, user):
    headers = login(user)
    client.get(f"/api/users/{user.id}", headers=headers)
    client.get("/api/users/999999", headers=headers)
    scrape(client)
    before = scrape(client)
    for user_id in range(1, 501):
        client.get(f"/api/users/{user_id}", headers=headers)
    after = scrape(client)
    assert set(after) == set(before)  # 500 paths, the same series
    routes = {dict(labels)["route"] for (name, labels) in after if name == "spotter_http_requests_total"}
    assert "/api/users/<user_ref:user_id>" in routes and not any(route.startswith("/api/users/1") for route in routes)
    name, route = "spotter_http_requests_total", "/api/users/<user_ref:user_id>"
    assert total(after, name, route=route) - total(before, name, route=route) == 500
    name = "spotter_http_request_duration_seconds_count"
    assert total(after, name, route=route) - total(before, name, route=route) == 500


def test_unmatched_paths_share_one_label(client):
    before = total(scrape(client), "spotter_http_requests_total", route=metrics.UNMATCHED_ROUTE, status="404")
    for n in range(20):
        client.get(f"/no/such/path/{n}")
    after = scrape(client)
    assert total(after, "spotter_http_requests_total", route=metrics.UNMATCHED_ROUTE, status="404") == before + 20
    assert not any("/no/such" in str(key) for key in after)


def test_status_label_counts_errors_apart(client):
    name, labels = "spotter_http_requests_total", {"route": "/api/login", "method": "POST"}
    before = scrape(client)
    client.post("/api/login", json={})
    after = scrape(client)
    assert total(after, name, status="422", **labels) == total(before, name, status="422", **labels) + 1
    assert total(after, name, status="200", **labels) == total(before, name, status="200", **labels)


@pytest.mark.parametrize(
    ("given", "status"),
    [(None, 401), ("Bearer wrong", 401), ("secret-token", 401), ("Bearer secret-token", 200)],
)
def test_metrics_token_guards_the_endpoint_when_set(app, client, given, status):
    app.config["METRICS_TOKEN"] = "secret-token"
    try:
        response = client.get("/metrics", headers={"Authorization": given} if given else {})
    finally:
        app.config["METRICS_TOKEN"] = ""
    assert response.status_code == status
    if status == 401:
        assert response.get_json()["code"] == 401 and "metrics token" in response.get_json()["message"]


def test_socket_connections_and_events_are_counted(client, socket_client, login, user):
    token = login(user)["Authorization"].split()[1]
    before = scrape(client)[("spotter_socketio_connections", frozenset())]
    events_before = total(scrape(client), "spotter_socketio_events_total", event="typing", outcome="422")
    sock = socket_client(token=token)
    assert scrape(client)[("spotter_socketio_connections", frozenset())] == before + 1
    ack = sock.emit("typing", {"to": "nobody"}, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == 422
    name = "spotter_socketio_events_total"
    assert total(scrape(client), name, event="typing", outcome="422") == events_before + 1
    sock.disconnect()
    assert scrape(client)[("spotter_socketio_connections", frozenset())] == before


def test_refused_sockets_are_not_counted(client, socket_client):
    before = scrape(client)[("spotter_socketio_connections", frozenset())]
    sock = socket_client(token="not-a-token")
    assert not sock.is_connected()
    assert scrape(client)[("spotter_socketio_connections", frozenset())] == before


def test_queue_depth_counts_jobs_waiting_in_the_broker(client):
    assert series(scrape(client), "spotter_celery_queue_depth", queue="celery")[0][1] == 0
    tasks.heartbeat.delay()
    tasks.heartbeat.delay()
    assert series(scrape(client), "spotter_celery_queue_depth", queue="celery")[0][1] == 2


def test_job_counters_by_task_and_outcome(app, client):
    metrics.record_job(redis_client(), "chat.unread_digest", "failure", 0.5)
    metrics.record_job(redis_client(), "chat.unread_digest", "failure", 0.25)
    samples = scrape(client)
    assert series(samples, "spotter_celery_jobs_total", task="chat.unread_digest", outcome="failure")[0][1] == 2
    assert series(samples, "spotter_celery_job_seconds_total", task="chat.unread_digest")[0][1] == 0.75


def test_job_counters_survive_a_redis_outage_without_failing_the_job():
    import redis

    metrics.record_job(redis.Redis(port=1, socket_connect_timeout=0.2), "x", "success", 0.1)  # logs, no raise


@pytest.mark.live  # a real worker thread commits through its own sessions
def test_a_real_worker_reports_its_jobs_to_the_web_process(client, celery_worker):
    tasks.heartbeat.delay()

    def counted():
        found = series(scrape(client), "spotter_celery_jobs_total", task="ops.heartbeat", outcome="success")
        return found and found[0][1] >= 1

    wait_for(counted)


def test_reminder_lag_is_the_age_of_the_oldest_due_reminder(client, user):
    samples = scrape(client)
    assert samples[("spotter_reminder_lag_seconds", frozenset())] == 0
    event = factories.make_event(user, utcnow() + timedelta(days=3))
    db.session.add(
        ReminderSchedule(
            event_id=event.id,
            occurrence_start=utcnow(),
            minutes_before=10,
            fire_at=utcnow() - timedelta(minutes=10),
        )
    )
    db.session.commit()
    lag = scrape(client)[("spotter_reminder_lag_seconds", frozenset())]
    assert 590 <= lag <= 700


def test_digest_lag_counts_from_when_a_message_became_due(app, client, make_user):
    from app.chat.models import Message

    sender, receiver = make_user(), make_user()
    assert scrape(client)[("spotter_digest_lag_seconds", frozenset())] == 0
    due_after = app.config["UNREAD_NOTIFY_AFTER"]
    created = utcnow() - timedelta(seconds=due_after + 120)
    db.session.add(Message(sender_id=sender.id, receiver_id=receiver.id, content="hi", created_at=created))
    db.session.commit()
    lag = scrape(client)[("spotter_digest_lag_seconds", frozenset())]
    assert 120 <= lag <= 200


def test_db_pool_gauges(client):
    samples = scrape(client)
    assert samples[("spotter_db_pool_size", frozenset())] >= 1
    assert samples[("spotter_db_pool_in_use", frozenset())] >= 0


def lag_samples(client, name: str) -> tuple[dict[str, float], float, float]:
    """A lag histogram as served: {le: cumulative count}, the count and the sum."""
    samples = scrape(client)
    buckets = {dict(labels)["le"]: value for labels, value in series(samples, f"{name}_bucket")}
    return buckets, samples[(f"{name}_count", frozenset())], samples[(f"{name}_sum", frozenset())]


def due_reminder(event, fire_at, minutes_before: int = 10) -> None:
    """A reminder row of `event` due at `fire_at` (each one its own occurrence)."""
    db.session.add(
        ReminderSchedule(
            event_id=event.id,
            occurrence_start=fire_at + timedelta(minutes=minutes_before),
            minutes_before=minutes_before,
            fire_at=fire_at,
        )
    )


def test_each_reminder_sent_adds_its_due_to_sent_lag_to_the_histogram(client, user):
    name = "spotter_reminder_sent_lag_seconds"
    buckets, count, _ = lag_samples(client, name)
    assert count == 0 and buckets["+Inf"] == 0 and set(buckets) == {metrics.lag_bucket(b) for b in metrics.LAG_BUCKETS}
    now = utcnow()
    event = factories.make_event(user, now + timedelta(days=3))
    due_reminder(event, now - timedelta(seconds=10))
    due_reminder(event, now - timedelta(seconds=90))
    due_reminder(event, now - timedelta(hours=2))  # past the grace period: recorded as missed, not sent
    db.session.commit()
    assert reminders.run(now=now)["sent"] == 2
    db.session.commit()
    buckets, count, total_lag = lag_samples(client, name)
    assert (count, total_lag) == (2, 100.0)
    assert (buckets["5.0"], buckets["15.0"], buckets["60.0"], buckets["120.0"], buckets["+Inf"]) == (0, 1, 1, 2, 2)


def test_a_reminder_run_rolled_back_adds_no_lag(client, user):
    now = utcnow()
    event = factories.make_event(user, now + timedelta(days=3))
    due_reminder(event, now - timedelta(seconds=30))
    db.session.commit()
    assert reminders.run(now=now)["sent"] == 1
    db.session.rollback()  # the job failed: nothing was sent
    assert lag_samples(client, "spotter_reminder_sent_lag_seconds")[1] == 0


def test_each_digest_sent_adds_the_lag_of_its_oldest_message(app, client, make_user):
    from app.chat.models import Message

    sender, receiver = make_user(), make_user()
    now, due_after = utcnow(), timedelta(seconds=app.config["UNREAD_NOTIFY_AFTER"])
    for waited in (due_after + timedelta(seconds=200), due_after + timedelta(seconds=20)):
        db.session.add(Message(sender_id=sender.id, receiver_id=receiver.id, content="hi", created_at=now - waited))
    db.session.commit()
    assert chat_services.run_unread_digest(now=now) == 1  # one digest for both messages
    db.session.commit()
    buckets, count, total_lag = lag_samples(client, "spotter_digest_sent_lag_seconds")
    assert (count, total_lag) == (1, 200.0)
    assert (buckets["120.0"], buckets["300.0"]) == (0, 1)


def test_lags_survive_a_redis_outage_without_failing_the_send():
    import redis

    metrics.record_lags(redis.Redis(port=1, socket_connect_timeout=0.2), "reminder", [1.0])  # logs, no raise


@pytest.mark.live  # a real worker thread commits through its own sessions
def test_a_real_worker_reports_the_reminders_it_sends_to_the_web_process(client, user, celery_worker):
    event = factories.make_event(user, utcnow() + timedelta(days=3))
    due_reminder(event, utcnow() - timedelta(seconds=30))
    db.session.commit()
    calendar_tasks.send_reminders.delay()
    wait_for(lambda: lag_samples(client, "spotter_reminder_sent_lag_seconds")[1] == 1)
    buckets = lag_samples(client, "spotter_reminder_sent_lag_seconds")[0]
    assert (buckets["30.0"], buckets["60.0"]) == (0, 1)
