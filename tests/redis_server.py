"""A redis-server of a test's own (no persistence, a free port) to stop and restart: never the shared one."""

from __future__ import annotations

import subprocess
import time

import pytest
import redis

from tests.live import free_port


class OwnRedis:
    """A redis-server without persistence on a free port, to stop and start at will."""

    def __init__(self, directory) -> None:
        self.port, self.directory = free_port(), directory
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen([*command, "--dir", str(self.directory)], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture(name="own_redis")
def own_redis_fixture(tmp_path):
    """A running redis-server of this test's own; stopped afterwards."""
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.stop()
