"""Schemas of notifications (API.md §7): the notification object, lists, read marks, preferences, devices."""

from __future__ import annotations

import json
import re
from datetime import datetime, time
from urllib.parse import urlparse

import marshmallow as ma
from marshmallow import fields, validate

from app.core.api import MAX_ID, PageQueryArgsSchema, Schema
from app.core.json import load_untrusted
from app.core.schemas import CursorQueryArgsSchema, EnumField, Id, UTCDateTime
from app.notifications.models import MAX_DEVICE_TOKEN, Platform

MAX_IDS = 1000
HH_MM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def QueryId(**kwargs) -> fields.Integer:  # noqa: N802 - a field factory
    """An id in a query string (text, so not strict), within the database's range."""
    return fields.Integer(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


class NotificationSchema(Schema):
    id = fields.Integer()
    type = fields.String()
    title = fields.String()
    body = fields.String(allow_none=True)
    data = fields.Dict()
    created_at = UTCDateTime()
    read_at = UTCDateTime(allow_none=True)


class NotificationQueryArgsSchema(CursorQueryArgsSchema):
    """The notification stream as a cursor list; `unread=true` keeps the unread ones."""

    unread = fields.Boolean()


class NotificationReadSchema(Schema):
    """`{ids: [...]}` or `{all: true}`."""

    EXAMPLE = {"ids": [12, 13]}

    ids = fields.List(Id(), validate=validate.Length(min=1, max=MAX_IDS))
    all = fields.Boolean(validate=validate.Equal(True, error="Only `true` is meaningful; send `ids` otherwise."))

    @ma.validates_schema
    def _one_of(self, data, **kwargs):
        if ("ids" in data) == ("all" in data):
            raise ma.ValidationError("Send either `ids` or `all: true`.", "_schema")


class ClockTime(fields.Field):
    """A local wall-clock time as "HH:MM" (24-hour)."""

    def _serialize(self, value: time | None, attr, obj, **kwargs):
        return None if value is None else value.strftime("%H:%M")

    def _deserialize(self, value, attr, data, **kwargs) -> time:
        if not isinstance(value, str) or not HH_MM.match(value):
            raise ma.ValidationError('Use 24-hour "HH:MM", e.g. "22:00".')
        return datetime.strptime(value, "%H:%M").time()


class QuietHoursSchema(Schema):
    start = ClockTime(required=True)
    end = ClockTime(required=True)

    @ma.validates_schema
    def _not_empty(self, data, **kwargs):
        if data.get("start") is not None and data.get("start") == data.get("end"):
            raise ma.ValidationError("Must differ from `start`.", "end")


class PreferencesSchema(Schema):
    """Channels and quiet hours (local times in your profile's time zone; the window may cross midnight)."""

    EXAMPLE = {"email": True, "push": True, "quiet_hours": {"start": "22:00", "end": "07:00"}}

    email = fields.Boolean()
    push = fields.Boolean()
    quiet_hours = fields.Nested(QuietHoursSchema, allow_none=True)


class DeviceCreateSchema(Schema):
    EXAMPLE = {"platform": "android", "token": "fcm-registration-token-from-the-device"}
    platform = EnumField(Platform, required=True)
    token = fields.String(required=True, validate=validate.Length(min=1, max=MAX_DEVICE_TOKEN))

    @ma.post_load
    def _token_shape(self, data, **kwargs):
        if data["platform"] == Platform.WEB:
            return {**data, "token": web_subscription(data["token"])}
        if any(c.isspace() for c in data["token"]):
            raise ma.ValidationError("An FCM registration token has no white space.", "token")
        return data


def web_subscription(token: str) -> str:
    """Check a Web Push subscription (PushSubscription.toJSON()) and return it as canonical JSON."""
    error = 'A web token is the PushSubscription as JSON: {"endpoint": "https://...", "keys": {"p256dh", "auth"}}.'
    try:
        value = load_untrusted(token)
    except ValueError:
        raise ma.ValidationError(error, "token") from None
    keys = value.get("keys") if isinstance(value, dict) else None
    endpoint = value.get("endpoint") if isinstance(value, dict) else None
    if (
        not isinstance(endpoint, str)
        or urlparse(endpoint).scheme not in ("http", "https")
        or not urlparse(endpoint).netloc
        or not isinstance(keys, dict)
        or not all(isinstance(keys.get(k), str) and keys.get(k) for k in ("p256dh", "auth"))
    ):
        raise ma.ValidationError(error, "token")
    canonical = {"endpoint": endpoint, "keys": {"p256dh": keys["p256dh"], "auth": keys["auth"]}}
    text = json.dumps(canonical, separators=(",", ":"), sort_keys=True)
    if len(text) > MAX_DEVICE_TOKEN:
        raise ma.ValidationError(f"Longer than maximum length {MAX_DEVICE_TOKEN}.", "token")
    return text


class DeviceSchema(Schema):
    id = fields.Integer()
    platform = EnumField(Platform)
    token = fields.String()
    created_at = UTCDateTime()
    last_seen_at = UTCDateTime()


class DeviceQueryArgsSchema(PageQueryArgsSchema):
    """No filters; page and page_size are the pager's."""
