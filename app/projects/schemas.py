"""Request and response schemas for projects, members and tasks (API.md §8)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from app.core.api import MAX_ID, PageQueryArgsSchema, Schema, parse_id
from app.core.schemas import EnumField, Id, Trimmed, UTCDateTime, text
from app.projects.models import MemberRole, TaskStatus

DESCRIPTION_MAX = 5000
DUE_FILTERS = ("overdue", "today", "future")
TASK_SORTS = ("due_date", "-due_date", "status", "-status")


def title_field(**kwargs) -> Trimmed:
    return Trimmed(validate=validate.Length(min=1, max=200), **kwargs)


# ---- projects


class ProjectSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String(allow_none=True)
    owner_id = fields.Integer()
    created_at = UTCDateTime()
    updated_at = UTCDateTime()
    my_role = EnumField(MemberRole, allow_none=True)


class ProjectCreateSchema(Schema):
    EXAMPLE = {"name": "Spring challenge", "description": "Eight weeks to the spring assessment."}
    name = Trimmed(required=True, validate=validate.Length(min=1, max=120))
    description = text(DESCRIPTION_MAX, allow_none=True)


class ProjectUpdateSchema(Schema):
    EXAMPLE = {"description": "Ten weeks to the spring assessment."}
    name = Trimmed(validate=validate.Length(min=1, max=120))
    description = text(DESCRIPTION_MAX, allow_none=True)


class ProjectQueryArgsSchema(PageQueryArgsSchema):
    q = Trimmed(validate=validate.Length(min=1, max=100))


# ---- members


class MemberSchema(Schema):
    user_id = fields.Integer()
    username = fields.String(attribute="user.username")
    role = EnumField(MemberRole)
    joined_at = UTCDateTime()


class MemberQueryArgsSchema(PageQueryArgsSchema):
    """No filters: page and page_size only."""


class MemberCreateSchema(Schema):
    EXAMPLE = {"user_id": 3, "role": "Member"}
    user_id = Id(required=True)
    role = EnumField(MemberRole, load_default=MemberRole.MEMBER)


class MemberUpdateSchema(Schema):
    EXAMPLE = {"role": "Admin"}
    role = EnumField(MemberRole, required=True)


# ---- tasks


class TaskSchema(Schema):
    id = fields.Integer()
    project_id = fields.Integer()
    title = fields.String()
    description = fields.String(allow_none=True)
    status = EnumField(TaskStatus)
    due_date = fields.Date(allow_none=True)
    assignee_id = fields.Integer(allow_none=True)
    created_by = fields.Integer(allow_none=True)
    created_at = UTCDateTime()
    updated_at = UTCDateTime()
    completed_at = UTCDateTime(allow_none=True)


class TaskUpdateSchema(Schema):
    EXAMPLE = {"status": "Completed"}
    title = title_field()
    description = text(DESCRIPTION_MAX, allow_none=True)
    status = EnumField(TaskStatus)
    due_date = fields.Date(allow_none=True)
    assignee_id = Id(allow_none=True)


class TaskCreateSchema(TaskUpdateSchema):
    EXAMPLE = {
        "title": "Log three sessions this week",
        "description": "Any workout counts.",
        "status": "Pending",
        "due_date": "2026-12-11",
        "assignee_id": 3,
    }
    title = title_field(required=True)


class TaskCreateInProjectSchema(TaskCreateSchema):
    EXAMPLE = {"project_id": 1, "title": "Send your weekly check-in photo", "due_date": "2026-12-13", "assignee_id": 3}
    project_id = Id(required=True)


class AssigneeField(fields.String):
    """A user id, or `me` for the caller."""

    def __init__(self, **kwargs) -> None:
        super().__init__(metadata={"description": "A user id, or `me`.", "example": "me"}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> int | str:
        value = super()._deserialize(value, attr, data, **kwargs)
        if value == "me":
            return value
        user_id = parse_id(value)
        if user_id is not None:
            return user_id
        raise ma.ValidationError("Must be a user id or 'me'.")


class TaskQueryArgsSchema(PageQueryArgsSchema):
    status = fields.List(EnumField(TaskStatus))
    due = fields.String(validate=validate.OneOf(DUE_FILTERS))
    assignee = AssigneeField()
    project_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))
    q = Trimmed(validate=validate.Length(min=1, max=100))
    sort = fields.String(validate=validate.OneOf(TASK_SORTS))
