"""A live Spotter server process for tests that need real sockets, and real python-socketio clients for it.

The server is gunicorn (`-k gevent -w 1` as the Procfile's web process, or `-k gthread` as `make run`)
running `create_app('testing')` on the same test database and Redis as the test process, with the Redis
message queue on a channel of its own. Tests that use it are marked `@pytest.mark.live`, so the data they
create is really committed.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 30.0


def free_port() -> int:
    """Return a TCP port that is free on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def live_env(app, **extra: str) -> dict[str, str]:
    """Environment for a process of the app on the test database, Redis and message-queue channel."""
    env = dict(os.environ)
    env.update(
        SPOTTER_ENV="testing",
        TEST_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        TEST_REDIS_URL=app.config["REDIS_URL"],
        TEST_SOCKETIO_MESSAGE_QUEUE=app.config["REDIS_URL"],
        TEST_SOCKETIO_CHANNEL=app.config["LIVE_SOCKETIO_CHANNEL"],
        RATELIMIT_ENABLED="false",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


@dataclass
class LiveServer:
    """A running server: its base URL, its process and its log file."""

    url: str
    process: subprocess.Popen
    log_path: Path
    env: dict[str, str]

    def log(self) -> str:
        """Return what the server printed so far."""
        return self.log_path.read_text(errors="replace")

    def api(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        """Call the server's REST API."""
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(method, self.url + path, headers=headers, timeout=10, **kwargs)

    def socket(self, token: str | None = None, events: Iterable[str] = (), **connect: Any) -> SocketRecorder:
        """Connect a python-socketio client (websocket transport) that records `events`."""
        recorder = SocketRecorder(events)
        auth = {"token": token} if token is not None else None
        recorder.client.connect(self.url, auth=auth, transports=["websocket"], wait_timeout=10, **connect)
        return recorder


@dataclass
class SocketRecorder:
    """A python-socketio client that records the events it receives."""

    events: Iterable[str]
    client: socketio.Client = field(default_factory=lambda: socketio.Client(reconnection=False))
    received: list[tuple[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._changed = threading.Condition()
        for name in self.events:
            self.client.on(name, self._recorder(name))

    def _recorder(self, name: str) -> Callable[[Any], None]:
        def record(data: Any = None) -> None:
            with self._changed:
                self.received.append((name, data))
                self._changed.notify_all()

        return record

    def of(self, name: str) -> list[Any]:
        """Return the payloads received for one event."""
        with self._changed:
            return [data for event, data in self.received if event == name]

    def wait_for(self, name: str, predicate: Callable[[Any], bool] = lambda data: True, timeout: float = 10) -> Any:
        """Wait until an event matching `predicate` arrives; return its payload."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for event, data in self.received:
                    if event == name and predicate(data):
                        return data
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no {name!r} event within {timeout}s; received {self.received!r}")
                self._changed.wait(remaining)

    def call(self, event: str, data: Any = None, timeout: float = 10) -> Any:
        """Emit an event and return the server's ack."""
        return self.client.call(event, data, timeout=timeout)

    def close(self) -> None:
        """Disconnect."""
        if self.client.connected:
            self.client.disconnect()


# Gunicorn worker arguments: gevent is what the Procfile's web process runs; gthread what `make run` runs.
WORKERS = {
    "gevent": ["-k", "gunicorn_web.GeventJSONWorker", "-w", "1", "--worker-connections", "100"],
    "gthread": ["-k", "gunicorn_web.ThreadJSONWorker", "-w", "1", "--threads", "16"],
}


def start_live_server(app, worker: str = "gevent", **extra_env: str) -> LiveServer:
    """Start gunicorn (`worker`: a key of WORKERS) serving the app in testing mode (plus `extra_env`) and wait
    until `/healthz` answers."""
    port = free_port()
    log_file = tempfile.NamedTemporaryFile(prefix="spotter-live-", suffix=".log", delete=False)  # noqa: SIM115
    env = live_env(app, **extra_env)
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        *WORKERS[worker],
        "-b",
        f"127.0.0.1:{port}",
        "--graceful-timeout",
        "2",
        "app:create_app('testing')",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    server = LiveServer(f"http://127.0.0.1:{port}", process, Path(log_file.name), env)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the live server exited ({process.returncode}):\n{server.log()}")
        try:
            if requests.get(server.url + "/healthz", timeout=2).status_code == 200:
                return server
        except requests.RequestException:  # not listening yet, or still loading the app
            pass
        time.sleep(0.1)
    stop_live_server(server)
    raise RuntimeError(f"the live server did not answer /healthz within {START_TIMEOUT}s:\n{server.log()}")


def stop_live_server(server: LiveServer) -> None:
    """Stop the server process (and only it)."""
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=10)
    server.log_path.unlink(missing_ok=True)


def run_in_app_process(app, code: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run Python `code` in a separate process of the app (what a Celery worker is) on the live channel."""
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=live_env(app),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="session", name="live_server")
def live_server_fixture(app):
    """One live server for the session, on the Redis message queue (a channel of this run's own)."""
    app.config.setdefault("LIVE_SOCKETIO_CHANNEL", f"spotter-live-{uuid.uuid4().hex[:12]}")
    server = start_live_server(app)
    try:
        yield server
    finally:
        stop_live_server(server)


class JsonStandIn(BaseHTTPRequestHandler):
    """Base of the local stand-ins for outside HTTP services (Google, FCM, Web Push): quiet, JSON replies."""

    def log_message(self, *args):  # keep the test output clean
        pass

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _reply(self, status: int, body: dict | None = None) -> None:
        data = json.dumps(body or {}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
