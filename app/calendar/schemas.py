"""Request and response schemas of events, occurrences, assignments, the feed and calendar connections."""

from __future__ import annotations

from datetime import UTC, datetime, time

import marshmallow as ma
from marshmallow import fields, validate

from app.calendar.models import Provider
from app.core.api import PageQueryArgsSchema, Schema
from app.core.schemas import DateOrTimestamp, EnumField, TimeZoneName, Trimmed, UTCDateTime, text

MAX_REMINDERS = 5
MAX_MINUTES_BEFORE = 40320  # four weeks
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
MAX_DURATION_DAYS = 31


def _in_supported_years(value: datetime) -> None:
    if not EARLIEST <= value < LATEST:
        raise ma.ValidationError("Must be between 1970 and 2199.")


def _reminders() -> fields.List:
    return fields.List(
        fields.Integer(validate=validate.Range(min=0, max=MAX_MINUTES_BEFORE)),
        validate=validate.Length(max=MAX_REMINDERS),
        metadata={"description": f"Minutes before each occurrence (0 to {MAX_MINUTES_BEFORE}), at most 5."},
    )


def _check_reminders_unique(data: dict) -> None:
    reminders = data.get("reminders")
    if reminders is not None and len(set(reminders)) != len(reminders):
        raise ma.ValidationError({"reminders": ["Each value may appear once."]})


def check_times(start: datetime, end: datetime, field: str = "end_time") -> None:
    """The event ends after it starts, and lasts at most a month."""
    if end <= start:
        raise ma.ValidationError({field: ["Must be after start_time."]})
    if (end - start).days >= MAX_DURATION_DAYS:
        raise ma.ValidationError({field: [f"An event lasts less than {MAX_DURATION_DAYS} days."]})


class EventCreateSchema(Schema):
    EXAMPLE = {
        "title": "Leg day",
        "description": "Squats and lunges.",
        "start_time": "2026-12-07T17:00:00Z",
        "end_time": "2026-12-07T18:00:00Z",
        "timezone": "Europe/Berlin",
        "location": "Main gym",
        "rrule": "FREQ=WEEKLY;BYDAY=MO,TH;COUNT=8",
        "reminders": [60, 10],
    }
    user_id = fields.Integer(
        validate=validate.Range(min=1),
        metadata={"description": "Whose calendar: yours (default) or, for a Trainer, an active client's."},
    )
    title = Trimmed(required=True, validate=validate.Length(min=1, max=200))
    description = text(10000, allow_none=True)
    start_time = UTCDateTime(required=True, validate=_in_supported_years)
    end_time = UTCDateTime(required=True, validate=_in_supported_years)
    timezone = TimeZoneName(metadata={"description": "IANA zone the event recurs in; default: the calendar owner's."})
    location = text(300, allow_none=True)
    workout_id = fields.Integer(allow_none=True, validate=validate.Range(min=1))
    rrule = fields.String(
        allow_none=True,
        metadata={"description": "RFC 5545 RRULE (DAILY/WEEKLY/MONTHLY/YEARLY), e.g. FREQ=WEEKLY;BYDAY=MO,WE;COUNT=8."},
    )
    reminders = _reminders()

    @ma.validates_schema
    def _check(self, data, **kwargs):
        if "start_time" in data and "end_time" in data:
            check_times(data["start_time"], data["end_time"])
        _check_reminders_unique(data)


class EventUpdateSchema(EventCreateSchema):
    EXAMPLE = {"location": "Studio 2", "reminders": [30]}

    class Meta:
        exclude = ("user_id",)

    title = Trimmed(validate=validate.Length(min=1, max=200))
    start_time = UTCDateTime(validate=_in_supported_years)
    end_time = UTCDateTime(validate=_in_supported_years)


class EventScopeArgsSchema(Schema):
    scope = fields.String(
        load_default="all",
        validate=validate.OneOf(["all", "following"]),
        metadata={"description": "`all`: the whole series; `following`: split the series at `occurrence`."},
    )
    occurrence = UTCDateTime(metadata={"description": "With scope=following: the occurrence_start to split at."})

    @ma.validates_schema
    def _occurrence_needed(self, data, **kwargs):
        if data.get("scope") == "following" and "occurrence" not in data:
            raise ma.ValidationError({"occurrence": ["Required with scope=following."]})


class EventQueryArgsSchema(PageQueryArgsSchema):
    from_ = DateOrTimestamp(
        data_key="from", required=True, metadata={"description": "Range start (timestamp, or date in your zone)."}
    )
    to = DateOrTimestamp(required=True, metadata={"description": "Range end, inclusive; at most 366 days after."})
    user_id = fields.Integer(validate=validate.Range(min=1), metadata={"description": "Yours, or an active client's."})


