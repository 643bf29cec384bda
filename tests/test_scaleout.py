"""Scale-out under faults: the Procfile's processes (2 web, 2 workers, 1 beat) behind haproxy with sticky
sessions, on the test's own PostgreSQL cluster and redis-server (it restarts them), under bounded REST and chat
traffic. It kills a web process and a worker with SIGKILL and restarts Redis and PostgreSQL, and prints what it
counted (sent, delivered, duplicated, lost, recovery times); bench/RESULTS.md quotes a run.

Run it alone: `pytest -m scaleout tests/test_scaleout.py -s` (part of `make test`; about a minute).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
import requests
import socketio
from celery import Celery

from app import create_app
from config import database_url
from tests import factories
from tests.conftest import free_port, wait_for
from tests.pg_cluster import Cluster

pytestmark = [pytest.mark.live, pytest.mark.scaleout]
ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PAIRS, MESSAGES = 4, 30  # chat traffic: each client sends MESSAGES to its peer
REMINDERS, BATCH = 300, 40
FIGURES: dict[str, object] = {}


def procfile() -> dict[str, str]:
    """The Procfile's commands by process type."""
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if re.match(r"^\w+: ", line))


class Stack:
    """The processes, their servers and the load balancer; every one stopped at the end."""

    def __init__(self, root: Path) -> None:
        self.root, self.procs, self.commands = root, {}, procfile()
        self.db = Cluster.primary(root / "pg")
        self.db.execute("CREATE DATABASE spotter")
        self.redis_port, self.lb_port = free_port(), free_port()
        self.web_ports = {"web.1": free_port(), "web.2": free_port()}
        self.start_redis()
        self.env = {
            **os.environ,
            "PATH": f"{BIN}:{os.environ['PATH']}",
            "SPOTTER_ENV": "production",
            "DATABASE_URL": self.db.url("spotter"),
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "SECRET_KEY": "scaleout-secret",
            "JWT_SECRET_KEY": "scaleout-jwt-secret-of-at-least-32-bytes",
            "FORCE_HTTPS": "false",
            "RATELIMIT_ENABLED": "false",
            "LOG_LEVEL": "WARNING",
            "INSTANCE_PATH": str(root / "instance"),
            "SOCKETIO_CHANNEL": "spotter-scaleout",
            "DB_POOL_SIZE": "5",
            "WEB_CONNECTIONS": "200",
            "REMINDER_BATCH_SIZE": str(BATCH),
            "HEARTBEAT_INTERVAL": "2",
            "MAIL_BACKEND": "log",
        }
        for key in ("TEST_DATABASE_URL", "TEST_REDIS_URL", "SENTRY_DSN", "DATABASE_REPLICA_URL"):
            self.env.pop(key, None)

    def start_redis(self) -> None:
        self.procs["redis"] = subprocess.Popen(
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--appendonly", "yes",
             "--appendfsync", "everysec", "--dir", str(self.root), "--save", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(lambda: self._redis_ping(), timeout=10)

    def _redis_ping(self) -> bool:
        try:
            return redis.Redis(port=self.redis_port, socket_connect_timeout=0.2).ping()
        except redis.RedisError:
            return False

    def start(self, name: str) -> None:
        """Start one Procfile process (`web.1`, `worker.2`, `beat.1`) as production would: `bash -c <command>`."""
        kind = name.split(".")[0]
        env = {**self.env, "PORT": str(self.web_ports.get(name, 0))}
        log = open(self.root / f"{name}.log", "ab")  # noqa: SIM115 - the process owns it
        self.procs[name] = subprocess.Popen(
            ["bash", "-c", self.commands[kind]], cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
        )

    def kill(self, name: str) -> None:
        """SIGKILL the process and all it started (a crashed dyno)."""
        os.killpg(self.procs[name].pid, signal.SIGKILL)
        self.procs[name].wait(10)

    def release(self) -> None:
        done = subprocess.run(["bash", "-c", self.commands["release"]], cwd=ROOT, env=self.env, capture_output=True,
                              timeout=300, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]

    def start_haproxy(self) -> None:
        servers = "\n".join(
            f"    server {name.replace('.', '')} 127.0.0.1:{port} check inter 300 fall 2 rise 2 "
            f"cookie {name.replace('.', '')}"
            for name, port in self.web_ports.items()
        )
        config = self.root / "haproxy.cfg"
        config.write_text(
            "global\n    maxconn 2000\ndefaults\n    mode http\n    timeout connect 2s\n    timeout client 60s\n"
            "    timeout server 60s\n    timeout tunnel 1h\n    option redispatch\n    retries 2\n"
            f"frontend api\n    bind 127.0.0.1:{self.lb_port}\n    default_backend web\n"
            "backend web\n    balance roundrobin\n    option httpchk GET /healthz\n"
            f"    cookie SRV insert indirect nocache\n{servers}\n"
        )
        self.procs["haproxy"] = subprocess.Popen(["haproxy", "-f", str(config), "-db"], stdout=subprocess.DEVNULL,
                                                 stderr=subprocess.DEVNULL)  # fmt: skip

    def wait_web_up(self) -> None:
        """Both web processes answer on their own ports, and through the load balancer."""
        ports = self.web_ports.values()
        wait_for(lambda: all(_status(f"http://127.0.0.1:{port}/healthz") == 200 for port in ports), timeout=60)
        wait_for(lambda: all(_status(self.url + "/healthz") == 200 for _ in range(4)), timeout=20)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.lb_port}"

    def stop_all(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL) if name.split(".")[0] in self.commands else proc.kill()
                proc.wait(10)
        self.db.destroy()


