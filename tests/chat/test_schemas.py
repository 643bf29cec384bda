"""Chat's hand-written message dump (the socket hot path) against the documented MessageSchema."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from app.chat import schemas
from app.chat.models import Message
from app.extensions import db
from tests.chat.conftest import send


def test_message_payload_equals_the_schema_dump_for_a_model_and_a_row(cast):
    message = db.session.get(Message, send(cast.client, cast.trainer, "💪 hi", client_msg_id="c-1").id)
    unread = db.session.execute(sa.select(*Message.__table__.c).where(Message.id == message.id)).one()
    message.read_at = datetime(2026, 11, 22, 14, 5, 0, 123456, tzinfo=UTC)
    db.session.flush()
    read = db.session.execute(sa.select(*Message.__table__.c).where(Message.id == message.id)).one()
    for item in (message, unread, read):
        assert schemas.message_payload(item) == schemas.MessageSchema().dump(item)
    assert schemas.message_payload(read)["read_at"] == "2026-11-22T14:05:00.123456Z"
    assert schemas.message_payload(unread)["is_read"] is False


def test_message_payload_without_a_client_msg_id(cast):
    message = send(cast.trainer, cast.client, "no id")
    assert schemas.message_payload(message) == schemas.MessageSchema().dump(message)
    assert schemas.message_payload(message)["client_msg_id"] is None
