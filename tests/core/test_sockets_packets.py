"""Socket.IO packets the server cannot decode are answered (issue 15 §6): a 400 ack, the connection kept."""

from __future__ import annotations

import json

import pytest
import websocket

from tests.chat.conftest import token_of
from tests.factories import make_user
from tests.live import live_server_fixture  # noqa: F401 - the live_server fixture


def engine_io_socket(url: str, token: str) -> websocket.WebSocket:
    """A raw Engine.IO v4 WebSocket connected to the `/` namespace (what python-socketio's client does)."""
    ws = websocket.create_connection(
        url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket", timeout=10
    )
    assert ws.recv().startswith("0")  # Engine.IO open
    ws.send("40" + json.dumps({"token": token}))
    assert ws.recv().startswith("40")  # Socket.IO connect accepted
    return ws


def ack_of(ws: websocket.WebSocket, ack_id: int):
    """Read frames until the ack with this id; answer pings on the way."""
    while True:
        frame = ws.recv()
        if frame == "2":
            ws.send("3")
            continue
        prefix = f"43{ack_id}"
        if frame.startswith(prefix):
            return json.loads(frame[len(prefix) :])


@pytest.mark.live
@pytest.mark.parametrize(
    "payload",
    [
        '["send_message",' + "[" * 1100 + "]" * 1100 + "]",  # deeper than the decoder reads
        '["send_message", {"receiver_id": 1,',  # not JSON
    ],
)
def test_an_undecodable_event_gets_a_400_ack_and_the_connection_stays(live_server, payload):
    user = make_user()
    ws = engine_io_socket(live_server.url, token_of(user))
    try:
        ws.send("427" + payload)
        [ack] = ack_of(ws, 7)
        assert ack["ok"] is False and ack["error"]["code"] == 400
        ws.send('428["send_message", {"content": "hi"}]')  # the connection still serves events
        [ack] = ack_of(ws, 8)
        assert ack["error"]["code"] == 422
    finally:
        ws.close()
