"""Request and response schemas of sessions, sets, measurements, progress, stats and the trainer dashboard.

Units: every weight is `*_kg`, every distance `*_m`, in and out, whatever the user's `profile.units`
(`metric`/`imperial`). That preference tells clients how to *display* figures; the API never
converts, so a value means the same thing to every client and in every stored row.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import marshmallow as ma
from marshmallow import fields, validate

from app.accounts.schemas import UserRefSchema
from app.core.api import PageQueryArgsSchema, Schema
from app.core.columns import utcnow
from app.core.schemas import DateOrTimestamp, EnumField, Id, QueryId, UTCDateTime, text
from app.exercises.schemas import ExerciseRefSchema
from app.training.models import MeasurementType

MAX_SETS = 500
MAX_SESSION_LENGTH = timedelta(hours=24)
FUTURE_SLACK = timedelta(days=1)
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
BUCKETS = ("day", "week", "month")

# Plausible ranges per measurement type, with the unit each value is in.
MEASUREMENT_RULES: dict[MeasurementType, tuple[float, float, str]] = {
    MeasurementType.WEIGHT: (1, 700, "kg"),
    MeasurementType.BODY_FAT: (1, 75, "%"),
    MeasurementType.WAIST: (20, 300, "cm"),
    MeasurementType.HIPS: (20, 300, "cm"),
    MeasurementType.CHEST: (20, 300, "cm"),
    MeasurementType.ARM: (5, 150, "cm"),
    MeasurementType.THIGH: (10, 200, "cm"),
    MeasurementType.RESTING_HR: (20, 250, "bpm"),
}


def check_not_future(value: datetime | None) -> None:
    """Refuse timestamps more than a day ahead (clock skew and time zones fit in a day) or before 1970."""
    if value is None:
        return
    if value > utcnow() + FUTURE_SLACK:
        raise ma.ValidationError("Must not be more than a day in the future.")
    if value < EARLIEST:
        raise ma.ValidationError("Must not be before 1970.")


RANGE_END = "A timestamp, or a plain date meaning that whole day in your time zone; inclusive."


def _from() -> DateOrTimestamp:
    return DateOrTimestamp(data_key="from", metadata={"description": RANGE_END})


def _to() -> DateOrTimestamp:
    return DateOrTimestamp(metadata={"description": RANGE_END})


# ---- sessions and sets


class SetInSchema(Schema):
    exercise_id = Id(required=True)
    set_number = fields.Integer(required=True, validate=validate.Range(min=1, max=100))
    reps = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=1000))
    weight_kg = fields.Float(allow_none=True, validate=validate.Range(min=0, max=1000))
    duration_s = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=86400))
    distance_m = fields.Float(allow_none=True, validate=validate.Range(min=0, max=1_000_000))
    rpe = fields.Float(allow_none=True, validate=validate.Range(min=1, max=10))

    @ma.validates_schema
    def _records_something(self, data, **kwargs):
        if all(data.get(key) is None for key in ("reps", "duration_s", "distance_m")):
            raise ma.ValidationError("A set records reps, a duration or a distance.", "reps")


def _sets(**kwargs) -> fields.List:
    return fields.List(
        fields.Nested(SetInSchema),
        validate=validate.Length(max=MAX_SETS, error="A session has at most {max} sets."),
        metadata={"description": "Given on update, replaces every set of the session."},
        **kwargs,
    )


def _check_set_numbers(sets: list[dict]) -> None:
    """Each (exercise, set number) appears once in a session."""
    errors, seen = {}, set()
    for index, item in enumerate(sets):
        key = (item["exercise_id"], item["set_number"])
        if key in seen:
            errors[index] = {"set_number": ["This exercise already has a set with this number."]}
        seen.add(key)
    if errors:
        raise ma.ValidationError({"sets": errors})


def check_times(started_at: datetime | None, ended_at: datetime | None) -> None:
    """A session ends after it starts and lasts at most a day."""
    if started_at is None or ended_at is None:
        return
    if ended_at < started_at:
        raise ma.ValidationError("A session cannot end before it starts.", "ended_at")
    if ended_at - started_at > MAX_SESSION_LENGTH:
        raise ma.ValidationError("A session lasts at most 24 hours.", "ended_at")


class SessionCreateSchema(Schema):
    EXAMPLE = {
        "workout_id": 1,
        "started_at": "2026-11-30T07:00:00Z",
        "ended_at": "2026-11-30T07:55:00Z",
        "notes": "Felt strong.",
        "perceived_exertion": 7,
        "sets": [
            {"exercise_id": 1, "set_number": 1, "reps": 8, "weight_kg": 60, "rpe": 7},
            {"exercise_id": 1, "set_number": 2, "reps": 8, "weight_kg": 62.5, "rpe": 8},
        ],
    }
    workout_id = Id(allow_none=True)
    started_at = UTCDateTime(required=True)
    ended_at = UTCDateTime(allow_none=True)
    notes = text(4000, allow_none=True)
    perceived_exertion = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=10))
    sets = _sets(load_default=list)

    @ma.validates("started_at")
    def _started(self, value, **kwargs):
        check_not_future(value)

    @ma.validates("ended_at")
    def _ended(self, value, **kwargs):
        check_not_future(value)

    @ma.validates_schema
    def _consistent(self, data, **kwargs):
        check_times(data.get("started_at"), data.get("ended_at"))
        _check_set_numbers(data.get("sets") or [])


class SessionUpdateSchema(SessionCreateSchema):
    """Every field optional; `sets`, when given, replaces them all."""

    EXAMPLE = {"notes": "Felt strong; left knee a little sore.", "perceived_exertion": 8}

    started_at = UTCDateTime()
    sets = _sets()


class SessionQueryArgsSchema(PageQueryArgsSchema):
    user_id = QueryId(
        metadata={"description": "Whose sessions: yourself (default) or an active client; Owners: anyone."},
    )
    exercise_id = QueryId(metadata={"description": "Sessions with this exercise."})
    from_ = _from()
    to = _to()


class SetSchema(Schema):
    id = fields.Integer()
    exercise_id = fields.Integer()
    exercise = fields.Nested(ExerciseRefSchema)
    set_number = fields.Integer()
    reps = fields.Integer(allow_none=True)
    weight_kg = fields.Float(allow_none=True)
    duration_s = fields.Integer(allow_none=True)
    distance_m = fields.Float(allow_none=True)
    rpe = fields.Float(allow_none=True)


class SessionSchema(Schema):
    id = fields.Integer()
    user_id = fields.Integer()
    workout_id = fields.Integer(allow_none=True)
    started_at = UTCDateTime()
    ended_at = UTCDateTime(allow_none=True)
    notes = fields.String(allow_none=True)
    perceived_exertion = fields.Integer(allow_none=True)
    sets = fields.List(fields.Nested(SetSchema))
    created_at = UTCDateTime()
    updated_at = UTCDateTime()


# ---- measurements


class MeasurementCreateSchema(Schema):
    EXAMPLE = {"type": "Weight", "value": 72.4, "measured_at": "2026-11-30T06:45:00Z"}
    type = EnumField(MeasurementType, required=True)
    value = fields.Float(
        required=True,
        metadata={"description": "kg (Weight), % (Body Fat), cm (Waist, Hips, Chest, Arm, Thigh), bpm (Resting HR)."},
    )
    measured_at = UTCDateTime(required=True)

    @ma.validates("measured_at")
    def _measured(self, value, **kwargs):
        check_not_future(value)

    @ma.validates_schema
    def _plausible(self, data, **kwargs):
        if "type" in data and "value" in data:
            low, high, unit = MEASUREMENT_RULES[data["type"]]
            if not low <= data["value"] <= high:
                raise ma.ValidationError(f"A {data['type'].value} is between {low:g} and {high:g} {unit}.", "value")


class MeasurementQueryArgsSchema(PageQueryArgsSchema):
    user_id = QueryId(metadata={"description": "Yourself (default) or a client."})
    type = EnumField(MeasurementType)
    from_ = _from()
    to = _to()


class MeasurementSchema(Schema):
    id = fields.Integer()
    user_id = fields.Integer()
    type = EnumField(MeasurementType)
    value = fields.Float()
    unit = fields.Method("_unit")
    measured_at = UTCDateTime()
    created_at = UTCDateTime()

    def _unit(self, measurement) -> str:
        return MEASUREMENT_RULES[measurement.type][2]


# ---- progress


class ProgressQueryArgsSchema(Schema):
    bucket = fields.String(load_default="week", validate=validate.OneOf(BUCKETS))
    from_ = _from()
    to = _to()


class ProgressPointSchema(Schema):
    period = fields.Date(metadata={"description": "The bucket's first day in the athlete's time zone."})
    max_weight_kg = fields.Float(allow_none=True)
    est_1rm_kg = fields.Float(allow_none=True, metadata={"description": "Best Epley estimate w * (1 + reps/30)."})
    volume_kg = fields.Float(metadata={"description": "Sum of weight * reps."})
    sets = fields.Integer()
    reps = fields.Integer()


class RecordSchema(Schema):
    weight_kg = fields.Float(allow_none=True)
    reps = fields.Integer()
    est_1rm_kg = fields.Float(allow_none=True)
    session_id = fields.Integer()
    date = fields.Date(metadata={"description": "The session's day in the athlete's time zone."})
    started_at = UTCDateTime()


class VolumeRecordSchema(Schema):
    volume_kg = fields.Float()
    session_id = fields.Integer()
    date = fields.Date()
    started_at = UTCDateTime()


class PersonalRecordsSchema(Schema):
    heaviest_weight = fields.Nested(RecordSchema, allow_none=True)
    best_est_1rm = fields.Nested(RecordSchema, allow_none=True)
    most_volume_session = fields.Nested(VolumeRecordSchema, allow_none=True)
    most_reps_at_weight = fields.List(
        fields.Nested(RecordSchema), metadata={"description": "For each weight ever lifted, heaviest first."}
    )


class ProgressSchema(Schema):
    exercise = fields.Nested(ExerciseRefSchema)
    user_id = fields.Integer()
    bucket = fields.String()
    timezone = fields.String(metadata={"description": "The athlete's time zone, which the buckets follow."})
    series = fields.List(fields.Nested(ProgressPointSchema))
    personal_records = fields.Nested(PersonalRecordsSchema)


# ---- stats


class WeekFiguresSchema(Schema):
    start = fields.Date(metadata={"description": "Monday of the week in the athlete's time zone."})
    sessions = fields.Integer()
    volume_kg = fields.Float()


class StreakSchema(Schema):
    current_days = fields.Integer(metadata={"description": "Alive while the last training day is today or yesterday."})
    longest_days = fields.Integer()
    last_day = fields.Date(allow_none=True)


class NewRecordSchema(Schema):
    exercise_id = fields.Integer()
    kind = fields.String(metadata={"description": "`heaviest_weight` or `best_est_1rm`."})
    value_kg = fields.Float()
    previous_kg = fields.Float()
    session_id = fields.Integer()
    started_at = UTCDateTime()


class RecentRecordsSchema(Schema):
    count = fields.Integer()
    items = fields.List(fields.Nested(NewRecordSchema))


class LatestMeasurementSchema(Schema):
    type = EnumField(MeasurementType)
    value = fields.Float()
    unit = fields.String()
    measured_at = UTCDateTime()
    previous_value = fields.Float(allow_none=True)
    change = fields.Float(allow_none=True)


class StatsSchema(Schema):
    user_id = fields.Integer()
    timezone = fields.String()
    today = fields.Date()
    this_week = fields.Nested(WeekFiguresSchema)
    last_week = fields.Nested(WeekFiguresSchema)
    streak = fields.Nested(StreakSchema)
    personal_records_30d = fields.Nested(RecentRecordsSchema)
    measurements = fields.List(fields.Nested(LatestMeasurementSchema))


# ---- trainer dashboard


class LastSessionSchema(Schema):
    id = fields.Integer()
    started_at = UTCDateTime()


class DashboardRowSchema(Schema):
    client = fields.Nested(UserRefSchema)
    timezone = fields.String()
    last_session = fields.Nested(LastSessionSchema, allow_none=True)
    sessions_this_week = fields.Integer(metadata={"description": "In the client's own week (their time zone)."})
    open_tasks = fields.Integer(
        allow_none=True, metadata={"description": "Their tasks not Completed, in projects you are a member of."}
    )
    unread_messages = fields.Integer(metadata={"description": "Messages from this client you have not read."})
    adherence = fields.Float(
        allow_none=True, metadata={"description": "% of due plan sessions logged; null: none due."}
    )
