"""`make run` boots web, worker and beat on embedded defaults; beat → worker writes the heartbeat."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
SERVER_VARS = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SOCKETIO_MESSAGE_QUEUE", "SPOTTER_ENV")


@pytest.mark.live
def test_make_run_serves_and_beat_reaches_the_worker(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in SERVER_VARS}
    env.update(INSTANCE_PATH=str(tmp_path / "instance"), HEARTBEAT_INTERVAL="2", PYTHONUNBUFFERED="1")
    log = (tmp_path / "make-run.log").open("w+")
    process = subprocess.Popen(
        ["make", "run", f"PORT={port}"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        body = _wait_for_heartbeat(f"http://127.0.0.1:{port}/readyz", process, timeout=180)
        assert body["checks"]["redis"]["embedded"] is True
        assert (tmp_path / "instance" / "spotter.sqlite").exists()
        docs = requests.get(f"http://127.0.0.1:{port}/api/docs", timeout=5)
        assert docs.status_code == 200
    finally:
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C sends to the terminal's process group
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail("make run did not stop on Ctrl-C")
    log.seek(0)
    output = log.read()
    assert f"http://127.0.0.1:{port}/api/docs" in output
    assert _group_is_gone(process.pid), "a process outlived Ctrl-C"


def _wait_for_heartbeat(url: str, process: subprocess.Popen, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"make run exited early with {process.returncode}")
        try:
            last = requests.get(url, timeout=2).json()
            if last["checks"]["heartbeat"]["ok"]:
                return last
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.5)
    pytest.fail(f"no heartbeat within {timeout}s; last /readyz: {last}")


def _group_is_gone(pgid: int) -> bool:
    for _ in range(50):
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False
