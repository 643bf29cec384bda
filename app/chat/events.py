"""Socket.IO handlers of chat: sending, read receipts, typing; each one service call shared with REST."""

from __future__ import annotations

from app.chat import schemas, services
from app.core import sockets
from app.core.sockets import SocketUser

# These handlers need only the sender's id (the rules read roles and relations in SQL): no user row per event.


@sockets.on_event("send_message", schemas.SendMessageEventSchema, load_user=False, single_statement=True)
def send_message(user: SocketUser, data: dict) -> dict:
    """Send a message; the ack carries the stored message (the same one for a retried `client_msg_id`)."""
    message, _created = services.send_message(user, **data)
    return {"message": schemas.MESSAGE.dump(message)}


@sockets.on_event("mark_read", schemas.MarkReadEventSchema, load_user=False, single_statement=True)
def mark_read(user: SocketUser, data: dict) -> None:
    """Mark a peer's messages as read up to an id; the peer's sockets get `messages_read`."""
    services.mark_read(user, data["peer_id"], data["up_to"])


@sockets.on_event("typing", schemas.TypingEventSchema, load_user=False, single_statement=True)
def typing(user: SocketUser, data: dict) -> None:
    """Relay `typing {from}` to a user you may message (not stored, rate-limited)."""
    services.typing(user, data["to"])


HANDLERS = [send_message, mark_read, typing]  # registered by the factory (app/__init__.py)
