"""Request and response schemas of social (API.md §9): privacy, follows, activities, kudos, comments."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from app.accounts.schemas import ProfileImageSchema
from app.core.api import PageQueryArgsSchema, Schema
from app.core.schemas import CursorQueryArgsSchema, EnumField, Id, Trimmed, UTCDateTime, text
from app.social.models import (
    MAX_CAPTION,
    MAX_COMMENT,
    ActivityType,
    AnnouncementStatus,
    AnnouncementTarget,
    FollowStatus,
    Privacy,
)

# ---- privacy


class PrivacySchema(Schema):
    profile = EnumField(Privacy)
    activities = EnumField(Privacy)


class PrivacyUpdateSchema(Schema):
    EXAMPLE = {"profile": "Public", "activities": "Followers"}
    profile = EnumField(Privacy)
    activities = EnumField(Privacy)


# ---- people


class PersonSchema(Schema):
    """A person as social lists show them."""

    id = fields.Integer()
    username = fields.String()
    profile_image = fields.Nested(ProfileImageSchema, allow_none=True)


class FollowSchema(PersonSchema):
    """A row of a followers or following list: the person and since when."""

    followed_at = UTCDateTime()


class FollowRequestSchema(Schema):
    user = fields.Nested(PersonSchema)
    status = EnumField(FollowStatus)
    created_at = UTCDateTime()


class FollowListQueryArgsSchema(PageQueryArgsSchema):
    """No filters: the page parameters only."""


# ---- activities


class ActivitySchema(Schema):
    id = fields.Integer()
    user = fields.Nested(PersonSchema)
    type = EnumField(ActivityType)
    data = fields.Dict()
    visibility = EnumField(Privacy)
    kudos_count = fields.Integer()
    comment_count = fields.Integer()
    kudoed_by_me = fields.Boolean()
    created_at = UTCDateTime()


class ActivityQueryArgsSchema(CursorQueryArgsSchema):
    """`before=<id>` newest first (the default), or `after=<id>` oldest first; `limit` (default 50, max 100)."""


class ShareSchema(Schema):
    EXAMPLE = {"caption": "New squat PR: 140 kg for 3!", "visibility": "Followers"}
    caption = text(MAX_CAPTION, load_default=None, allow_none=True)
    visibility = EnumField(Privacy, load_default=None, allow_none=True)


# ---- comments and kudos


class CommentSchema(Schema):
    id = fields.Integer()
    activity_id = fields.Integer()
    user = fields.Nested(PersonSchema)
    content = fields.String()
    created_at = UTCDateTime()


class CommentCreateSchema(Schema):
    EXAMPLE = {"content": "Huge lift, congrats!"}
    content = Trimmed(
        required=True,
        validate=validate.Length(
            min=1, max=MAX_COMMENT, error=f"Must be 1 to {MAX_COMMENT} characters once trimmed of white space."
        ),
    )


class CommentQueryArgsSchema(PageQueryArgsSchema):
    """No filters: the page parameters only."""


class KudosSchema(PersonSchema):
    """Who gave kudos, and when."""

    given_at = UTCDateTime()


# ---- announcements

NEEDS_TARGET_ID = (AnnouncementTarget.PLAN, AnnouncementTarget.CLIENT)


class AnnouncementSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    body = fields.String(allow_none=True)
    target = EnumField(AnnouncementTarget)
    target_id = fields.Integer(allow_none=True)
    send_at = UTCDateTime(allow_none=True)
    local_date = fields.Date(allow_none=True)
    local_time = fields.Time(format="%H:%M", allow_none=True)
    status = EnumField(AnnouncementStatus)
    recipients = fields.Integer()
    sent = fields.Integer()
    created_at = UTCDateTime()


class AnnouncementCreateSchema(Schema):
    """`send_at` (one moment), or `local_date` + `local_time` (that time of day in each recipient's zone)."""

    EXAMPLE = {
        "title": "Gym closed on Friday",
        "body": "The studio is closed for maintenance; Saturday classes run as usual.",
        "target": "clients",
        "local_date": "2026-12-18",
        "local_time": "07:30",
    }
    title = Trimmed(required=True, validate=validate.Length(min=1, max=200))
    body = text(2000, load_default=None, allow_none=True)
    target = EnumField(AnnouncementTarget, required=True)
    target_id = Id(load_default=None, allow_none=True)
    send_at = UTCDateTime(load_default=None, allow_none=True)
    local_date = fields.Date(load_default=None, allow_none=True)
    local_time = fields.Time(load_default=None, allow_none=True)

    @ma.validates_schema
    def _one_moment_and_a_target(self, data, **kwargs):
        needs_id = data.get("target") in NEEDS_TARGET_ID
        if needs_id and data.get("target_id") is None:
            raise ma.ValidationError("Required for this target.", "target_id")
        if not needs_id and data.get("target_id") is not None:
            raise ma.ValidationError("Not allowed for this target.", "target_id")
        local = data.get("local_date") is not None or data.get("local_time") is not None
        if data.get("send_at") is None and not local:
            raise ma.ValidationError("Give send_at, or local_date and local_time.", "send_at")
        if data.get("send_at") is not None and local:
            raise ma.ValidationError("Give send_at or a local date and time, not both.", "send_at")
        for name in ("local_date", "local_time"):
            if local and data.get(name) is None:
                raise ma.ValidationError("Required with a local time.", name)


class AnnouncementQueryArgsSchema(PageQueryArgsSchema):
    """No filters: the page parameters only."""