class EventSchema(Schema):
    id = fields.Integer()
    user_id = fields.Integer()
    created_by = fields.Integer(allow_none=True)
    title = fields.String()
    description = fields.String(allow_none=True)
    start_time = UTCDateTime()
    end_time = UTCDateTime()
    timezone = fields.String()
    location = fields.String(allow_none=True)
    workout_id = fields.Integer(allow_none=True)
    rrule = fields.String(allow_none=True)
    reminders = fields.List(fields.Integer())
    assignment_id = fields.Integer(allow_none=True)
    uid = fields.String(metadata={"description": "The iCalendar UID, the same in every synced calendar."})
    sequence = fields.Integer(metadata={"description": "iCalendar SEQUENCE: bumped on every change."})
    created_at = UTCDateTime()
    updated_at = UTCDateTime()


class OccurrenceSchema(EventSchema):
    occurrence_start = UTCDateTime()
    occurrence_end = UTCDateTime()


# ---- assignments


class LocalTime(fields.Time):
    """A local wall-clock time `HH:MM` (seconds allowed)."""

    def _serialize(self, value: time | None, attr, obj, **kwargs):
        return None if value is None else value.strftime("%H:%M")


class AssignmentCreateSchema(Schema):
    EXAMPLE = {
        "user_id": 3,
        "start_date": "2026-12-07",
        "start_time": "07:00",
        "duration_minutes": 60,
        "reminders": [60],
    }
    user_id = fields.Integer(required=True, validate=validate.Range(min=1))
    start_date = fields.Date(required=True, metadata={"description": "Week 1, day 1 of the plan."})
    start_time = LocalTime(
        load_default=time(7, 0), metadata={"description": "Local time of each workout in the client's zone (07:00)."}
    )
    duration_minutes = fields.Integer(load_default=60, validate=validate.Range(min=5, max=24 * 60))
    reminders = _reminders()

    @ma.validates_schema
    def _check(self, data, **kwargs):
        _check_reminders_unique(data)


class AssignmentQueryArgsSchema(PageQueryArgsSchema):
    user_id = fields.Integer(validate=validate.Range(min=1), metadata={"description": "One client's assignments."})
    plan_id = fields.Integer(validate=validate.Range(min=1))


class AssignmentSchema(Schema):
    id = fields.Integer()
    plan_id = fields.Integer()
    plan_title = fields.String()
    user_id = fields.Integer()
    assigned_by = fields.Integer(allow_none=True)
    start_date = fields.Date()
    start_time = LocalTime()
    duration_minutes = fields.Integer()
    timezone = fields.String()
    scheduled_total = fields.Integer(metadata={"description": "Workouts the plan put on the calendar."})
    scheduled_to_date = fields.Integer(metadata={"description": "Those whose time has come."})
    completed = fields.Integer(
        metadata={"description": "Scheduled workouts with a logged session of that workout on the same local day."}
    )
    adherence = fields.Float(
        allow_none=True, metadata={"description": "completed / scheduled_to_date in %, null before the first one."}
    )
    created_at = UTCDateTime()


# ---- feed and connections


class FeedTokenSchema(Schema):
    url = fields.String(metadata={"description": "Secret iCalendar URL; asking again rotates it."})


class ConnectionCreateSchema(Schema):
    EXAMPLE = {
        "provider": "caldav",
        "url": "https://caldav.example.com/calendars/alex/training/",
        "username": "alex",
        "password": "app-specific-password",
    }
    provider = EnumField(Provider, required=True)
    url = fields.Url(schemes={"http", "https"}, require_tld=False, metadata={"description": "CalDAV calendar URL."})
    username = fields.String(validate=validate.Length(min=1, max=200))
    password = fields.String(validate=validate.Length(min=1, max=500), load_only=True)
    code = fields.String(validate=validate.Length(min=1, max=2000), metadata={"description": "Google OAuth code."})

    @ma.validates_schema
    def _per_provider(self, data, **kwargs):
        needed = ("url", "username", "password") if data.get("provider") == Provider.CALDAV else ("code",)
        unexpected = ("code",) if data.get("provider") == Provider.CALDAV else ("url", "username", "password")
        errors = {name: ["Required for this provider."] for name in needed if name not in data}
        errors.update({name: ["Not used by this provider."] for name in unexpected if name in data})
        if errors and "provider" in data:
            raise ma.ValidationError(errors)


class ConnectionSchema(Schema):
    id = fields.Integer()
    provider = EnumField(Provider)
    url = fields.String(allow_none=True)
    last_synced_at = UTCDateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
    last_error_at = UTCDateTime(allow_none=True)
    created_at = UTCDateTime()
