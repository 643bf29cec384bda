"""Chat between real python-socketio clients on TWO live server processes joined by the Redis message queue."""

from __future__ import annotations

import json
import time

import pytest
import requests
import socketio
import websocket

from app.chat.models import Message
from app.extensions import db
from tests import live
from tests.chat.conftest import token_of
from tests.conftest import wait_for
from tests.factories import make_coaching, make_user
from tests.live import live_server_fixture, run_in_app_process  # noqa: F401 - the live_server fixture

pytestmark = pytest.mark.live

EVENTS = ["message", "messages_read", "typing", "notification"]
SECOND_SERVER_SEND_RATE = "20 per 10 seconds"


@pytest.fixture(scope="module")
def second_server(app, live_server):
    """Another web process on the same database and message-queue channel, with chat rate limits on.

    It runs threads (as `make run` does) where the first runs gevent (as the Procfile does): messages cross
    between the two Socket.IO modes too.
    """
    server = live.start_live_server(
        app, worker="gthread", RATELIMIT_ENABLED="true", CHAT_SEND_RATE=SECOND_SERVER_SEND_RATE
    )
    try:
        yield server
    finally:
        live.stop_live_server(server)


@pytest.fixture
def pair(live_server, second_server):
    """A trainer connected to server 1 and their client connected to server 2."""
    trainer, client = make_user(role="Trainer", username="coach_sam"), make_user()
    make_coaching(trainer, client)
    tokens = {"trainer": token_of(trainer), "client": token_of(client)}
    sockets = {
        "trainer": live_server.socket(tokens["trainer"], events=EVENTS),
        "client": second_server.socket(tokens["client"], events=EVENTS),
    }
    yield {"trainer": trainer, "client": client, "tokens": tokens, "sockets": sockets}
    for recorder in sockets.values():
        recorder.close()


def stored_count() -> int:
    db.session.rollback()  # see what the servers committed
    return db.session.scalar(db.select(db.func.count()).select_from(Message))


def test_a_message_and_its_read_receipt_cross_processes(pair):
    a, b = pair["sockets"]["trainer"], pair["sockets"]["client"]
    trainer, client = pair["trainer"], pair["client"]
    ack = a.call("send_message", {"receiver_id": client.id, "content": "Leg day?", "client_msg_id": "live-1"})
    assert ack["ok"] is True
    message = ack["message"]
    assert b.wait_for("message", lambda m: m["id"] == message["id"]) == message
    assert a.wait_for("message", lambda m: m["id"] == message["id"]) == message

    assert b.call("mark_read", {"with": trainer.id, "up_to": message["id"]}) == {"ok": True}
    assert a.wait_for("messages_read") == {"by": client.id, "up_to": message["id"]}

    b.client.emit("typing", {"to": trainer.id})
    assert a.wait_for("typing") == {"from": client.id}
    assert stored_count() == 1


def test_a_rest_message_on_one_server_reaches_a_socket_on_the_other(pair, live_server, second_server):
    a, b = pair["sockets"]["trainer"], pair["sockets"]["client"]
    response = second_server.api(
        "POST", "/api/messages", pair["tokens"]["client"], json={"receiver_id": pair["trainer"].id, "content": "Yes!"}
    )
    assert response.status_code == 201
    assert a.wait_for("message") == response.json()
    assert b.wait_for("message") == response.json()
    history = live_server.api("GET", f"/api/messages?with={pair['client'].id}", pair["tokens"]["trainer"]).json()
    assert history == [response.json()]


def test_reconnect_recipe_catches_up_on_what_was_missed(pair, live_server, second_server):
    """Offline client: GET /api/conversations, then GET /api/messages?with=<peer>&after=<last id seen>."""
    a, b = pair["sockets"]["trainer"], pair["sockets"]["client"]
    trainer, client = pair["trainer"], pair["client"]
    seen = a.call("send_message", {"receiver_id": client.id, "content": "first"})["message"]
    b.wait_for("message", lambda m: m["id"] == seen["id"])
    b.close()
    missed = [a.call("send_message", {"receiver_id": client.id, "content": f"missed {i}"})["message"] for i in range(3)]
    token = pair["tokens"]["client"]
    conversations = second_server.api("GET", "/api/conversations", token).json()
    assert [(c["peer"]["id"], c["unread_count"], c["last_message"]["id"]) for c in conversations] == [
        (trainer.id, 4, missed[-1]["id"])
    ]
    caught_up = second_server.api("GET", f"/api/messages?with={trainer.id}&after={seen['id']}", token).json()
    assert caught_up == missed  # oldest first


