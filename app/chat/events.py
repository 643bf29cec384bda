"""Socket.IO handlers of chat: sending, read receipts, typing; each one service call shared with REST."""

from __future__ import annotations

from app.accounts.models import User
from app.chat import schemas, services
from app.core import sockets

_message_schema = schemas.MessageSchema()


@sockets.on_event("send_message", schemas.SendMessageEventSchema)
def send_message(user: User, data: dict) -> dict:
    """Send a message; the ack carries the stored message (the same one for a retried `client_msg_id`)."""
    message, _created = services.send_message(user, **data)
    return {"message": _message_schema.dump(message)}


@sockets.on_event("mark_read", schemas.MarkReadEventSchema)
def mark_read(user: User, data: dict) -> None:
    """Mark a peer's messages as read up to an id; the peer's sockets get `messages_read`."""
    services.mark_read(user, data["peer_id"], data["up_to"])


@sockets.on_event("typing", schemas.TypingEventSchema)
def typing(user: User, data: dict) -> None:
    """Relay `typing {from}` to a user you may message (not stored, rate-limited)."""
    services.typing(user, data["to"])
