"""Request and response schemas for users, authentication and coaching."""

from __future__ import annotations

import re
from datetime import date

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import fields, validate

from app.accounts.models import ActivityLevel, AvatarStatus, CoachingStatus, OAuthProvider, Role, Units
from app.core.api import PageQueryArgsSchema, Schema
from app.core.schemas import EnumField, TimeZoneName, Trimmed, UTCDateTime, text

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]+$")


class EmailField(fields.Email):
    """An email address, compared and stored lower-cased."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        return super()._deserialize(value.strip() if isinstance(value, str) else value, attr, data, **kwargs).lower()


def username_field(**kwargs) -> Trimmed:
    return Trimmed(
        validate=[
            validate.Length(min=3, max=40),
            validate.Regexp(USERNAME_RE, error="Use letters, digits, '.', '_' or '-' only."),
        ],
        **kwargs,
    )


def check_password(password: str, *others: str | None) -> None:
    """Raise a ValidationError when a password breaks the rules of API.md §1."""
    if len(password) < 8:
        raise ma.ValidationError("Must be at least 8 characters.", "password")
    if len(password) > 256:
        raise ma.ValidationError("Must be at most 256 characters.", "password")
    if password.isdigit():
        raise ma.ValidationError("Must not be all digits.", "password")
    if any(other and password.lower() == other.lower() for other in others):
        raise ma.ValidationError("Must differ from your email and username.", "password")


# ---- input


class RegisterSchema(Schema):
    EXAMPLE = {
        "email": "alex@example.com",
        "username": "alex_lifts",
        "password": "correct horse battery",
        "role": "User",
    }
    email = EmailField(required=True)
    username = username_field(required=True)
    password = fields.String(required=True, load_only=True)
    role = EnumField(Role, load_default=Role.USER, validate=validate.OneOf([Role.USER, Role.TRAINER]))

    @ma.validates_schema
    def _password_rules(self, data, **kwargs):
        if "password" in data:
            check_password(data["password"], data.get("email"), data.get("username"))


class LoginSchema(Schema):
    EXAMPLE = {"email": "alex@example.com", "password": "correct horse battery"}
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))


class PasswordForgotSchema(Schema):
    EXAMPLE = {"email": "alex@example.com"}
    email = EmailField(required=True)


class PasswordResetSchema(Schema):
    EXAMPLE = {"token": "Jq3v9cXo2b7kT0mWl1sPZ8yA4eRrUuHn", "password": "a new long passphrase"}
    token = fields.String(required=True, validate=validate.Length(min=1, max=200))
    password = fields.String(required=True, load_only=True)

    @ma.validates_schema
    def _password_rules(self, data, **kwargs):
        if "password" in data:
            check_password(data["password"])


class ProfileUpdateSchema(Schema):
    fitness_goals = text(2000, allow_none=True)
    bio = text(2000, allow_none=True)
    weight_kg = fields.Float(allow_none=True, validate=validate.Range(min=20, max=500))
    height_cm = fields.Float(allow_none=True, validate=validate.Range(min=50, max=300))
    activity_level = EnumField(ActivityLevel, allow_none=True)
    timezone = TimeZoneName()
    birth_date = fields.Date(allow_none=True, validate=validate.Range(min=date(1900, 1, 1)))
    units = EnumField(Units, metadata={"description": "Display preference; the API itself always speaks metric."})

    @ma.validates("birth_date")
    def _not_future(self, value, **kwargs):
        if value and value > date.today():
            raise ma.ValidationError("Must not be in the future.")


class TrainerUpdateSchema(Schema):
    specialization = text(120, allow_none=True)
    experience_years = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=80))
    accepting_clients = fields.Boolean()


class UserUpdateSchema(Schema):
    EXAMPLE = {
        "username": "alex_lifts",
        "profile": {
            "bio": "Training for my first powerlifting meet.",
            "timezone": "Europe/Berlin",
            "activity_level": "Active",
            "weight_kg": 72.5,
        },
    }
    username = username_field()
    email = EmailField()
    role = EnumField(Role)
    profile = fields.Nested(ProfileUpdateSchema)
    trainer = fields.Nested(TrainerUpdateSchema)


class UserQueryArgsSchema(PageQueryArgsSchema):
    q = Trimmed(validate=validate.Length(min=1, max=100))
    role = EnumField(Role)


class TrainerQueryArgsSchema(PageQueryArgsSchema):
    q = Trimmed(validate=validate.Length(min=1, max=100))
    specialization = Trimmed(validate=validate.Length(min=1, max=120))
    accepting_clients = fields.Boolean()


class CoachingCreateSchema(Schema):
    EXAMPLE = {"trainer_id": 2}
    trainer_id = fields.Integer(validate=validate.Range(min=1))
    client_id = fields.Integer(validate=validate.Range(min=1))

    @ma.validates_schema
    def _exactly_one(self, data, **kwargs):
        if ("trainer_id" in data) == ("client_id" in data):
            raise ma.ValidationError("Give exactly one of trainer_id or client_id.", "_schema")


class CoachingQueryArgsSchema(PageQueryArgsSchema):
    status = EnumField(CoachingStatus)


class EmailVerifySchema(Schema):
    EXAMPLE = {"token": "Vb8nQ2xKp5Lm0tRw7yZc3dFh6jGs9aEu"}
    token = fields.String(required=True, validate=validate.Length(min=1, max=200))


PROVIDER_TOKEN = validate.Length(min=1, max=16384)


class OAuthSignInSchema(Schema):
    EXAMPLE = {"id_token": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl", "nonce": "n-0S6_WzA2Mj"}
    id_token = fields.String(validate=PROVIDER_TOKEN, metadata={"description": "Google, Apple, Facebook Limited Login"})
    access_token = fields.String(validate=PROVIDER_TOKEN, metadata={"description": "Facebook (classic login)"})
    nonce = fields.String(
        validate=validate.Length(min=1, max=200), metadata={"description": "One issued by GET /api/oauth/nonce"}
    )

    @ma.validates_schema
    def _exactly_one_token(self, data, **kwargs):
        if ("id_token" in data) == ("access_token" in data):
            raise ma.ValidationError("Give exactly one of id_token or access_token.", "id_token")


class IdentityLinkSchema(OAuthSignInSchema):
    EXAMPLE = {
        "provider": "google",
        "id_token": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl",
        "nonce": "n-0S6_WzA2Mj",
    }
    provider = EnumField(OAuthProvider, required=True)


class AvatarUploadSchema(Schema):
    file = Upload(required=True, metadata={"description": "JPEG, PNG or WebP; at most 5 MB and 40 megapixels"})


# ---- output


class ProfileImageSchema(Schema):
    status = EnumField(AvatarStatus)
    url = fields.String(allow_none=True)
    thumb_url = fields.String(allow_none=True)


class NonceSchema(Schema):
    nonce = fields.String()


class IdentitySchema(Schema):
    provider = EnumField(OAuthProvider)
    email = fields.String(allow_none=True)
    created_at = UTCDateTime()
    last_used_at = UTCDateTime(allow_none=True)


class ProfileSchema(Schema):
    fitness_goals = fields.String(allow_none=True)
    bio = fields.String(allow_none=True)
    weight_kg = fields.Float(allow_none=True)
    height_cm = fields.Float(allow_none=True)
    activity_level = EnumField(ActivityLevel, allow_none=True)
    timezone = fields.String()
    birth_date = fields.Date(allow_none=True)
    units = EnumField(Units)


class PublicProfileSchema(Schema):
    bio = fields.String(allow_none=True)


class TrainerSchema(Schema):
    specialization = fields.String(allow_none=True)
    experience_years = fields.Integer(allow_none=True)
    accepting_clients = fields.Boolean()


class PublicUserSchema(Schema):
    """What anyone signed in may see of a user."""

    id = fields.Integer()
    username = fields.String()
    role = EnumField(Role)
    profile_image = fields.Nested(ProfileImageSchema, allow_none=True)
    profile = fields.Nested(PublicProfileSchema)
    trainer = fields.Nested(TrainerSchema, allow_none=True)


class UserSchema(PublicUserSchema):
    """The whole user object (self, Owner, the user's trainer)."""

    email = fields.String()
    email_verified = fields.Boolean()
    created_at = UTCDateTime()
    profile = fields.Nested(ProfileSchema)


class TokenSchema(Schema):
    access_token = fields.String()
    refresh_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    user = fields.Nested(UserSchema)


class UserRefSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    role = EnumField(Role)
    profile_image = fields.Nested(ProfileImageSchema, allow_none=True)


class CoachingSchema(Schema):
    id = fields.Integer()
    trainer = fields.Nested(UserRefSchema)
    client = fields.Nested(UserRefSchema)
    status = EnumField(CoachingStatus)
    requested_by = fields.Integer(attribute="requested_by_id")
    created_at = UTCDateTime()
    updated_at = UTCDateTime()
