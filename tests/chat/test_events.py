"""Chat over Socket.IO, in-process: send_message, mark_read, typing, bad payloads; REST reaches sockets too."""

from __future__ import annotations

import pytest

from app.chat.models import Message
from app.extensions import db
from tests.chat.conftest import bearer, received, send


def stored() -> list[Message]:
    return list(db.session.execute(db.select(Message).order_by(Message.id)).scalars())


def test_send_message_acks_the_stored_message_and_reaches_both_rooms(connect, cast):
    sender, receiver, outsider = connect(cast.client), connect(cast.trainer), connect(cast.stranger)
    second_device = connect(cast.client)
    ack = sender.emit(
        "send_message", {"receiver_id": cast.trainer.id, "content": " hi ", "client_msg_id": "a1"}, callback=True
    )
    assert ack["ok"] is True
    message = ack["message"]
    assert (message["content"], message["client_msg_id"], message["is_read"]) == ("hi", "a1", False)
    assert [m.id for m in stored()] == [message["id"]]
    assert received(receiver, "message") == [message]
    assert received(sender, "message") == [message]
    assert received(second_device, "message") == [message]  # the sender's other devices stay in sync
    assert received(outsider, "message") == []


def test_a_retried_client_msg_id_is_acked_with_the_same_message_and_announced_again_with_its_id(connect, cast):
    sender, receiver = connect(cast.client), connect(cast.trainer)
    payload = {"receiver_id": cast.trainer.id, "content": "once", "client_msg_id": "r1"}
    first = sender.emit("send_message", payload, callback=True)
    assert len(received(sender, "message")) == 1
    again = sender.emit("send_message", payload, callback=True)
    assert first == again and first["ok"]
    assert len(stored()) == 1
    # The first announcement may have died with a web process: the receiver hears of it again, same id.
    assert received(receiver, "message") == [first["message"], first["message"]]
    assert received(sender, "message") == []  # the sender has it in its ack


