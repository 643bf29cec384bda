"""Headless Chromium for tests: load a page and return its DOM once its scripts have run."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str:
    """The Chromium binary; fails the test (never skips) when it is missing."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        pytest.fail("Chromium is not installed: `make test` installs requirements/apt.txt (`apt-get install chromium`)")
    return binary


def dump_dom(url: str, budget_ms: int = 15000) -> tuple[str, str]:
    """Load `url` in a fresh headless Chromium profile; return (the DOM after `budget_ms` of virtual time, stderr)."""
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [chromium(), *FLAGS, f"--user-data-dir={profile}", f"--virtual-time-budget={budget_ms}", "--dump-dom", url],
            capture_output=True,
            text=True,
            timeout=90,
        )
    return result.stdout, result.stderr


@dataclass
class Page:
    """A page a test serves: its origin, and the HTML served at `/` (settable once the server is up)."""

    origin: str
    html: str = ""


@contextmanager
def page_server(host: str = "127.0.0.1") -> Iterator[Page]:
    """Serve one HTML page at `/` on a free port of `host` (its own origin) while the block runs."""
    page = Page("")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = page.html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # keep the test output clean
            pass

    server = ThreadingHTTPServer((host, 0), Handler)
    page.origin = f"http://{host}:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield page
    finally:
        server.shutdown()
        server.server_close()
