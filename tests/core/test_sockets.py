"""The Socket.IO core: authenticated connections, the handler wrapper's acks and unit of work, the emit helper."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from datetime import timedelta

import marshmallow as ma
import pytest
import socketio as socketio_client
from flask_jwt_extended import create_access_token

from app.accounts import services as accounts_services
from app.core import sockets
from app.core.api import Schema
from app.core.errors import Forbidden, Invalid
from app.core.json import PacketJSON
from app.extensions import db, socketio
from app.notifications import services as notifications_services
from app.notifications.models import Notification
from app.projects.models import ProjectMember
from tests.factories import make_project, make_user
from tests.live import ROOT, live_server_fixture  # noqa: F401 - the live_server fixture
from tests.projects.conftest import bearer


def token_of(user) -> str:
    return bearer(user)["Authorization"].split()[1]


@pytest.fixture
def connect(socket_client):
    """Connect in-process Socket.IO test clients; all are disconnected afterwards."""
    return socket_client


def events(client, name: str) -> list:
    return [event["args"][0] for event in client.get_received() if event["name"] == name]


# ---- handlers declared for these tests (bound on the app's server, like a domain's events module)


class EchoSchema(Schema):
    text = ma.fields.String(required=True, validate=ma.validate.Length(min=1))


@sockets.on_event("test_echo", EchoSchema)
def _echo(user, data):
    return {"echo": data["text"], "user_id": user.id}


@sockets.on_event("test_forbidden")
def _forbidden(user, data):
    raise Forbidden("Not for you.")


@sockets.on_event("test_invalid")
def _invalid(user, data):
    raise Invalid("Bad value.", field="value")


@sockets.on_event("test_boom")
def _boom(user, data):
    raise RuntimeError("a bug")


@sockets.on_event("test_write")
def _write(user, data):
    notifications_services.notify(user.id, "test", "Written")
    if data.get("fail"):
        raise RuntimeError("after the write")
    return {"written": True}


@sockets.on_event("test_conflict")
def _conflict(user, data):
    db.session.add(ProjectMember(project_id=data["project_id"], user_id=user.id))
    db.session.flush()


TEST_HANDLERS = [_echo, _forbidden, _invalid, _boom, _write, _conflict]


@pytest.fixture(autouse=True)
def _test_handlers(app):
    """Bind this module's handlers on the app's server, as the factory binds a domain's `events.HANDLERS`."""
    if _echo not in app.extensions[sockets.HANDLERS]:
        sockets.register_handlers(app, TEST_HANDLERS)


# ---- connecting


def test_connect_with_auth_token_joins_the_user_room(connect):
    user, other = make_user(), make_user()
    client = connect(token_of(user))
    other_client = connect(token_of(other))
    assert client.is_connected()
    sockets.emit_to_user(user.id, "ping", {"n": 1}, now=True)
    assert events(client, "ping") == [{"n": 1}]
    assert events(other_client, "ping") == []


def test_connect_with_query_token(connect):
    user = make_user()
    client = connect(query=f"token={token_of(user)}")
    assert client.is_connected()
    assert client.emit("test_echo", {"text": "hi"}, callback=True) == {"ok": True, "echo": "hi", "user_id": user.id}


@pytest.mark.parametrize("kind", ["missing", "garbage", "expired", "refresh", "revoked", "no_session", "wrong_key"])
def test_connect_refused(app, connect, kind):
    user = make_user()
    token = {
        "missing": lambda: None,
        "garbage": lambda: "not-a-jwt",
        "expired": lambda: _expired_token(user),
        "refresh": lambda: accounts_services.issue_tokens(user)["refresh_token"],
        "revoked": lambda: _revoked_token(user),
        "no_session": lambda: create_access_token(str(user.id)),
        "wrong_key": lambda: _foreign_token(user),
    }[kind]()
    db.session.commit()
    assert not connect(token).is_connected()


def _expired_token(user) -> str:
    session_id = _decoded(accounts_services.issue_tokens(user)["access_token"])["sid"]
    return create_access_token(
        str(user.id), expires_delta=timedelta(seconds=-60), additional_claims={"sid": session_id}
    )


def _revoked_token(user) -> str:
    token = accounts_services.issue_tokens(user)["access_token"]
    accounts_services.logout(_decoded(token))
    return token


def _foreign_token(user) -> str:
    import jwt

    return jwt.encode({"sub": str(user.id), "type": "access", "sid": "x"}, "another-key-of-32-bytes-or-more!!", "HS256")


def _decoded(token: str) -> dict:
    from flask_jwt_extended import decode_token

    return decode_token(token)