@pytest.fixture(scope="module")
def stack():
    if shutil.which("haproxy") is None:
        pytest.fail("haproxy is missing: install Debian's `haproxy` package (listed in requirements/apt.txt)")
    root = Path(tempfile.mkdtemp(prefix="spotter-scaleout-"))
    os.chmod(root, 0o755)
    stack = Stack(root)
    try:
        stack.release()
        for name in ("web.1", "web.2", "worker.1", "worker.2", "beat.1"):
            stack.start(name)
        stack.start_haproxy()
        stack.wait_web_up()
        wait_for(lambda: _status(stack.url + "/readyz") == 200, timeout=60)
        yield stack
    finally:
        stack.stop_all()
        print("\nSCALE-OUT FIGURES " + json.dumps(FIGURES, indent=1))
        if os.environ.get("SCALEOUT_KEEP") != "1":  # keep the processes' logs to look at
            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def people(stack):
    """Trainer-client pairs made in the stack's database, logged in through the load balancer."""
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url(stack.db.url("spotter")))
    pairs = []
    with app.app_context():
        for _ in range(PAIRS):
            trainer, client = factories.make_user(role="Trainer"), factories.make_user()
            factories.make_coaching(trainer, client)
            pairs.append((_login(stack, trainer), _login(stack, client)))
    return pairs


def _login(stack: Stack, user) -> dict:
    body = requests.post(stack.url + "/api/login", json={"email": user.email, "password": factories.PASSWORD},
                         timeout=10).json()  # fmt: skip
    return {"id": body["user"]["id"], "token": body["access_token"]}


def _status(url: str, headers: dict | None = None) -> int:
    try:
        return requests.get(url, headers=headers, timeout=10).status_code
    except requests.RequestException:
        return 0


