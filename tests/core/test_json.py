"""The orjson provider writes the documents Flask's default provider writes."""

from __future__ import annotations

import dataclasses
import decimal
import json
import uuid
from datetime import UTC, date, datetime

import pytest
from flask import jsonify
from flask.json.provider import DefaultJSONProvider
from socketio import packet

from app.core.json import FastJSONProvider, PacketJSON, json_size
from app.core.sockets import UNDECODABLE_EVENT, AnsweredPacket
from app.extensions import socketio


@dataclasses.dataclass
class Point:
    x: int
    y: int


def _documents():
    return [
        {"b": 1, "a": [1.5, None, True, "é ✓"], "c": {"z": 1, "y": {"x": 0}}},
        {"when": datetime(2026, 11, 22, 14, 5, tzinfo=UTC), "day": date(2026, 11, 22)},
        {"id": uuid.UUID("12345678-1234-5678-1234-567812345678"), "price": decimal.Decimal("9.90")},
        {"point": Point(1, 2)},
        {3: "int keys", 1: "sorted"},
        {"huge": 2**80},  # beyond orjson's 64 bits: Flask's encoder takes over
        [],
        "text",
    ]


def test_the_same_documents_as_flasks_default(app):
    fast, default = FastJSONProvider(app), DefaultJSONProvider(app)
    for document in _documents():
        assert json.loads(fast.dumps(document)) == json.loads(default.dumps(document))
    assert fast.dumps({"b": 1, "a": 2}) == '{"a":2,"b":1}'  # sorted, compact
    assert fast.dumps({"a": 1}, indent=2) == default.dumps({"a": 1}, indent=2)


def test_responses_are_compact_json_with_a_trailing_newline(app):
    assert isinstance(app.json, FastJSONProvider)
    with app.test_request_context():
        response = jsonify(b=1, a=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
        assert response.mimetype == "application/json"
        assert response.get_data() == b'{"a":"Fri, 02 Jan 2026 03:04:05 GMT","b":1}\n'
        assert jsonify({"huge": 2**80}).get_json() == {"huge": 2**80}


def test_debug_mode_indents_as_flask_does(app):
    app.debug = True
    try:
        with app.test_request_context():
            assert jsonify(a=1).get_data() == b'{\n  "a": 1\n}\n'
    finally:
        app.debug = False


# ---- Socket.IO packets


def test_socketio_packets_encode_and_decode_through_orjson_as_the_standard_library_does(app):
    packets = socketio.server.packet_class  # the server's `serializer=`, on which python-socketio sets its `json=`
    assert packets is AnsweredPacket and packets.json is PacketJSON
    assert socketio.server.manager.json is PacketJSON  # the queue's messages between processes too
    for document in [{"b": 1, "a": [1.5, None, True, "é ✓"]}, ["message", {"id": 2**80}], {3: "int keys"}, "x"]:
        text = PacketJSON.dumps(document, separators=(",", ":"))
        assert json.loads(text) == json.loads(json.dumps(document, separators=(",", ":")))
        assert PacketJSON.loads(text) == json.loads(text)
    assert PacketJSON.dumps(["send_message", {"a": 1}], separators=(",", ":")) == '["send_message",{"a":1}]'
    assert PacketJSON.dumps({"a": [1]}, indent=1) == json.dumps({"a": [1]}, indent=1)  # other arguments: stdlib's
    encoded = packets(packet.EVENT, data=["typing", {"to": 7}], id=3).encode()
    assert encoded == '23["typing",{"to":7}]'
    assert packets(encoded_packet=encoded).data == ["typing", {"to": 7}]


def test_a_malformed_packet_is_refused_as_with_the_standard_library(app):
    packets = socketio.server.packet_class
    with pytest.raises(ValueError):
        packets.json.loads('["typing",{')
    with pytest.raises(ValueError):  # a packet that is not an event is refused as python-socketio refuses it
        packets(encoded_packet='3["typing",{')
    undecodable = packets(encoded_packet='27["typing",{')  # an event becomes the internal one, answered with a 400
    assert undecodable.packet_type == packet.EVENT and undecodable.id == 7 and undecodable.data == [UNDECODABLE_EVENT]


def test_json_size_is_the_compact_utf8_length():
    for document in [{"content": "é ✓ hi", "to": 3}, {"n": 2**80, "nested": [1, None, True]}, "x" * 100]:
        assert json_size(document) == len(json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode())
