"""Request and response schemas of chat: messages, conversations, unread counts, socket payloads."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from app.accounts.schemas import UserRefSchema
from app.chat.models import MAX_CLIENT_MSG_ID, MAX_CONTENT
from app.core.api import MAX_ID, PageQueryArgsSchema, Schema
from app.core.errors import AppError
from app.core.json import json_size
from app.core.schemas import CursorQueryArgsSchema, Id, Trimmed, UTCDateTime


def QueryId(**kwargs) -> fields.Integer:  # noqa: N802 - a field factory
    """An id in a query string (text, so not strict), within the database's range."""
    return fields.Integer(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


class PayloadTooLarge(AppError):
    code = 413


class EventSchema(Schema):
    """A socket event's payload: refused (413) beyond CHAT_MAX_EVENT_BYTES before any field is read."""

    @ma.pre_load
    def _size(self, data, **kwargs):
        from flask import current_app

        limit = current_app.config["CHAT_MAX_EVENT_BYTES"]
        size = json_size(data)
        if size > limit:
            raise PayloadTooLarge(f"The event payload is larger than {limit} bytes.")
        return data


def content_field(**kwargs) -> Trimmed:
    return Trimmed(
        validate=validate.Length(
            min=1, max=MAX_CONTENT, error=f"Must be 1 to {MAX_CONTENT} characters once trimmed of white space."
        ),
        **kwargs,
    )


# ---- input


class MessageCreateSchema(Schema):
    EXAMPLE = {
        "receiver_id": 2,
        "content": "Squats felt heavy today but I hit all my sets.",
        "client_msg_id": "7f9c2b1e-4d3a-4b8e-9a61-2f0c5d8e1a34",
    }
    receiver_id = Id(required=True)
    content = content_field(required=True)
    client_msg_id = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=MAX_CLIENT_MSG_ID)
    )


class SendMessageEventSchema(EventSchema, MessageCreateSchema):
    """`send_message` over Socket.IO: the REST body, size-checked."""


class MarkReadSchema(Schema):
    EXAMPLE = {"with": 2, "up_to": 41}
    peer_id = Id(required=True, data_key="with")
    up_to = Id(required=True)


class MarkReadEventSchema(EventSchema, MarkReadSchema):
    """`mark_read` over Socket.IO."""


class TypingEventSchema(EventSchema):
    to = Id(required=True)


class MessageQueryArgsSchema(CursorQueryArgsSchema):
    """A conversation's history as a cursor list: `before` (newest first) or `after` (oldest first)."""

    peer_id = QueryId(required=True, data_key="with")


class ConversationQueryArgsSchema(PageQueryArgsSchema):
    """No filters; page and page_size are the pager's."""


# ---- output


class MessageSchema(Schema):
    id = fields.Integer()
    sender_id = fields.Integer()
    receiver_id = fields.Integer()
    content = fields.String()
    client_msg_id = fields.String(allow_none=True)
    created_at = UTCDateTime()
    read_at = UTCDateTime(allow_none=True)
    is_read = fields.Function(lambda message: message.read_at is not None)


MESSAGE = MessageSchema()  # a message (a model or a row) in socket payloads: one instance, compiled once


class ConversationSchema(Schema):
    peer = fields.Nested(UserRefSchema)
    last_message = fields.Nested(MessageSchema)
    unread_count = fields.Integer()


class UnreadSchema(Schema):
    total = fields.Integer()
    by_sender = fields.Dict(keys=fields.String(), values=fields.Integer())
