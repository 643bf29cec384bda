"""Request and response schemas of the exercise library."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from app.core.api import PageQueryArgsSchema, Schema
from app.core.schemas import EnumField, Trimmed, UTCDateTime, text
from app.exercises.models import Category, Difficulty

SORTS = ("name", "-name", "created_at", "-created_at")
MAX_TAGS = 20


class Tag(Trimmed):
    """A muscle or equipment name, compared lower-cased."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        return " ".join(super()._deserialize(value, attr, data, **kwargs).lower().split())


def tag_list(**kwargs) -> fields.List:
    """A list of distinct muscle or equipment names."""
    return fields.List(Tag(validate=validate.Length(min=1, max=60)), validate=validate.Length(max=MAX_TAGS), **kwargs)


def _dedupe(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


class ExerciseCreateSchema(Schema):
    EXAMPLE = {
        "name": "Tempo Goblet Squat",
        "description": "A goblet squat with a three-second descent.",
        "video_url": "https://videos.example.com/tempo-goblet-squat.mp4",
        "category": "Strength",
        "difficulty_level": "Beginner",
        "muscles": ["quadriceps", "glutes"],
        "equipment": ["kettlebell"],
    }
    name = Trimmed(required=True, validate=validate.Length(min=1, max=120))
    description = text(4000, allow_none=True)
    video_url = fields.String(
        allow_none=True,
        validate=[validate.Length(max=500), validate.URL(schemes={"http", "https"}, error="Must be an http(s) URL.")],
    )
    category = EnumField(Category, required=True)
    difficulty_level = EnumField(Difficulty, required=True)
    muscles = tag_list(load_default=list)
    equipment = tag_list(load_default=list)

    @ma.post_load
    def _distinct_tags(self, data, **kwargs):
        for key in ("muscles", "equipment"):
            if data.get(key) is not None:
                data[key] = _dedupe(data[key])
        return data


class ExerciseUpdateSchema(ExerciseCreateSchema):
    """Every field optional: the fields given are replaced."""

    EXAMPLE = {"difficulty_level": "Intermediate", "equipment": ["kettlebell", "dumbbell"]}

    name = Trimmed(validate=validate.Length(min=1, max=120))
    category = EnumField(Category)
    difficulty_level = EnumField(Difficulty)
    muscles = tag_list()
    equipment = tag_list()


class ExerciseQueryArgsSchema(PageQueryArgsSchema):
    category = EnumField(Category)
    difficulty_level = EnumField(Difficulty)
    muscle = fields.List(
        Tag(validate=validate.Length(min=1, max=60)),
        validate=validate.Length(max=MAX_TAGS),
        metadata={"description": "Repeatable: the exercise works every muscle given."},
    )
    equipment = fields.List(
        Tag(validate=validate.Length(min=1, max=60)),
        validate=validate.Length(max=MAX_TAGS),
        metadata={"description": "Repeatable: the exercise uses every piece of equipment given."},
    )
    q = Trimmed(
        validate=validate.Length(min=1, max=100),
        metadata={"description": "Words found in the name or description (case- and accent-insensitive)."},
    )
    created_by = fields.Integer(validate=validate.Range(min=1), metadata={"description": "Creator's user id."})
    sort = fields.String(
        validate=validate.OneOf(SORTS),
        metadata={"description": "Default: relevance when `q` is given, else `name`."},
    )


class ExerciseSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String(allow_none=True)
    video_url = fields.String(allow_none=True)
    category = EnumField(Category)
    difficulty_level = EnumField(Difficulty)
    muscles = fields.List(fields.String())
    equipment = fields.List(fields.String())
    created_by = fields.Integer(allow_none=True, metadata={"description": "null for the starter library"})
    archived = fields.Boolean(metadata={"description": "deleted while in use: hidden from lists, kept for history"})
    created_at = UTCDateTime()
    updated_at = UTCDateTime()


class ExerciseRefSchema(Schema):
    """An exercise as shown inside a workout."""

    id = fields.Integer()
    name = fields.String()
    category = EnumField(Category)
    archived = fields.Boolean()
