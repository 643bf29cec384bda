"""Request and response schemas of social (API.md §9): privacy, follows, activities, kudos, comments."""

from __future__ import annotations

from marshmallow import fields, validate

from app.accounts.schemas import ProfileImageSchema
from app.core.api import PageQueryArgsSchema, Schema
from app.core.schemas import CursorQueryArgsSchema, EnumField, Trimmed, UTCDateTime, text
from app.social.models import MAX_CAPTION, MAX_COMMENT, ActivityType, FollowStatus, Privacy

# ---- privacy


class PrivacySchema(Schema):
    profile = EnumField(Privacy)
    activities = EnumField(Privacy)


class PrivacyUpdateSchema(Schema):
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
