"""A trainer with an active client, people around them, and a Radicale (CalDAV) server on loopback."""

from __future__ import annotations

import subprocess
import sys
import time
from types import SimpleNamespace

import pytest
import requests

from tests.conftest import free_port
from tests.factories import make_trainer_circle

RADICALE_USER, RADICALE_PASSWORD = "alice", "radicale-secret"


@pytest.fixture
def people(make_user, trainer, owner):
    """The trainer, an active client (Berlin), a pending and a former client, a stranger, another trainer."""
    return make_trainer_circle(make_user, trainer, owner, client_timezone="Europe/Berlin")


@pytest.fixture(scope="session")
def radicale(tmp_path_factory):
    """A real Radicale server (htpasswd auth, plain passwords) in a subprocess on a free loopback port."""
    root = tmp_path_factory.mktemp("radicale")
    (root / "users").write_text(f"{RADICALE_USER}:{RADICALE_PASSWORD}\n")
    port = free_port()
    (root / "config").write_text(
        f"[server]\nhosts = 127.0.0.1:{port}\n"
        f"[auth]\ntype = htpasswd\nhtpasswd_filename = {root / 'users'}\nhtpasswd_encryption = plain\n"
        f"[storage]\nfilesystem_folder = {root / 'collections'}\n"
        "[rights]\ntype = owner_only\n[logging]\nlevel = warning\n"
    )
    log = open(root / "log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--config", str(root / "config")], stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 20
    while True:
        try:
            requests.get(url, timeout=1)
            break
        except requests.RequestException:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"Radicale did not start:\n{(root / 'log').read_text()}") from None
            time.sleep(0.1)
    try:
        yield SimpleNamespace(url=url, username=RADICALE_USER, password=RADICALE_PASSWORD)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture
def radicale_calendar(radicale):
    """A fresh calendar collection on the Radicale server; returns (url, caldav Calendar)."""
    import uuid

    import caldav

    client = caldav.DAVClient(radicale.url, username=radicale.username, password=radicale.password)
    cal_id = f"cal-{uuid.uuid4().hex[:8]}"
    calendar = client.principal().make_calendar(name=cal_id, cal_id=cal_id)
    yield f"{radicale.url}{radicale.username}/{cal_id}/", calendar
    calendar.delete()
