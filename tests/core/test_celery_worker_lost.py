"""A worker killed with SIGKILL mid-job loses no job (issue 15 §5): acks_late, reject_on_worker_lost and the
visibility timeout give it to the next worker, and the job's effect happens once (jobs are idempotent).

A real `celery worker` (the Procfile's command) on a redis-server of the test's own; the job is a real one,
`calendar.push_to_connection`, to a CalDAV stand-in that holds the first PUT until the worker is killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from celery import Celery

from app.calendar import crypto
from app.calendar.models import CalendarConnection
from app.extensions import db
from tests.factories import make_event, make_user
from tests.live import ROOT, live_env
from tests.redis_server import own_redis_fixture  # noqa: F401 - the own_redis fixture

VISIBILITY_TIMEOUT = 2


class CalDAVStandIn:
    """Stores PUT objects by path; the first PUT hangs until released (the worker is killed meanwhile)."""

    def __init__(self) -> None:
        self.puts: list[str] = []
        self.objects: dict[str, bytes] = {}
        self.first_put_arrived, self.release = threading.Event(), threading.Event()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                stand_in.puts.append(self.path)
                if len(stand_in.puts) == 1:
                    stand_in.first_put_arrived.set()
                    stand_in.release.wait(60)
                    return  # the worker that sent it is dead by now
                stand_in.objects[self.path] = body
                self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/cal/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()


def start_worker(app, broker_url: str) -> subprocess.Popen:
    """`celery -A celery_worker worker` as the Procfile runs it (prefork), in a process group of its own."""
    env = live_env(app, TEST_REDIS_URL=broker_url, CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT))
    command = [sys.executable, "-m", "celery", "-A", "celery_worker", "worker", "--concurrency", "1"]
    command += ["--loglevel", "WARNING", "--without-mingle", "--without-gossip"]
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL)


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL the worker and its pool children (the group this test started)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@pytest.mark.live
def test_a_job_whose_worker_is_killed_mid_job_is_run_again_and_takes_effect_once(app, own_redis):
    app.config.setdefault("LIVE_SOCKETIO_CHANNEL", "spotter-live-worker-lost")
    stand_in = CalDAVStandIn()
    user = make_user()
    event = make_event(user, datetime(2026, 12, 7, 7, 0, tzinfo=UTC), title="Leg day")
    credentials = crypto.encrypt({"username": "u", "password": "p"})
    connection = CalendarConnection(user_id=user.id, provider="caldav", url=stand_in.url, credentials=credentials)
    db.session.add(connection)
    db.session.commit()
    producer = Celery(broker=own_redis.url)
    first = start_worker(app, own_redis.url)
    second = None
    try:
        producer.send_task("calendar.push_to_connection", args=[connection.id, event.id, event.uid])
        assert stand_in.first_put_arrived.wait(60), "the first worker never ran the job"
        kill_group(first)  # mid-job: the PUT is in flight, the job unacknowledged
        second = start_worker(app, own_redis.url)
        deadline = time.monotonic() + 180  # a worker's start and its restore cycle are slow on a busy machine
        while not stand_in.objects and time.monotonic() < deadline:
            time.sleep(0.2)
        assert stand_in.objects, "the job was lost with its worker"
        time.sleep(VISIBILITY_TIMEOUT * 2)  # room for a duplicate, were the job given out again
    finally:
        kill_group(first)
        if second is not None:
            kill_group(second)
        stand_in.close()
        producer.close()
    assert list(stand_in.objects) == [f"/cal/{event.uid}.ics"]  # one object: the effect happened once
    assert len(stand_in.puts) == 2  # the killed attempt and the one that finished: no third run
    db.session.expire_all()
    assert db.session.get(CalendarConnection, connection.id).last_error is None
