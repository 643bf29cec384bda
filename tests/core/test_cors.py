"""CORS: one allowed-origins list for REST (Flask-CORS) and the Socket.IO transports, on a live server."""

from __future__ import annotations

import pytest
import websocket

from app.core.cors import parse_origins, socket_origin_check
from tests import live
from tests.chat.conftest import token_of
from tests.factories import make_exercise, make_user
from tests.live import live_server_fixture  # noqa: F401 - the live_server fixture

ALLOWED = "http://app.example.test:8080"
OTHER = "http://evil.example.test"


@pytest.fixture(scope="module")
def cors_server(app):
    app.config.setdefault("LIVE_SOCKETIO_CHANNEL", "spotter-test-cors")
    server = live.start_live_server(app, CORS_ALLOWED_ORIGINS=f"{ALLOWED}, http://second.example.test/")
    try:
        yield server
    finally:
        live.stop_live_server(server)


@pytest.fixture(scope="module")
def alias_server(app):
    """A server configured with the older name only, and no CORS_ALLOWED_ORIGINS."""
    app.config.setdefault("LIVE_SOCKETIO_CHANNEL", "spotter-test-cors")
    server = live.start_live_server(app, CORS_ALLOWED_ORIGINS="", SOCKETIO_CORS_ALLOWED_ORIGINS=ALLOWED)
    try:
        yield server
    finally:
        live.stop_live_server(server)


def preflight(server, origin: str, path: str = "/api/exercises"):
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    return server.api("OPTIONS", path, headers=headers)


@pytest.mark.live
def test_a_preflight_from_an_allowed_origin_is_answered(cors_server):
    response = preflight(cors_server, ALLOWED)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert "authorization" in response.headers["Access-Control-Allow-Headers"].lower()
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert response.headers["Access-Control-Max-Age"] == "600"


@pytest.mark.live
def test_every_listed_origin_is_allowed_and_a_trailing_slash_is_ignored(cors_server):
    response = preflight(cors_server, "http://second.example.test")
    assert response.headers["Access-Control-Allow-Origin"] == "http://second.example.test"


@pytest.mark.live
def test_a_preflight_from_another_origin_gets_no_cors_headers(cors_server):
    response = preflight(cors_server, OTHER)
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Methods" not in response.headers


@pytest.mark.live
def test_responses_expose_the_headers_scripts_need(cors_server):
    make_exercise(name="Goblet Squat")
    token = token_of(make_user())
    response = cors_server.api("GET", "/api/exercises", token=token, headers={"Origin": ALLOWED})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    exposed = {h.strip() for h in response.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"X-Pagination", "X-Request-ID", "ETag", "Retry-After"} <= exposed
    assert "Origin" in response.headers["Vary"]


@pytest.mark.live
def test_errors_carry_cors_headers_too(cors_server):
    """A browser script must be able to read a 401's body, or it cannot tell the user to log in again."""
    response = cors_server.api("GET", "/api/exercises", headers={"Origin": ALLOWED})
    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED


@pytest.mark.live
def test_no_origin_no_cors_headers(cors_server):
    response = cors_server.api("GET", "/api/exercises")
    assert "Access-Control-Allow-Origin" not in response.headers


def polling_handshake(server, origin: str | None):
    headers = {"Origin": origin} if origin else {}
    return server.api("GET", "/socket.io/?EIO=4&transport=polling", headers=headers)


@pytest.mark.live
def test_the_polling_transport_allows_the_listed_origin_without_credentials(cors_server):
    response = polling_handshake(cors_server, ALLOWED)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "Access-Control-Allow-Credentials" not in response.headers


@pytest.mark.live
def test_the_polling_transport_refuses_an_origin_not_listed(cors_server):
    response = polling_handshake(cors_server, OTHER)
    assert response.status_code == 400
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.live
def test_the_polling_transport_accepts_its_own_origin_and_no_origin(cors_server):
    assert polling_handshake(cors_server, cors_server.url).status_code == 200
    assert polling_handshake(cors_server, None).status_code == 200


@pytest.mark.live
def test_the_websocket_transport_checks_the_origin_too(cors_server):
    url = cors_server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    with pytest.raises(websocket.WebSocketBadStatusException):
        websocket.create_connection(url, origin=OTHER, timeout=5)
    connection = websocket.create_connection(url, origin=ALLOWED, timeout=5)
    try:
        assert connection.recv().startswith("0{")  # Engine.IO's open packet
    finally:
        connection.close()


@pytest.mark.live
def test_socketio_cors_allowed_origins_is_an_alias(alias_server):
    assert preflight(alias_server, ALLOWED).headers["Access-Control-Allow-Origin"] == ALLOWED
    assert polling_handshake(alias_server, ALLOWED).status_code == 200
    assert polling_handshake(alias_server, OTHER).status_code == 400


@pytest.mark.live
def test_without_a_list_only_the_servers_own_origin_is_allowed(live_server):
    assert "Access-Control-Allow-Origin" not in preflight(live_server, ALLOWED).headers
    assert polling_handshake(live_server, ALLOWED).status_code == 400
    assert polling_handshake(live_server, live_server.url).status_code == 200


def test_parse_origins():
    assert parse_origins(" http://a.test/ ,https://b.test:8443,, ") == ["http://a.test", "https://b.test:8443"]
    assert parse_origins("") == parse_origins(None) == []


def test_the_socket_origin_check():
    check = socket_origin_check(["http://a.test"])
    environ = {"HTTP_HOST": "api.test", "wsgi.url_scheme": "http"}
    assert check("http://a.test", environ) and check("HTTP://A.TEST", environ)
    assert check("https://api.test", environ)  # its own host (behind a TLS-ending proxy)
    assert not check("http://b.test", environ)
    assert not check("http://api.test.evil.test", environ)
    assert socket_origin_check(["*"])("http://b.test", environ)
