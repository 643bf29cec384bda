"""Request and response schemas of workouts and plans."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from app.core.api import PageQueryArgsSchema, Schema
from app.core.schemas import EnumField, Trimmed, UTCDateTime, text
from app.exercises.schemas import ExerciseRefSchema
from app.workouts.models import Visibility

MAX_ITEMS = 100
MAX_WEEKS = 52
MAX_SCHEDULE = 7 * MAX_WEEKS * 3
SORTS = ("title", "-title", "created_at", "-created_at")


def _title(**kwargs) -> Trimmed:
    return Trimmed(validate=validate.Length(min=1, max=200), **kwargs)


def _count(maximum: int, **kwargs) -> fields.Integer:
    return fields.Integer(allow_none=True, validate=validate.Range(min=0, max=maximum), **kwargs)


def _amount(maximum: float, **kwargs) -> fields.Float:
    return fields.Float(allow_none=True, validate=validate.Range(min=0, max=maximum), **kwargs)


# ---- workouts


class WorkoutItemInSchema(Schema):
    exercise_id = fields.Integer(required=True, validate=validate.Range(min=1))
    position = fields.Integer(
        validate=validate.Range(min=1, max=1000),
        metadata={"description": "Order within the workout; defaults to the item's place in the list (1-based)."},
    )
    sets = _count(100)
    reps = _count(1000)
    weight_kg = _amount(1000)
    duration_s = _count(86400)
    distance_m = _amount(1_000_000)
    rest_s = _count(3600)
    notes = text(1000, allow_none=True)


def _check_positions(items: list[dict]) -> None:
    """Give every item a position (its place in the list by default); positions must be distinct."""
    errors, seen = {}, set()
    for index, item in enumerate(items):
        item.setdefault("position", index + 1)
        if item["position"] in seen:
            errors[index] = {"position": ["Another item already has this position."]}
        seen.add(item["position"])
    if errors:
        raise ma.ValidationError({"items": errors})


def _items(**kwargs) -> fields.List:
    return fields.List(
        fields.Nested(WorkoutItemInSchema),
        validate=validate.Length(min=1, max=MAX_ITEMS, error="A workout has between {min} and {max} items."),
        **kwargs,
    )


class WorkoutCreateSchema(Schema):
    EXAMPLE = {
        "title": "Full body A",
        "description": "The three big lifts.",
        "visibility": "Clients",
        "items": [
            {"exercise_id": 1, "position": 1, "sets": 3, "reps": 8, "weight_kg": 60, "rest_s": 120},
            {"exercise_id": 2, "position": 2, "sets": 3, "reps": 10, "rest_s": 90, "notes": "Pause at the bottom."},
        ],
    }
    title = _title(required=True)
    description = text(4000, allow_none=True)
    visibility = EnumField(Visibility, load_default=Visibility.PRIVATE)
    items = _items(required=True)

    @ma.validates_schema
    def _positions(self, data, **kwargs):
        if data.get("items"):
            _check_positions(data["items"])


class WorkoutUpdateSchema(WorkoutCreateSchema):
    """Every field optional; `items`, when given, replaces the whole list."""

    EXAMPLE = {"title": "Full body A (deload)", "visibility": "Private"}

    title = _title()
    visibility = EnumField(Visibility)
    items = _items()


class WorkoutQueryArgsSchema(PageQueryArgsSchema):
    trainer_id = fields.Integer(validate=validate.Range(min=1), metadata={"description": "The author's user id."})
    q = Trimmed(validate=validate.Length(min=1, max=100), metadata={"description": "Words in title or description."})
    visibility = EnumField(Visibility)
    sort = fields.String(validate=validate.OneOf(SORTS), metadata={"description": "Default `-created_at`."})


class WorkoutItemSchema(Schema):
    id = fields.Integer()
    exercise_id = fields.Integer()
    exercise = fields.Nested(ExerciseRefSchema)
    position = fields.Integer()
    sets = fields.Integer(allow_none=True)
    reps = fields.Integer(allow_none=True)
    weight_kg = fields.Float(allow_none=True)
    duration_s = fields.Integer(allow_none=True)
    distance_m = fields.Float(allow_none=True)
    rest_s = fields.Integer(allow_none=True)
    notes = fields.String(allow_none=True)


class WorkoutSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    description = fields.String(allow_none=True)
    visibility = EnumField(Visibility)
    created_by = fields.Integer()
    copied_from = fields.Integer(allow_none=True, metadata={"description": "The workout this one was copied from."})
    archived = fields.Boolean(metadata={"description": "deleted while plans used it: hidden from lists"})
    items = fields.List(fields.Nested(WorkoutItemSchema))
    created_at = UTCDateTime()
    updated_at = UTCDateTime()


class WorkoutRefSchema(Schema):
    """A workout as shown inside a plan."""

    id = fields.Integer()
    title = fields.String()
    archived = fields.Boolean()


# ---- plans


class PlanEntryInSchema(Schema):
    week = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_WEEKS))
    day = fields.Integer(required=True, validate=validate.Range(min=1, max=7), metadata={"description": "1 = Monday"})
    workout_id = fields.Integer(required=True, validate=validate.Range(min=1))


def _schedule(**kwargs) -> fields.List:
    return fields.List(fields.Nested(PlanEntryInSchema), validate=validate.Length(max=MAX_SCHEDULE), **kwargs)


def check_weeks(schedule: list[dict], weeks: int) -> None:
    """Every entry falls within the plan's weeks, and no workout is twice on the same day."""
    errors, seen = {}, set()
    for index, entry in enumerate(schedule):
        slot = (entry["week"], entry["day"], entry["workout_id"])
        if entry["week"] > weeks:
            errors[index] = {"week": [f"Must be within the plan's {weeks} week(s)."]}
        elif slot in seen:
            errors[index] = {"workout_id": ["This workout is already scheduled on that day."]}
        seen.add(slot)
    if errors:
        raise ma.ValidationError({"schedule": errors})


