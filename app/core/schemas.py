"""Shared marshmallow fields: UTC timestamps, enums by value, time-zone names, trimmed strings."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime

import marshmallow as ma
from marshmallow import fields, validate

from app.core.api import MAX_ID, Schema, check_calendar_range
from app.core.serialization import iso_utc
from app.core.time import is_timezone


class UTCDateTime(fields.DateTime):
    """ISO 8601 in, aware UTC out as `2026-11-22T14:05:00Z`; naive input is read as UTC."""

    DUMP_VALUE = staticmethod(iso_utc)  # what `_serialize` does, for the compiled dumpers

    def _serialize(self, value: datetime | None, attr, obj, **kwargs):
        return iso_utc(value)

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        result = super()._deserialize(value, attr, data, **kwargs)
        check_calendar_range(result)  # before moving it to UTC, which overflows at the calendar's edges
        return result.astimezone(UTC) if result.tzinfo else result.replace(tzinfo=UTC)


def EnumField(enum_cls: type[enum.Enum], **kwargs) -> fields.Enum:  # noqa: N802 - a field factory
    """An enum field spelled by value; an unknown value is a 422 naming the allowed ones."""
    return fields.Enum(enum_cls, by_value=True, **kwargs)


class Trimmed(fields.String):
    """A string stored trimmed of surrounding white space."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()


class TimeZoneName(fields.String):
    """An IANA time-zone name such as `Europe/Berlin`."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        name = super()._deserialize(value, attr, data, **kwargs)
        if not is_timezone(name):
            raise ma.ValidationError("Not a known IANA time-zone name (e.g. 'Europe/Berlin').")
        return name


class DateOrTimestamp(fields.Field):
    """A range end (API.md §0): a plain date `YYYY-MM-DD` (that whole day in the caller's zone) or a timestamp."""

    def _deserialize(self, value, attr, data, **kwargs) -> date | datetime:
        if isinstance(value, str) and len(value) == 10:
            try:
                day = date.fromisoformat(value)
            except ValueError:
                pass
            else:
                check_calendar_range(day)
                return day
        try:
            return UTCDateTime()._deserialize(value, attr, data, **kwargs)
        except ma.ValidationError as error:
            raise ma.ValidationError("Not a valid date (YYYY-MM-DD) or ISO 8601 timestamp.") from error


def QueryId(**kwargs) -> fields.Integer:  # noqa: N802 - a field factory
    """An id in a query string (text, so not strict like `Id`), within the database's range."""
    return fields.Integer(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def Id(**kwargs) -> fields.Integer:  # noqa: N802 - a field factory
    """A reference to a row by id: a positive integer within the database's range."""
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def text(max_length: int, **kwargs) -> Trimmed:
    """A trimmed free-text field of at most `max_length` characters."""
    return Trimmed(validate=validate.Length(max=max_length), **kwargs)


CURSOR_LIMIT = 50
MAX_CURSOR_LIMIT = 100


class CursorQueryArgsSchema(Schema):
    """A time-ordered stream (API.md §0): `before=<id>` newest first, or `after=<id>` oldest first; `limit`."""

    before = QueryId()
    after = QueryId()
    limit = fields.Integer(load_default=CURSOR_LIMIT, validate=validate.Range(min=1, max=MAX_CURSOR_LIMIT))

    @ma.validates_schema
    def _one_cursor(self, data, **kwargs):
        if "before" in data and "after" in data:
            raise ma.ValidationError("Give `before` or `after`, not both.", "after")
