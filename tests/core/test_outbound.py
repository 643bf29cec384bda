"""The SSRF guard (issue 15 §3): user-given URLs reach only public addresses on allowed ports, every redirect
checked after DNS resolution; a local listener receives nothing; refusals read like an unreachable server."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.core.outbound import BlockedDestination, OutboundPolicy
from tests.live import free_port

DEFAULT = OutboundPolicy.from_settings("80,443", "")


class Listener:
    """A TCP listener on loopback that counts the connections it receives."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.sock = socket.socket()
        self.sock.bind((host, 0))
        self.sock.listen()
        self.host, self.port = host, self.sock.getsockname()[1]
        self.accepted = 0
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                connection, _ = self.sock.accept()
                self.accepted += 1
                connection.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def strict(app):
    """No allowed private networks, as in production; any port, so that the address rule is what refuses."""
    saved = {key: app.config[key] for key in ("OUTBOUND_ALLOWED_PORTS", "OUTBOUND_ALLOWED_NETWORKS")}
    app.config.update(OUTBOUND_ALLOWED_PORTS="*", OUTBOUND_ALLOWED_NETWORKS="")
    yield app.config
    app.config.update(saved)


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("127.0.0.1", False), ("10.1.2.3", False), ("172.16.0.1", False), ("192.168.1.1", False),
        ("169.254.169.254", False), ("100.64.0.1", False), ("0.0.0.0", False), ("224.0.0.1", False),
        ("::1", False), ("fe80::1", False), ("fd00::1", False), ("::ffff:127.0.0.1", False),
        ("93.184.216.34", True), ("2606:4700::1111", True),
    ],
)  # fmt: skip
def test_only_public_addresses_are_allowed(address, allowed):
    assert DEFAULT.allows(ipaddress.ip_address(address)) is allowed


def test_an_allow_listed_network_lets_a_self_hosted_server_through():
    policy = OutboundPolicy.from_settings("80,443", "10.0.0.0/8, fd00::/8")
    assert policy.allows(ipaddress.ip_address("10.20.30.40"))
    assert not policy.allows(ipaddress.ip_address("192.168.1.1"))


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/",
        "http://example.org:22/",
        "http://localhost/",
        "http://127.1/",
        "http://[::1]/",
        "http:///x",
    ],
)
def test_urls_are_checked_after_dns_resolution(url):
    with pytest.raises(BlockedDestination):
        DEFAULT.check(url)


def connect_caldav(client, headers, url: str):
    body = {"provider": "caldav", "url": url, "username": "u", "password": "p"}
    return client.post("/api/calendar/connections", json=body, headers=headers)


def test_a_caldav_url_on_loopback_is_refused_and_the_listener_receives_nothing(client, login, user, listener, strict):
    headers = login(user)
    open_port = connect_caldav(client, headers, f"http://127.0.0.1:{listener.port}/dav/")
    closed_port = connect_caldav(client, headers, f"http://127.0.0.1:{free_port()}/dav/")
    metadata = connect_caldav(client, headers, "http://169.254.169.254/latest/meta-data/")
    assert open_port.status_code == closed_port.status_code == metadata.status_code == 422
    assert open_port.get_json() == closed_port.get_json() == metadata.get_json()  # nothing tells them apart
    assert open_port.get_json()["errors"] == {"json": {"url": ["The CalDAV server could not be reached."]}}
    assert listener.accepted == 0


def test_a_redirect_to_a_refused_address_is_not_followed(client, login, user, strict):
    target = Listener("127.0.0.2")

    class Redirect(BaseHTTPRequestHandler):
        def do_PROPFIND(self):
            self.send_response(301)
            self.send_header("Location", f"http://127.0.0.2:{target.port}/dav/")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    strict["OUTBOUND_ALLOWED_NETWORKS"] = "127.0.0.1/32"  # the first hop is an allow-listed self-hosted server
    try:
        response = connect_caldav(client, login(user), f"http://127.0.0.1:{server.server_port}/dav/")
    finally:
        server.shutdown()
        target.close()
    assert response.status_code == 422
    assert target.accepted == 0