def test_a_flood_gets_429_acks_and_the_server_stays_up(pair, second_server):
    b = pair["sockets"]["client"]
    trainer = pair["trainer"]
    acks = [b.call("send_message", {"receiver_id": trainer.id, "content": f"spam {i}"}) for i in range(30)]
    codes = [ack["error"]["code"] if not ack["ok"] else 200 for ack in acks]
    assert codes.count(200) == 20 and set(codes[20:]) == {429}
    assert b.client.connected
    assert requests.get(second_server.url + "/healthz", timeout=5).status_code == 200
    assert stored_count() == 20


def test_oversized_payloads_are_refused_without_hurting_the_server(pair, second_server):
    b = pair["sockets"]["client"]
    trainer = pair["trainer"]
    ack = b.call("send_message", {"receiver_id": trainer.id, "content": "x" * 20_000})
    assert ack["ok"] is False and ack["error"]["code"] == 413
    # Beyond the transport's own limit the server drops the connection instead.
    huge = socketio.Client(reconnection=False)
    huge.connect(second_server.url, auth={"token": pair["tokens"]["client"]}, transports=["websocket"])
    assert huge.connected
    try:
        huge.emit("send_message", {"receiver_id": trainer.id, "content": "x" * 2_000_000})
        wait_for(lambda: not huge.connected, timeout=10)  # the server dropped the connection
    finally:
        if huge.connected:
            huge.disconnect()
    assert requests.get(second_server.url + "/healthz", timeout=5).status_code == 200
    assert b.call("send_message", {"receiver_id": trainer.id, "content": "still fine"})["ok"] is True
    assert stored_count() == 1


def test_raw_events_before_the_socketio_connect_are_ignored(pair, second_server):
    """An Engine.IO socket that never completes the Socket.IO handshake (no auth) sends events and garbage."""
    trainer = pair["trainer"]
    url = second_server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    raw = websocket.create_connection(url, timeout=5)
    try:
        assert raw.recv().startswith("0{")  # Engine.IO open
        for packet in (
            "42" + json.dumps(["send_message", {"receiver_id": trainer.id, "content": "sneaky"}]),
            "421" + json.dumps(["send_message", {"receiver_id": trainer.id, "content": "sneaky"}]),
            "42[not json",
            "4x",
            "garbage",
        ):
            try:
                raw.send(packet)
            except (websocket.WebSocketException, OSError):
                break  # the server may close the connection: that is a fine answer
    finally:
        raw.close()
    assert requests.get(second_server.url + "/healthz", timeout=5).status_code == 200
    assert stored_count() == 0
    b = pair["sockets"]["client"]
    assert b.call("send_message", {"receiver_id": trainer.id, "content": "ok"})["ok"] is True


DIGEST_IN_A_WORKER = """
from datetime import timedelta
from app import create_app
from app.chat import services
from app.core.columns import utcnow
from app.extensions import db

app = create_app("testing")
with app.app_context():
    services.run_unread_digest(now=utcnow() + timedelta(hours=1))
    db.session.commit()
"""


def test_the_digest_run_by_a_worker_process_reaches_the_socket(app, pair):
    a, b = pair["sockets"]["trainer"], pair["sockets"]["client"]
    trainer, client = pair["trainer"], pair["client"]
    for i in range(3):
        assert a.call("send_message", {"receiver_id": client.id, "content": f"hey {i}"})["ok"]
    run_in_app_process(app, DIGEST_IN_A_WORKER)
    notification = b.wait_for("notification")
    assert notification["type"] == "message"
    assert notification["title"] == "3 new messages from coach_sam"
    assert notification["data"] == {"by_sender": {str(trainer.id): 3}}


def test_a_sockets_events_are_handled_in_the_order_it_sent_them(pair):
    """One socket's events run one after another (not a greenlet each): a burst is stored and acked in order."""
    a, b = pair["sockets"]["trainer"], pair["sockets"]["client"]
    client = pair["client"]
    acks: list[dict] = []
    for n in range(15):  # sent back to back, without waiting for the acks
        payload = {"receiver_id": client.id, "content": f"set {n}", "client_msg_id": f"burst-{n}"}
        a.client.emit("send_message", payload, callback=acks.append)
    deadline = time.monotonic() + 10
    while len(acks) < 15 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [ack["message"]["client_msg_id"] for ack in acks] == [f"burst-{n}" for n in range(15)]
    ids = [ack["message"]["id"] for ack in acks]
    assert ids == sorted(ids)
    for n in range(15):
        assert b.wait_for("message", lambda m, n=n: m["client_msg_id"] == f"burst-{n}")["id"] == ids[n]
