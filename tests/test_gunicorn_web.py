"""The web process's gunicorn worker: requests gunicorn itself refuses come back in API.md's JSON error shape."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest
import requests

from tests.live import live_server_fixture  # noqa: F401 - the live_server fixture


def raw_request(url: str, request: bytes) -> tuple[str, bytes]:
    """Send bytes to the server; return its status line and body."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return head.decode().splitlines()[0], body


@pytest.mark.live
def test_a_url_longer_than_gunicorn_reads_is_a_json_414(live_server):
    response = requests.get(live_server.url + "/api/exercises?q=" + "a" * 9000, timeout=10)
    assert response.status_code == 414
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["code"] == 414 and response.json()["status"] == "Request-URI Too Long"


@pytest.mark.live
def test_too_large_headers_are_a_json_431(live_server):
    response = requests.get(live_server.url + "/healthz", headers={"X-Big": "b" * 9000}, timeout=10)
    assert response.status_code == 431
    assert response.json()["status"] == "Request Header Fields Too Large"


@pytest.mark.live
def test_a_malformed_request_line_is_a_json_400(live_server):
    status, body = raw_request(live_server.url, b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n")
    assert status.startswith("HTTP/1.1 400")
    assert b'"code": 400' in body
