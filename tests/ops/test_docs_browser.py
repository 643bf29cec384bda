"""Headless Chromium opens /api/docs from a live server and sees the operations rendered."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def live_docs(app):
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def test_swagger_ui_renders_operations_offline(live_docs):
    if CHROMIUM is None:
        pytest.fail("Chromium is not installed: `apt-get install -y chromium` (.ci/run installs it)")
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--virtual-time-budget=15000",
                "--dump-dom",
                f"{live_docs}/api/docs",
            ],
            capture_output=True,
            text=True,
            timeout=90,
        )
    dom = result.stdout
    assert "swagger-ui" in dom, result.stderr[-2000:]
    assert "opblock" in dom, "no operations rendered"
    assert "/api/login" in dom and "/api/register" in dom
