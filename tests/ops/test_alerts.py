"""ops/alerts.yml: valid for Prometheus (promtool check and unit tests), and naming only metrics we export."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

OPS = Path(__file__).resolve().parents[2] / "ops"
RULES = OPS / "alerts.yml"
PROMTOOL = shutil.which("promtool")
EXPORTED = {
    "spotter_http_requests_total",
    "spotter_http_request_duration_seconds_bucket",
    "spotter_celery_queue_depth",
    "spotter_celery_jobs_total",
    "spotter_reminder_lag_seconds",
    "spotter_digest_lag_seconds",
    "spotter_reminder_sent_lag_seconds_bucket",
    "spotter_db_replica_lag_seconds",
    "spotter_db_pool_in_use",
    "spotter_db_pool_size",
}


@pytest.fixture(scope="module")
def promtool() -> str:
    if PROMTOOL is None:
        pytest.fail("promtool is missing: install Debian's `prometheus` package (listed in requirements/apt.txt)")
    return PROMTOOL


def test_promtool_accepts_the_rules(promtool):
    done = subprocess.run([promtool, "check", "rules", str(RULES)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 9 rules found" in done.stdout


def test_the_rules_fire_as_their_unit_tests_expect(promtool):
    done = subprocess.run(
        [promtool, "test", "rules", "alerts_test.yml"], cwd=OPS, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_alerts_cover_errors_latency_queue_reminders_and_replica_lag():
    rules = yaml.safe_load(RULES.read_text())["groups"][0]["rules"]
    names = {rule["alert"] for rule in rules}
    assert {"SpotterHighErrorRate", "SpotterSlowRequests", "SpotterQueueBacklog", "SpotterReminderLag"} <= names
    assert {"SpotterReplicaLag", "SpotterRemindersSentLate"} <= names
    for rule in rules:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}
        assert rule["labels"]["severity"] in {"page", "ticket"} and rule["annotations"]["summary"]


def test_the_rules_name_only_metrics_spotter_exports():
    used = set(re.findall(r"\bspotter_[a-z_]+", RULES.read_text()))
    assert used <= EXPORTED, used - EXPORTED


def test_every_metric_the_rules_use_is_served_by_metrics(client):
    from prometheus_client.parser import text_string_to_metric_families

    client.get("/metrics")
    text = client.get("/metrics").get_data(as_text=True)
    served = {sample.name for family in text_string_to_metric_families(text) for sample in family.samples}
    # job counters appear once a job ran, the replica lag once a replica is configured (their own tests)
    assert EXPORTED - {"spotter_celery_jobs_total", "spotter_db_replica_lag_seconds"} <= served