def test_events_after_logout_are_refused_with_401(client, connect):
    user = make_user()
    token = token_of(user)
    socket = connect(token)
    assert socket.emit("test_echo", {"text": "x"}, callback=True)["ok"] is True
    assert client.post("/api/logout", headers={"Authorization": f"Bearer {token}"}).status_code == 204
    ack = socket.emit("test_echo", {"text": "x"}, callback=True)
    assert ack == {"ok": False, "error": {"code": 401, "message": "The token has been revoked."}}


REVOKED = {"ok": False, "error": {"code": 401, "message": "The token has been revoked."}}


def test_a_revocation_reported_by_redis_outlives_its_key(app, client, connect):
    """Events read revocations from Redis's reports: even once the revoked-login key expired, still refused."""
    user = make_user()
    token = token_of(user)
    socket = connect(token)
    assert socket.emit("test_echo", {"text": "x"}, callback=True)["ok"] is True  # asked Redis once
    assert client.post("/api/logout", headers={"Authorization": f"Bearer {token}"}).status_code == 204
    _redis(app).delete(accounts_services.revocation_key(_decoded(token)))  # as when its TTL runs out
    assert socket.emit("test_echo", {"text": "x"}, callback=True) == REVOKED


def test_without_the_tracking_connection_events_ask_redis(app, client, connect):
    user, other = make_user(), make_user()
    token, other_token = token_of(user), token_of(other)
    socket, other_socket = connect(token), connect(other_token)
    assert socket.emit("test_echo", {"text": "x"}, callback=True)["ok"] is True
    tracking = app.extensions["revocation_watch"].tracking
    tracking.RETRY_SECONDS = 0
    try:
        for tracking_client in _redis(app).client_list():
            if "t" in tracking_client["flags"]:
                _redis(app).client_kill_filter(_id=tracking_client["id"])
        # Revoked while no reports can arrive: the next event asks Redis, and so does every event of a new
        # tracking session until its login was asked about in it.
        assert client.post("/api/logout", headers={"Authorization": f"Bearer {token}"}).status_code == 204
        assert socket.emit("test_echo", {"text": "x"}, callback=True) == REVOKED
        assert other_socket.emit("test_echo", {"text": "x"}, callback=True)["ok"] is True
        assert socket.emit("test_echo", {"text": "x"}, callback=True) == REVOKED
        assert client.post("/api/logout", headers={"Authorization": f"Bearer {other_token}"}).status_code == 204
        assert other_socket.emit("test_echo", {"text": "x"}, callback=True) == REVOKED
    finally:
        tracking.RETRY_SECONDS = type(tracking).RETRY_SECONDS


def _redis(app):
    import redis

    return redis.Redis.from_url(app.config["REDIS_URL"])


# ---- the handler wrapper


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({}, {"text": ["Missing data for required field."]}),
        ({"text": ""}, {"text": ["Shorter than minimum length 1."]}),
        ({"text": "x", "extra": 1}, {"extra": ["Unknown field."]}),
        ("a string", {"_schema": ["Invalid input type."]}),
        (None, {"text": ["Missing data for required field."]}),
    ],
)
def test_invalid_payload_is_a_422_ack(connect, payload, errors):
    socket = connect(token_of(make_user()))
    ack = socket.emit("test_echo", payload, callback=True)
    assert ack == {"ok": False, "error": {"code": 422, "message": "Validation failed.", "errors": {"json": errors}}}
    assert socket.is_connected()


def test_app_errors_become_acks_with_the_rest_status(connect):
    socket = connect(token_of(make_user()))
    assert socket.emit("test_forbidden", {}, callback=True) == {
        "ok": False,
        "error": {"code": 403, "message": "Not for you."},
    }
    assert socket.emit("test_invalid", {}, callback=True) == {
        "ok": False,
        "error": {"code": 422, "message": "Bad value.", "errors": {"json": {"value": ["Bad value."]}}},
    }


def test_a_bug_is_a_500_ack_and_the_connection_stays(connect, caplog):
    socket = connect(token_of(make_user()))
    ack = socket.emit("test_boom", {}, callback=True)
    assert ack["ok"] is False
    assert ack["error"]["code"] == 500
    assert "a bug" not in ack["error"]["message"]
    assert "socket handler _boom failed" in caplog.text
    assert socket.is_connected()
    assert socket.emit("test_echo", {"text": "still here"}, callback=True)["ok"] is True


def test_an_integrity_error_is_a_409_ack(connect):
    user = make_user()
    project = make_project(user)
    socket = connect(token_of(user))
    ack = socket.emit("test_conflict", {"project_id": project.id}, callback=True)
    assert ack == {"ok": False, "error": {"code": 409, "message": "The request conflicts with existing data."}}


