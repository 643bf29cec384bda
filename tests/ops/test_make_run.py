"""`make run` boots web, worker and beat on embedded defaults: beat → worker writes the heartbeat, a worker's
reminder reaches a browser's socket through the embedded Socket.IO queue, and a taken port is said at once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from app.core.columns import utcnow
from app.ops import demo
from tests.conftest import free_port
from tests.live import SocketRecorder

ROOT = Path(__file__).resolve().parents[2]
SERVER_VARS = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "SOCKETIO_MESSAGE_QUEUE",
    "SPOTTER_ENV",
    "HOST",
    "CORS_ALLOWED_ORIGINS",
)


def run_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SERVER_VARS}
    env.update(INSTANCE_PATH=str(tmp_path / "instance"), PYTHONUNBUFFERED="1", **extra)
    return env


@pytest.mark.live
def test_make_run_serves_and_a_workers_reminder_reaches_a_socket(tmp_path):
    port = free_port()
    env = run_env(tmp_path, HEARTBEAT_INTERVAL="2", REMINDER_INTERVAL="2")
    log = (tmp_path / "make-run.log").open("w+")
    process = subprocess.Popen(
        ["make", "run", f"PORT={port}"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    recorder = None
    try:
        first = _wait_for_readyz(url, process, timeout=180)
        assert first["status"] in {"starting", "ready"}
        body = _wait_for_heartbeat(url + "/readyz", process, timeout=120)
        assert body["status"] == "ready"
        assert body["checks"]["redis"]["embedded"] is True
        assert (tmp_path / "instance" / "spotter.sqlite").exists()
        assert requests.get(url + "/api/docs", timeout=5).status_code == 200

        # A demo client connects a real Socket.IO client, then makes an event whose reminder is already due:
        # beat fires the reminder job, the worker stores the notification and emits it; the web process's
        # socket gets it through the embedded (filesystem) queue.
        login = requests.post(
            url + "/api/login", json={"email": demo.ACCOUNTS[2][2], "password": demo.PASSWORD}, timeout=10
        )
        assert login.status_code == 200, login.text
        token = login.json()["access_token"]
        recorder = SocketRecorder(["notification"])
        recorder.client.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=10)
        start = (utcnow() + timedelta(minutes=2)).replace(microsecond=0)
        event = requests.post(
            url + "/api/events",
            headers={"Authorization": f"Bearer {token}"},
            json={
                "title": "Check-in call",
                "start_time": start.isoformat(),
                "end_time": (start + timedelta(minutes=30)).isoformat(),
                "reminders": [5],
            },
            timeout=10,
        )
        assert event.status_code == 201, event.text
        pushed = recorder.wait_for("notification", lambda n: n["type"] == "reminder", timeout=60)
        assert pushed["data"]["event_id"] == event.json()["id"]
        stored = requests.get(url + "/api/notifications", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert pushed["id"] in [n["id"] for n in stored.json()]
    finally:
        if recorder is not None:
            recorder.close()
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C sends to the terminal's process group
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail("make run did not stop on Ctrl-C")
    log.seek(0)
    output = log.read()
    assert f"{url}/api/docs" in output
    for _role, _username, email in demo.ACCOUNTS:
        assert email in output, "make run prints the demo logins"
    assert _group_is_gone(process.pid), "a process outlived Ctrl-C"


def test_make_run_on_a_taken_port_says_so_in_one_line_and_stops(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            ["make", "--no-print-directory", "run", f"PORT={port}"],
            cwd=ROOT,
            env=run_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert result.returncode != 0
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert lines[-1] == (
        f"make run: cannot listen on 127.0.0.1:{port} (already in use?); "
        "stop what uses it or pick another port: make run PORT=8000"
    )
    assert "api/docs" not in result.stdout  # nothing started, nothing announced
    assert not (tmp_path / "instance").exists()


def _wait_for_readyz(url: str, process: subprocess.Popen, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"make run exited early with {process.returncode}")
        try:
            response = requests.get(url + "/readyz", timeout=2)
            return response.json()
        except (requests.RequestException, ValueError):
            time.sleep(0.2)
    pytest.fail(f"/readyz did not answer within {timeout}s")


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
            assert last["status"] == "starting", last  # no heartbeat yet: starting, never ready
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
