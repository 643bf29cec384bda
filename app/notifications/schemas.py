"""The notification object as API.md §7 spells it."""

from __future__ import annotations

from marshmallow import fields

from app.core.api import Schema
from app.core.schemas import UTCDateTime


class NotificationSchema(Schema):
    id = fields.Integer()
    type = fields.String()
    title = fields.String()
    body = fields.String(allow_none=True)
    data = fields.Dict()
    created_at = UTCDateTime()
    read_at = UTCDateTime(allow_none=True)