def test_success_commits_and_emits_after_commit(connect):
    user = make_user()
    socket = connect(token_of(user))
    assert socket.emit("test_write", {}, callback=True) == {"ok": True, "written": True}
    rows = db.session.query(Notification).filter_by(user_id=user.id).all()
    assert [n.title for n in rows] == ["Written"]
    assert [n["id"] for n in events(socket, "notification")] == [rows[0].id]


def test_failure_rolls_back_and_emits_nothing(connect):
    user = make_user()
    socket = connect(token_of(user))
    assert socket.emit("test_write", {"fail": True}, callback=True)["error"]["code"] == 500
    assert db.session.query(Notification).filter_by(user_id=user.id).count() == 0
    assert events(socket, "notification") == []


def test_events_leave_no_cyclic_garbage(app, connect):
    """An event's request context (rebuilt by Flask-SocketIO from the handshake) is not matched against the
    routes: the NotFound it raised was kept with its traceback, a reference cycle per event for the collector."""
    socket = connect(token_of(make_user()))
    socket.emit("test_echo", {"text": "warm"}, callback=True)
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for n in range(20):
            assert socket.emit("test_echo", {"text": f"hi {n}"}, callback=True)["ok"]
        gc.collect()
        garbage = [type(thing).__name__ for thing in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert "NotFound" not in garbage and "RequestContext" not in garbage
    with app.test_request_context("/api/exercises"):  # REST requests are routed as before
        from flask import request

        assert request.url_rule is not None


# ---- the emit helper


def test_emits_wait_for_the_commit_and_are_dropped_on_rollback(connect):
    user = make_user()
    socket = connect(token_of(user))
    sockets.emit_to_user(user.id, "ping", {"n": 1})
    sockets.emit_to_room(sockets.user_room(user.id), "ping", {"n": 2})
    assert events(socket, "ping") == []
    db.session.rollback()
    db.session.commit()
    assert events(socket, "ping") == []
    sockets.emit_to_user(user.id, "ping", {"n": 3})
    db.session.commit()
    assert events(socket, "ping") == [{"n": 3}]


def test_emit_to_users_reaches_each_socket_once(connect):
    sender, receiver, outsider = make_user(), make_user(), make_user()
    sockets_of = {user: connect(token_of(user)) for user in (sender, receiver, outsider)}
    second_device = connect(token_of(sender))
    sockets.emit_to_users([receiver.id, sender.id, sender.id], "ping", {"n": 1}, now=True)
    for user, expected in ((sender, [{"n": 1}]), (receiver, [{"n": 1}]), (outsider, [])):
        assert events(sockets_of[user], "ping") == expected
    assert events(second_device, "ping") == [{"n": 1}]


def test_remove_user_from_room(connect):
    user = make_user()
    socket = connect(token_of(user))
    room = "project:test"
    socketio.server.enter_room(_sid_of(user), room, namespace="/")
    sockets.emit_to_room(room, "ping", 1, now=True)
    sockets.remove_user_from_room(user.id, room)
    sockets.emit_to_room(room, "ping", 2, now=True)
    assert events(socket, "ping") == [1]


def _sid_of(user) -> str:
    (sid, _eio_sid), *_ = socketio.server.manager.get_participants("/", sockets.user_room(user.id))
    return sid


# ---- concurrency: threads, or gevent when gunicorn's gevent worker has monkey-patched the process


def test_threads_unless_gevent_patched_the_process():
    assert sockets.async_mode() == "threading"
    assert socketio.server.async_mode == "threading"


GEVENT_PROCESS = """
from gevent import monkey

monkey.patch_all()

import gevent
import sqlalchemy as sa

from app import create_app
from app.extensions import db, socketio

app = create_app("testing")
assert socketio.server.async_mode == "gevent", socketio.server.async_mode
order = []


def query():
    with app.app_context():
        db.session.execute(sa.text("SELECT pg_sleep(0.3)"))
        db.session.rollback()
    order.append("query done")


gevent.joinall([gevent.spawn(query), gevent.spawn(order.append, "other greenlet ran")], raise_error=True)
print(order)

# Revocations reach the watch as Redis reports under gevent too (the key is gone when it is asked again).
import redis

import uuid

from flask_jwt_extended import decode_token

from app.accounts import services as accounts_services
from tests.factories import make_user

with app.app_context():  # a real login: the watch asks the database about a login it has not heard of
    user = make_user(username=f"gevent_{uuid.uuid4().hex[:12]}")
    sid = decode_token(accounts_services.issue_tokens(user)["access_token"])["sid"]
    user_class, user_id = type(user), user.id
    db.session.commit()
watch, claims, key = app.extensions["revocation_watch"], {"sid": sid}, f"revoked-login:{sid}"
store = redis.Redis.from_url(app.config["REDIS_URL"])
with app.app_context():
    try:
        assert watch.is_revoked(claims) is False
        store.set(key, 1, ex=60)
        gevent.sleep(0.05)
        store.delete(key)
        assert watch.is_revoked(claims) is True
    finally:
        db.session.rollback()
        db.session.delete(db.session.get(user_class, user_id))
        db.session.commit()
"""


def test_under_gevent_socketio_uses_gevent_and_a_query_lets_other_greenlets_run(app):
    """psycopg 3 waits cooperatively once gevent has patched the process: a query does not block the hub;
    revoked logins are reported to the process as under threads."""
    env = {**os.environ, "TEST_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "LOG_LEVEL": "WARNING"}
    result = subprocess.run(
        [sys.executable, "-c", GEVENT_PROCESS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['other greenlet ran', 'query done']"


# ---- a real client against a live server


@pytest.mark.live
def test_live_connect_refusals(live_server):
    user = make_user()
    for auth in (None, {"token": "junk"}, {"token": _revoked_token(user)}):
        db.session.commit()
        client = socketio_client.Client(reconnection=False)
        with pytest.raises(socketio_client.exceptions.ConnectionError):
            client.connect(live_server.url, auth=auth, transports=["websocket"], wait_timeout=5)
        assert not client.connected


@pytest.mark.live
def test_live_query_token(live_server):
    user = make_user()
    client = socketio_client.Client(reconnection=False)
    client.connect(f"{live_server.url}?token={token_of(user)}", transports=["websocket"], wait_timeout=5)
    try:
        assert client.call("join_project", {"project_id": 1}, timeout=5)["error"]["code"] == 404
    finally:
        client.disconnect()


@pytest.mark.live
def test_external_write_only_emitter_reaches_live_clients(app, live_server):
    """What a process with no Socket.IO server does: publish on the Redis queue; the web process delivers."""
    user, other = make_user(), make_user()
    mine = live_server.socket(token_of(user), events=["notification"])
    theirs = live_server.socket(token_of(other), events=["notification"])
    try:
        emitter = sockets.external_emitter(app.config["REDIS_URL"], app.config["LIVE_SOCKETIO_CHANNEL"])
        emitter.emit("notification", {"id": 1}, to=sockets.user_room(user.id))
        emitter.emit("notification", {"id": 2}, to=sockets.user_room(other.id))
        assert mine.wait_for("notification") == {"id": 1}
        assert theirs.wait_for("notification") == {"id": 2}
        assert mine.of("notification") == [{"id": 1}]
    finally:
        mine.close()
        theirs.close()


def test_an_unknown_event_gets_a_404_ack_and_the_connection_stays(connect):
    socket = connect(token_of(make_user()))
    ack = socket.emit("no_such_event", {"x": 1}, callback=True)
    assert ack == {"ok": False, "error": {"code": 404, "message": "Unknown event 'no_such_event'."}}
    assert socket.is_connected()
    assert socket.emit("test_echo", {"text": "hi"}, callback=True)["ok"] is True


def test_a_redis_queue_publishes_on_one_connection_and_other_queues_are_flask_socketios(app):
    queue = sockets.client_manager("redis://127.0.0.1:6379/13", "a-channel")
    assert isinstance(queue, socketio_client.RedisManager)
    assert (queue.channel, queue.redis_options) == ("a-channel", {"single_connection_client": True})
    assert socketio.server.manager.json is PacketJSON  # the queue's messages through orjson, as the packets
    assert sockets.client_manager(None, "a-channel") is None
    assert sockets.client_manager("amqp://guest@127.0.0.1//", "a-channel") is None


def test_the_embedded_queue_is_kombus_filesystem_transport_in_its_folder(tmp_path):
    """(`tests/ops/test_make_run.py` carries a worker's event through it to a real socket.)"""
    queue = sockets.client_manager("filesystem://", "a-channel", str(tmp_path / "socketio"))
    assert isinstance(queue, socketio_client.KombuManager)
    assert (queue.url, queue.channel) == ("filesystem://", "a-channel")
    options = queue.connection_options["transport_options"]
    assert options["data_folder_in"] == options["data_folder_out"] == str(tmp_path / "socketio" / "data")
    assert (tmp_path / "socketio" / "data").is_dir() and (tmp_path / "socketio" / "control").is_dir()
    with pytest.raises(RuntimeError, match="SOCKETIO_QUEUE_FOLDER"):
        sockets.client_manager("filesystem://", "a-channel", None)