class ChatClient:
    """A Socket.IO client through the load balancer that records what it receives and resends until acked."""

    def __init__(self, stack: Stack, me: dict, peer: dict) -> None:
        self.stack, self.me, self.peer = stack, me, peer
        self.received: dict[str, set[int]] = {}  # client_msg_id -> message ids seen
        self.sio = socketio.Client(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1)
        self.sio.on("message", self._on_message)
        self.sio.on("disconnect", self._on_disconnect)
        self.last_id, self.gap_after = 0, None
        self.sio.connect(stack.url, auth={"token": me["token"]}, transports=["websocket"], wait_timeout=10)

    def _on_disconnect(self, *_reason) -> None:
        # Events missed until the reconnect are older than those that follow it: catch up from here.
        if self.gap_after is None:
            self.gap_after = self.last_id

    def _on_message(self, message: dict) -> None:
        if message["receiver_id"] == self.me["id"]:
            self.received.setdefault(message["client_msg_id"], set()).add(message["id"])
            self.last_id = max(self.last_id, message["id"])

    def send(self, client_msg_id: str, deadline: float) -> int:
        """Send until acked (the same client_msg_id: a retry is never a second message); return tries."""
        tries = 0
        while time.monotonic() < deadline:
            tries += 1
            try:
                ack = self.sio.call("send_message", {"receiver_id": self.peer["id"], "content": client_msg_id,
                                                     "client_msg_id": client_msg_id}, timeout=3)  # fmt: skip
                if ack and ack.get("ok"):
                    return tries
            except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError):
                time.sleep(0.2)
        raise AssertionError(f"{client_msg_id} never acked")

    def catch_up(self) -> None:
        """The README's reconnect recipe: page through REST history after the last id seen."""
        headers = {"Authorization": f"Bearer {self.me['token']}"}
        if self.gap_after is not None:
            self.last_id, self.gap_after = self.gap_after, None
        while True:
            params = {"with": self.peer["id"], "after": self.last_id, "limit": 100}
            page = requests.get(f"{self.stack.url}/api/messages", headers=headers, params=params, timeout=10).json()
            for message in page:
                if message["receiver_id"] == self.me["id"]:
                    self.received.setdefault(message["client_msg_id"], set()).add(message["id"])
            if len(page) < 100:
                return
            self.last_id = page[-1]["id"]


