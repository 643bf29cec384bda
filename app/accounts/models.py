"""Users with their profile and trainer block, login sessions, reset tokens, coaching pairs."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core import storage
from app.core.columns import TimestampMixin, UTCDateTime, enum_type, utcnow
from app.core.crypto import EncryptedDate, EncryptedText
from app.extensions import db


class Role(enum.StrEnum):
    OWNER = "Owner"
    TRAINER = "Trainer"
    USER = "User"


class ActivityLevel(enum.StrEnum):
    SEDENTARY = "Sedentary"
    LIGHT = "Light"
    MODERATE = "Moderate"
    ACTIVE = "Active"
    VERY_ACTIVE = "Very Active"


class Units(enum.StrEnum):
    """Display preference only: the API always speaks metric (`weight_kg`, `distance_m`)."""

    METRIC = "metric"
    IMPERIAL = "imperial"


class OAuthProvider(enum.StrEnum):
    GOOGLE = "google"
    APPLE = "apple"
    FACEBOOK = "facebook"


class AvatarStatus(enum.StrEnum):
    PROCESSING = "processing"
    READY = "ready"


class CoachingStatus(enum.StrEnum):
    PENDING = "Pending"
    ACTIVE = "Active"
    DECLINED = "Declined"
    ENDED = "Ended"


class User(TimestampMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)  # stored lower-cased
    username: Mapped[str] = mapped_column(sa.String(40))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(enum_type(Role, "role"), default=Role.USER)
    email_verified: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Avatar: the 512 px and 128 px variants (content-addressed keys in storage), the upload a worker has yet
    # to turn into variants, and whether it has (`profile_image` shows them).
    profile_image_key: Mapped[str | None] = mapped_column(sa.String(255))
    profile_image_thumb_key: Mapped[str | None] = mapped_column(sa.String(255))
    profile_image_upload_key: Mapped[str | None] = mapped_column(sa.String(255))
    profile_image_status: Mapped[AvatarStatus | None] = mapped_column(enum_type(AvatarStatus, "avatar_status"))

    profile: Mapped[Profile] = relationship(back_populates="user", uselist=False, lazy="joined", cascade="all")
    trainer_profile: Mapped[TrainerProfile | None] = relationship(
        back_populates="user", uselist=False, lazy="joined", cascade="all"
    )

    __table_args__ = (
        # Erased accounts all show as "deleted user" (app/privacy/erasure.py), outside the uniqueness rule.
        sa.Index(
            "uq_users_username_lower",
            sa.func.lower(username),
            unique=True,
            postgresql_where=sa.text("username <> 'deleted user'"),
            sqlite_where=sa.text("username <> 'deleted user'"),
        ),
    )

    @property
    def timezone(self) -> str:
        """The user's IANA time zone: it decides what "today" means for them."""
        return self.profile.timezone if self.profile else "UTC"

    @property
    def trainer(self) -> TrainerProfile | None:
        """The trainer block, shown only while the user is a Trainer."""
        return self.trainer_profile if self.role == Role.TRAINER else None

    @property
    def profile_image(self) -> dict | None:
        """The avatar's status and URLs (the previous variants' while a new upload is processing), or None."""
        return profile_image_of(self.profile_image_status, self.profile_image_key, self.profile_image_thumb_key)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


def profile_image_of(status: str | None, key: str | None, thumb_key: str | None) -> dict | None:
    """An avatar's status and URLs from its stored columns (`User.profile_image`, and lists read as rows)."""
    if status is None:
        return None
    store = storage.get_storage()
    return {
        "status": status,
        "url": store.url(key) if key else None,
        "thumb_url": store.url(thumb_key) if thumb_key else None,
    }


class Profile(db.Model):
    __tablename__ = "profiles"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    # Free text about the person's body and health, and the birth date: encrypted at rest (app/core/crypto.py).
    fitness_goals: Mapped[str | None] = mapped_column(EncryptedText())
    bio: Mapped[str | None] = mapped_column(EncryptedText())
    weight_kg: Mapped[float | None] = mapped_column(sa.Numeric(5, 1, asdecimal=False))
    height_cm: Mapped[float | None] = mapped_column(sa.Numeric(5, 1, asdecimal=False))
    activity_level: Mapped[ActivityLevel | None] = mapped_column(enum_type(ActivityLevel, "activity_level"))
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    birth_date: Mapped[date | None] = mapped_column(EncryptedDate())
    units: Mapped[Units] = mapped_column(enum_type(Units, "units"), default=Units.METRIC, server_default="metric")

    user: Mapped[User] = relationship(back_populates="profile")


class TrainerProfile(db.Model):
    __tablename__ = "trainer_profiles"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    specialization: Mapped[str | None] = mapped_column(sa.String(120))
    experience_years: Mapped[int | None] = mapped_column(sa.SmallInteger)
    accepting_clients: Mapped[bool] = mapped_column(default=True)

    user: Mapped[User] = relationship(back_populates="trainer_profile")


class LoginSession(db.Model):
    """One login: the family of tokens it issued. Revoking it revokes them all."""

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    refresh_jti: Mapped[str] = mapped_column(sa.String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(sa.String(40))


class PasswordResetToken(db.Model):
    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class EmailVerificationToken(db.Model):
    """A single-use token proving that the user reads `email` (the address it was sent to)."""

    __tablename__ = "email_verification_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Identity(db.Model):
    """A way to sign in through a provider: its subject (`sub`), bound to one user."""

    __tablename__ = "user_identities"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    provider: Mapped[OAuthProvider] = mapped_column(enum_type(OAuthProvider, "oauth_provider"))
    subject: Mapped[str] = mapped_column(sa.String(255))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.UniqueConstraint("provider", "subject", name="uq_user_identities_provider_subject"),
        sa.UniqueConstraint("user_id", "provider", name="uq_user_identities_user_id_provider"),
    )


OPEN_COACHING = (CoachingStatus.PENDING.value, CoachingStatus.ACTIVE.value)


class CoachingRelationship(TimestampMixin, db.Model):
    __tablename__ = "coaching_relationships"

    id: Mapped[int] = mapped_column(primary_key=True)
    trainer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[CoachingStatus] = mapped_column(
        enum_type(CoachingStatus, "coaching_status"), default=CoachingStatus.PENDING
    )
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    trainer: Mapped[User] = relationship(foreign_keys=[trainer_id], lazy="joined", innerjoin=True)
    client: Mapped[User] = relationship(foreign_keys=[client_id], lazy="joined", innerjoin=True)

    __table_args__ = (
        # At most one open (Pending or Active) relationship per pair; history rows may repeat.
        sa.Index(
            "uq_coaching_open_pair",
            "trainer_id",
            "client_id",
            unique=True,
            postgresql_where=sa.text("status IN ('Pending', 'Active')"),
            sqlite_where=sa.text("status IN ('Pending', 'Active')"),
        ),
        sa.CheckConstraint("trainer_id <> client_id", name="not_self"),
    )
