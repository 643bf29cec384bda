"""Request and response schemas of privacy (API.md §10): erasure, consents, exports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from marshmallow import ValidationError, fields, validate, validates

from app.core.api import Schema
from app.core.columns import utcnow
from app.core.json import json_size
from app.core.schemas import EnumField, UTCDateTime, text
from app.privacy.models import ConsentType, ExportStatus


class EraseAccountSchema(Schema):
    EXAMPLE = {"password": "correct horse battery staple"}

    password = fields.String(validate=validate.Length(min=1, max=1024))
    provider = text(20)
    id_token = fields.String(validate=validate.Length(min=1, max=8192))


class ConsentCreateSchema(Schema):
    EXAMPLE = {"type": "health_data", "granted": True}

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


# ---- analytics

EVENT_NAME = r"^[a-z][a-z0-9_.]{0,63}$"


class AnalyticsEventSchema(Schema):
    name = fields.String(required=True, validate=validate.Regexp(EVENT_NAME, error="lower-case letters, digits, _ ."))
    time = UTCDateTime(required=True)
    properties = fields.Dict(keys=fields.String(validate=validate.Length(max=64)), load_default=dict)

    @validates("properties")
    def _small(self, value: dict, **kwargs) -> None:
        if json_size(value) > MAX_PROPERTIES_BYTES:
            raise ValidationError(f"At most {MAX_PROPERTIES_BYTES} bytes of JSON.")

    @validates("time")
    def _recent(self, value: datetime, **kwargs) -> None:
        now = utcnow()
        if not now - timedelta(days=7) <= value <= now + timedelta(minutes=5):
            raise ValidationError("Must be within the last 7 days.")


MAX_PROPERTIES_BYTES = 2048
MAX_BATCH = 50


def _recent(minutes: int) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class AnalyticsBatchSchema(Schema):
    # Event times must be recent (the last 7 days), so the documented example is made when the app starts.
    EXAMPLE = {
        "events": [
            {"name": "screen_view", "time": _recent(minutes=2), "properties": {"screen": "workouts"}},
            {"name": "workout.started", "time": _recent(minutes=1)},
        ]
    }

    events = fields.List(fields.Nested(AnalyticsEventSchema), required=True, validate=validate.Length(max=MAX_BATCH))


class AnalyticsAcceptedSchema(Schema):
    accepted = fields.Integer()


class AnalyticsReportQueryArgsSchema(Schema):
    days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=90))
    weeks = fields.Integer(load_default=8, validate=validate.Range(min=1, max=52))


class ActiveUsersSchema(Schema):
    period = fields.String()
    users = fields.Integer()


class CohortSchema(Schema):
    cohort_week = fields.String()
    signups = fields.Integer()
    active = fields.List(fields.Integer())


class AnalyticsReportSchema(Schema):
    daily_active_users = fields.List(fields.Nested(ActiveUsersSchema))
    weekly_active_users = fields.List(fields.Nested(ActiveUsersSchema))
    retention = fields.List(fields.Nested(CohortSchema))
