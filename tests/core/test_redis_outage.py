"""Redis down (issue 15 §5): authenticated calls and logins answer 503 with `Retry-After`, and recover by
themselves; a Redis restarted without its data forgets no logout. The web process runs on a Redis of its own
(a redis-server this test starts and stops: never the shared one)."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.factories import PASSWORD, make_user
from tests.live import start_live_server, stop_live_server
from tests.redis_server import own_redis_fixture  # noqa: F401 - the own_redis fixture


@pytest.fixture
def server_on_own_redis(app, own_redis):
    app.config.setdefault("LIVE_SOCKETIO_CHANNEL", f"spotter-live-{uuid.uuid4().hex[:12]}")
    server = start_live_server(
        app, TEST_REDIS_URL=own_redis.url, TEST_SOCKETIO_MESSAGE_QUEUE=own_redis.url, RATELIMIT_ENABLED="true"
    )
    yield server
    stop_live_server(server)


def login(server, user) -> dict:
    response = server.api("POST", "/api/login", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def eventually(check, timeout: float = 15.0):
    """Poll `check` until it returns a truthy value (a reconnection takes a moment); return that value."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, "the condition did not hold in time"
        time.sleep(0.2)
    return result


@pytest.mark.live
def test_while_redis_is_down_calls_are_503_with_retry_after_and_recover_without_a_restart(
    server_on_own_redis, own_redis
):
    server, user = server_on_own_redis, make_user()
    headers = login(server, user)
    assert server.api("GET", "/api/users/me", headers=headers).status_code == 200
    own_redis.stop()
    for response in (
        server.api("GET", "/api/users/me", headers=headers),
        server.api("POST", "/api/login", json={"email": user.email, "password": PASSWORD}),
    ):
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"] == "5"
        assert response.json()["code"] == 503 and response.json()["status"] == "Service Unavailable"
    own_redis.start()
    eventually(lambda: server.api("GET", "/api/users/me", headers=headers).status_code == 200)
    assert server.api("POST", "/api/login", json={"email": user.email, "password": PASSWORD}).status_code == 200


@pytest.mark.live
def test_a_logout_survives_a_redis_restart_without_persistence(server_on_own_redis, own_redis):
    server, user = server_on_own_redis, make_user()
    headers = login(server, user)
    assert server.api("GET", "/api/users/me", headers=headers).status_code == 200
    assert server.api("POST", "/api/logout", headers=headers).status_code == 204
    own_redis.stop()
    own_redis.start()  # empty: the revoked-login key is gone
    status = eventually(lambda: server.api("GET", "/api/users/me", headers=headers).status_code != 503 and 1)
    assert status and server.api("GET", "/api/users/me", headers=headers).status_code == 401