def test_1_killing_a_web_process_loses_and_doubles_no_chat_message(stack, people):
    clients = []
    for trainer, client in people:
        clients += [ChatClient(stack, trainer, client), ChatClient(stack, client, trainer)]
    sent: dict[int, list[str]] = {}
    deadline = time.monotonic() + 60

    def send_all(index: int, chat: ChatClient) -> None:
        sent[index] = []
        for n in range(MESSAGES):
            chat.send(f"c{index}-{n}", deadline)
            sent[index].append(f"c{index}-{n}")
            time.sleep(0.02)

    threads = [threading.Thread(target=send_all, args=(i, c)) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    time.sleep(0.4)
    killed_at = time.monotonic()
    stack.kill("web.1")
    for thread in threads:
        thread.join(90)
    reconnected = time.monotonic() - killed_at
    time.sleep(0.5)
    for chat in clients:
        chat.catch_up()
    stack.start("web.1")  # back for the next scenarios
    stack.wait_web_up()
    totals = {"sent": 0, "delivered": 0, "duplicated": 0, "lost": 0}
    for index in range(len(clients)):
        peer = clients[index ^ 1]
        for client_msg_id in sent[index]:
            ids = peer.received.get(client_msg_id, set())
            totals["sent"] += 1
            totals["delivered"] += bool(ids)
            totals["duplicated"] += max(0, len(ids) - 1)
            totals["lost"] += not ids
    for chat in clients:
        chat.sio.disconnect()
    FIGURES["web SIGKILL"] = {**totals, "all acked within s": round(reconnected, 2)}
    assert totals["sent"] == len(clients) * MESSAGES
    assert totals["lost"] == 0 and totals["duplicated"] == 0, totals


def test_2_killing_a_worker_mid_batch_sends_every_reminder_exactly_once(stack, people):
    trainer = people[0][0]
    headers = {"Authorization": f"Bearer {trainer['token']}"}
    start = datetime.now(UTC) + timedelta(minutes=1)  # reminders 5 minutes before: all due 4 minutes ago
    for n in range(REMINDERS):
        moment = (start + timedelta(milliseconds=100 * n)).isoformat().replace("+00:00", "Z")
        end = (start + timedelta(milliseconds=100 * n, minutes=30)).isoformat().replace("+00:00", "Z")
        body = {"title": f"r{n}", "start_time": moment, "end_time": end, "reminders": [5]}
        response = requests.post(stack.url + "/api/events", headers=headers, json=body, timeout=10)
        assert response.status_code == 201, response.text
    sender = Celery(broker=stack.env["REDIS_URL"])
    for _ in range(REMINDERS // BATCH + 2):  # as beat would fire them, all at once
        sender.send_task("calendar.send_reminders")
    time.sleep(0.3)
    killed_at = time.monotonic()
    stack.kill("worker.1")
    stack.start("worker.1")

    def delivered() -> int:
        return stack.db.execute("SELECT count(*) FROM reminder_deliveries", "spotter")

    def pending() -> int:
        return stack.db.execute("SELECT count(*) FROM reminder_schedule WHERE fire_at <= now()", "spotter")

    def all_sent() -> bool:
        if pending():
            sender.send_task("calendar.send_reminders")  # beat's next minute, sooner
            time.sleep(0.5)
            return False
        return delivered() == REMINDERS

    wait_for(all_sent, timeout=90, interval=0.5)
    per_event = stack.db.execute(
        "SELECT max(n) FROM (SELECT count(*) AS n FROM notifications WHERE type = 'reminder' "
        "GROUP BY data->>'event_id', data->>'occurrence_start') AS counted", "spotter")  # fmt: skip
    notified = stack.db.execute("SELECT count(*) FROM notifications WHERE type = 'reminder'", "spotter")
    FIGURES["worker SIGKILL"] = {"reminders due": REMINDERS, "delivered": delivered(), "notified": notified,
                                 "most notifications for one reminder": per_event,
                                 "all sent within s": round(time.monotonic() - killed_at, 2)}  # fmt: skip
    assert delivered() == REMINDERS and notified == REMINDERS and per_event == 1


def test_3_restarting_redis_readyz_goes_503_then_200_and_rest_and_sockets_recover(stack, people):
    trainer, client = people[1]
    stack.procs["redis"].terminate()
    stack.procs["redis"].wait(10)
    wait_for(lambda: _status(stack.url + "/readyz") == 503, timeout=20)
    stopped_at = time.monotonic()
    stack.start_redis()
    wait_for(lambda: _status(stack.url + "/readyz") == 200, timeout=30, interval=0.1)
    ready_after = time.monotonic() - stopped_at
    headers = {"Authorization": f"Bearer {client['token']}"}
    wait_for(lambda: _status(stack.url + "/api/workouts", headers) == 200, timeout=30, interval=0.1)
    rest_after = time.monotonic() - stopped_at
    receiver, sender = ChatClient(stack, client, trainer), ChatClient(stack, trainer, client)
    try:
        # python-socketio's Redis listener reconnects with a backoff (1, 2, 4 ... s): emits resume after it.
        sent = []

        def delivered() -> bool:
            sent.append(f"after-redis-restart-{len(sent)}")
            sender.send(sent[-1], time.monotonic() + 30)
            time.sleep(0.5)
            return any(client_msg_id in receiver.received for client_msg_id in sent)

        wait_for(delivered, timeout=60, interval=0.5)
        emits_after = time.monotonic() - stopped_at
    finally:
        receiver.sio.disconnect()
        sender.sio.disconnect()
    FIGURES["redis restart"] = {
        "readyz 200 after s": round(ready_after, 2),
        "REST 200 after s": round(rest_after, 2),
        "socket emits delivered again after s": round(emits_after, 2),
    }


def test_4_restarting_postgresql_is_a_clean_503_then_recovery(stack, people):
    headers = {"Authorization": f"Bearer {people[2][1]['token']}"}
    stack.db.stop("fast")
    statuses, slowest = [], 0.0
    for _ in range(10):
        began = time.monotonic()
        response = requests.get(stack.url + "/api/workouts", headers=headers, timeout=30)
        slowest = max(slowest, time.monotonic() - began)
        statuses.append(response.status_code)
        assert "Traceback" not in response.text
    stopped_at = time.monotonic()
    stack.db.start()
    wait_for(lambda: _status(stack.url + "/api/workouts", headers) == 200, timeout=60, interval=0.1)
    FIGURES["postgresql restart"] = {
        "statuses while down": sorted(set(statuses)),
        "slowest answer s": round(slowest, 2),
        "REST 200 after restart s": round(time.monotonic() - stopped_at, 2),
    }
    assert set(statuses) == {503}, statuses
    assert wait_for(lambda: _status(stack.url + "/readyz") == 200, timeout=30)