@pytest.mark.parametrize(
    ("receiver", "code"),
    [("stranger", 403), ("closed_trainer", 403), (None, 404)],
)
def test_refusals_are_error_acks_and_store_nothing(connect, cast, receiver, code):
    sender = connect(cast.other_user)
    receiver_id = getattr(cast, receiver).id if receiver else 999_999
    ack = sender.emit("send_message", {"receiver_id": receiver_id, "content": "hey"}, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == code
    assert stored() == []
    assert sender.is_connected()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "receiver_id"),
        ({"receiver_id": "1", "content": "x"}, "receiver_id"),
        ({"receiver_id": 1}, "content"),
        ({"receiver_id": 1, "content": ["x"]}, "content"),
        ({"receiver_id": 1, "content": " "}, "content"),
        ({"receiver_id": 1, "content": "x", "client_msg_id": 7}, "client_msg_id"),
        ({"receiver_id": 1, "content": "x", "admin": True}, "admin"),
        ("just a string", "_schema"),
        ([1, 2], "_schema"),
        (None, "receiver_id"),
    ],
)
def test_bad_payloads_are_422_acks(connect, cast, payload, field):
    sender = connect(cast.client)
    ack = sender.emit("send_message", payload, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == 422
    assert field in ack["error"]["errors"]["json"]
    assert sender.is_connected()


def test_a_payload_over_16_kb_is_a_413_ack(connect, cast):
    sender = connect(cast.client)
    ack = sender.emit("send_message", {"receiver_id": cast.trainer.id, "content": "x" * 20_000}, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == 413
    ack = sender.emit("mark_read", {"with": cast.trainer.id, "up_to": 1, "pad": "y" * 17_000}, callback=True)
    assert ack["error"]["code"] == 413
    # The longest valid message (4000 four-byte characters) still fits.
    ack = sender.emit("send_message", {"receiver_id": cast.trainer.id, "content": "💪" * 4000}, callback=True)
    assert ack["ok"] is True
    assert stored()[0].content == "💪" * 4000


def test_an_unknown_event_does_not_hurt_the_connection(connect, cast):
    sender = connect(cast.client)
    sender.emit("no_such_event", {"x": 1})
    assert sender.emit("no_such_event", {"x": 1}, callback=True)["error"]["code"] == 404
    assert sender.is_connected()
    assert sender.emit("send_message", {"receiver_id": cast.trainer.id, "content": "ok"}, callback=True)["ok"]


def test_a_flood_gets_429_acks_and_the_socket_keeps_working(app_config, connect, cast):
    app_config["CHAT_SEND_RATE"] = "5 per 10 seconds"
    sender = connect(cast.client)
    acks = [
        sender.emit("send_message", {"receiver_id": cast.trainer.id, "content": f"{i}"}, callback=True)
        for i in range(8)
    ]
    assert [ack["ok"] for ack in acks] == [True] * 5 + [False] * 3
    assert {ack["error"]["code"] for ack in acks[5:]} == {429}
    assert len(stored()) == 5
    assert sender.is_connected()
    assert sender.emit("mark_read", {"with": cast.trainer.id, "up_to": 1}, callback=True) == {"ok": True}


def test_a_message_sent_over_rest_reaches_the_receivers_socket(client, connect, cast):
    receiver = connect(cast.trainer)
    response = client.post(
        "/api/messages", json={"receiver_id": cast.trainer.id, "content": "via REST"}, headers=bearer(cast.client)
    )
    assert response.status_code == 201
    assert received(receiver, "message") == [response.get_json()]


def test_a_refused_rest_message_emits_nothing(client, connect, cast):
    receiver = connect(cast.stranger)
    response = client.post(
        "/api/messages", json={"receiver_id": cast.stranger.id, "content": "x"}, headers=bearer(cast.trainer)
    )
    assert response.status_code == 403
    assert received(receiver, "message") == []


def test_mark_read_sends_messages_read_to_the_sender(connect, cast):
    first, second = send(cast.client, cast.trainer, "1"), send(cast.client, cast.trainer, "2")
    sender, reader, outsider = connect(cast.client), connect(cast.trainer), connect(cast.stranger)
    readers_other_device = connect(cast.trainer)
    ack = reader.emit("mark_read", {"with": cast.client.id, "up_to": first.id}, callback=True)
    assert ack == {"ok": True}
    assert received(sender, "messages_read") == [{"by": cast.trainer.id, "up_to": first.id}]
    assert received(readers_other_device, "messages_read") == [{"by": cast.trainer.id, "up_to": first.id}]
    assert received(reader, "messages_read") == []  # the socket that marked them has its ack
    assert received(outsider, "messages_read") == []
    # Nothing new to mark: no receipt. A far bound reports the last message really read.
    assert reader.emit("mark_read", {"with": cast.client.id, "up_to": first.id}, callback=True) == {"ok": True}
    assert received(sender, "messages_read") == []
    reader.emit("mark_read", {"with": cast.client.id, "up_to": 2_000_000_000}, callback=True)
    assert received(sender, "messages_read") == [{"by": cast.trainer.id, "up_to": second.id}]


@pytest.mark.parametrize(
    ("payload", "code"),
    [({"with": 1}, 422), ({"up_to": 1}, 422), ({"with": 999_999, "up_to": 1}, 404), ({"with": "a", "up_to": 1}, 422)],
)
def test_mark_read_errors(connect, cast, payload, code):
    ack = connect(cast.client).emit("mark_read", payload, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == code


def test_typing_reaches_only_the_peer_and_is_not_stored(connect, cast):
    typist, peer, outsider = connect(cast.client), connect(cast.trainer), connect(cast.stranger)
    typist.emit("typing", {"to": cast.trainer.id})
    assert received(peer, "typing") == [{"from": cast.client.id}]
    assert received(outsider, "typing") == [] and received(typist, "typing") == []
    assert stored() == []


def test_typing_to_someone_you_may_not_message_is_refused(connect, cast):
    typist, target = connect(cast.trainer), connect(cast.stranger)
    ack = typist.emit("typing", {"to": cast.stranger.id}, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == 403
    assert received(target, "typing") == []
    assert typist.emit("typing", {"to": "x"}, callback=True)["error"]["code"] == 422


def test_typing_is_rate_limited_silently(app_config, connect, cast):
    app_config["CHAT_TYPING_RATE"] = "3 per 10 seconds"
    typist, peer = connect(cast.client), connect(cast.trainer)
    acks = [typist.emit("typing", {"to": cast.trainer.id}, callback=True) for _ in range(6)]
    assert all(ack == {"ok": True} for ack in acks)
    assert len(received(peer, "typing")) == 3