class PlanCreateSchema(Schema):
    EXAMPLE = {
        "title": "Strength foundations",
        "description": "Three sessions a week for four weeks.",
        "weeks": 4,
        "visibility": "Clients",
        "schedule": [
            {"week": 1, "day": 1, "workout_id": 1},
            {"week": 1, "day": 3, "workout_id": 1},
            {"week": 1, "day": 5, "workout_id": 1},
        ],
    }
    title = _title(required=True)
    description = text(4000, allow_none=True)
    weeks = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_WEEKS))
    visibility = EnumField(Visibility, load_default=Visibility.PRIVATE)
    schedule = _schedule(load_default=list)

    @ma.validates_schema
    def _within_weeks(self, data, **kwargs):
        if "weeks" in data and data.get("schedule"):
            check_weeks(data["schedule"], data["weeks"])


class PlanUpdateSchema(PlanCreateSchema):
    """Every field optional; `schedule`, when given, replaces the whole schedule."""

    EXAMPLE = {"title": "Strength foundations (v2)", "weeks": 6}

    title = _title()
    weeks = fields.Integer(validate=validate.Range(min=1, max=MAX_WEEKS))
    visibility = EnumField(Visibility)
    schedule = _schedule()


class PlanQueryArgsSchema(PageQueryArgsSchema):
    trainer_id = fields.Integer(validate=validate.Range(min=1), metadata={"description": "The author's user id."})
    q = Trimmed(validate=validate.Length(min=1, max=100), metadata={"description": "Words in title or description."})
    visibility = EnumField(Visibility)
    sort = fields.String(validate=validate.OneOf(SORTS), metadata={"description": "Default `-created_at`."})


class PlanEntrySchema(Schema):
    week = fields.Integer()
    day = fields.Integer()
    workout_id = fields.Integer()
    workout = fields.Nested(WorkoutRefSchema)


class PlanSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    description = fields.String(allow_none=True)
    weeks = fields.Integer()
    visibility = EnumField(Visibility)
    created_by = fields.Integer()
    archived = fields.Boolean(metadata={"description": "deleted while assigned: hidden from lists"})
    schedule = fields.List(fields.Nested(PlanEntrySchema))
    created_at = UTCDateTime()
    updated_at = UTCDateTime()
