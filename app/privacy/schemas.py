"""Request and response schemas of privacy (API.md §10): erasure, consents, exports."""

from __future__ import annotations

from marshmallow import fields, validate

from app.core.api import Schema
from app.core.schemas import EnumField, UTCDateTime, text
from app.privacy.models import ConsentType, ExportStatus


class EraseAccountSchema(Schema):
    password = fields.String(validate=validate.Length(min=1, max=1024))
    provider = text(20)
    id_token = fields.String(validate=validate.Length(min=1, max=8192))


class ConsentCreateSchema(Schema):
    type = EnumField(ConsentType, required=True)
    granted = fields.Boolean(required=True)


class ConsentSchema(Schema):
    type = EnumField(ConsentType)
    granted = fields.Boolean()
    policy_version = fields.String()
    recorded_at = UTCDateTime()


class ConsentStateSchema(Schema):
    granted = fields.Boolean()
    policy_version = fields.String()
    recorded_at = UTCDateTime()


class ConsentsSchema(Schema):
    current = fields.Dict(keys=fields.String(), values=fields.Nested(ConsentStateSchema, allow_none=True))
    history = fields.List(fields.Nested(ConsentSchema))


class ExportCreatedSchema(Schema):
    export_id = fields.String()


class ExportSchema(Schema):
    id = fields.String()
    status = EnumField(ExportStatus)
    created_at = UTCDateTime()
    expires_at = UTCDateTime(allow_none=True)
    download_url = fields.String(allow_none=True)
