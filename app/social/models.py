"""Social: follows, privacy settings, activities (what the feed shows), feed entries, kudos and comments."""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.columns import UTCDateTime, enum_type, utcnow
from app.extensions import db

MAX_COMMENT = 1000
MAX_CAPTION = 500


class ActivityType(enum.StrEnum):
    SESSION_COMPLETED = "session_completed"
    PERSONAL_RECORD = "personal_record"
    WORKOUT_SHARED = "workout_shared"


class Privacy(enum.StrEnum):
    """Who may see something: from the most open to the strictest (their `rank`)."""

    PUBLIC = "Public"
    FOLLOWERS = "Followers"
    PRIVATE = "Private"

    @property
    def rank(self) -> int:
        """1 Public, 2 Followers, 3 Private: the stricter of two is the larger rank."""
        return PRIVACY_RANK[self]


PRIVACY_RANK = {Privacy.PUBLIC: 1, Privacy.FOLLOWERS: 2, Privacy.PRIVATE: 3}
DEFAULT_PROFILE_PRIVACY = Privacy.PUBLIC
DEFAULT_ACTIVITY_PRIVACY = Privacy.FOLLOWERS


class FollowStatus(enum.StrEnum):
    PENDING = "Pending"
    ACCEPTED = "Accepted"


class Follow(db.Model):
    """`follower` follows `followee` (Accepted), or asked to (Pending: the followee's profile is Private)."""

    __tablename__ = "follows"

    follower_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    followee_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[FollowStatus] = mapped_column(enum_type(FollowStatus, "follow_status"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    follower = relationship("User", foreign_keys=[follower_id], lazy="raise")
    followee = relationship("User", foreign_keys=[followee_id], lazy="raise")

    __table_args__ = (
        # Followers of a person and the requests to them, newest first; the primary key serves "whom I follow".
        sa.Index("ix_follows_followee_id_status_created_at", "followee_id", "status", "created_at"),
        sa.CheckConstraint("follower_id <> followee_id", name="not_self"),
    )


class PrivacySetting(db.Model):
    """A user's privacy choices; no row means the defaults (profile Public, activities Followers)."""

    __tablename__ = "privacy_settings"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    profile: Mapped[Privacy] = mapped_column(enum_type(Privacy, "profile_privacy"), default=DEFAULT_PROFILE_PRIVACY)
    activities: Mapped[Privacy] = mapped_column(
        enum_type(Privacy, "activities_privacy"), default=DEFAULT_ACTIVITY_PRIVACY
    )


class Activity(db.Model):
    """Something a user did that others may see; `data` holds what the feed item displays.

    `visibility` is the one chosen when it was made; what a viewer sees is the stricter of it and the owner's
    current setting (app/social/policy.py). The counters are kept by single UPDATEs, so concurrent kudos add up.
    """

    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    type: Mapped[ActivityType] = mapped_column(enum_type(ActivityType, "activity_type"))
    # The subjects; an activity goes with its session or workout (CASCADE) and never holds them back.
    session_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True
    )
    workout_id: Mapped[int | None] = mapped_column(sa.ForeignKey("workouts.id", ondelete="CASCADE"), index=True)
    exercise_id: Mapped[int | None] = mapped_column(sa.ForeignKey("exercises.id", ondelete="CASCADE"), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    visibility: Mapped[Privacy] = mapped_column(
        enum_type(Privacy, "activity_visibility"), default=DEFAULT_ACTIVITY_PRIVACY, server_default="Followers"
    )
    kudos_count: Mapped[int] = mapped_column(default=0, server_default="0")
    comment_count: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user = relationship("User", lazy="raise")

    __table_args__ = (
        # The feed and a person's list: one backward walk per author by id, visibility read from the index.
        sa.Index("ix_activities_user_id_id", "user_id", "id", postgresql_include=["visibility"]),
    )


class FeedEntry(db.Model):
    """A candidate of a viewer's feed: an activity of someone they follow (accepted) or their own.

    Written when an activity is made (fan-out to its owner and their followers) and when a follow becomes
    accepted (the followee's activities so far); deleted on unfollow and block. Only a candidate: the feed
    still applies the visibility rule (app/social/policy.py) to every entry it walks, so an entry that is
    stale (a privacy change, a write that raced) can never show anything the rule hides.
    """

    __tablename__ = "feed_entries"

    viewer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    activity_id: Mapped[int] = mapped_column(sa.ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True)

    # The primary key (viewer_id, activity_id) is the feed's walk, newest first; this one serves the cascade.
    __table_args__ = (sa.Index("ix_feed_entries_activity_id", "activity_id"),)


class Kudos(db.Model):
    """One person's kudos on an activity (at most one each)."""

    __tablename__ = "kudos"

    activity_id: Mapped[int] = mapped_column(sa.ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (sa.Index("ix_kudos_user_id", "user_id"),)


class Comment(db.Model):
    """A comment on an activity; deleted by its author or the activity's owner."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(sa.ForeignKey("activities.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    content: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user = relationship("User", lazy="raise")

    __table_args__ = (
        sa.Index("ix_comments_activity_id_id", "activity_id", "id"),
        sa.Index("ix_comments_user_id", "user_id"),
    )


# ---- scheduled announcements (PUSH-002)


class AnnouncementTarget(enum.StrEnum):
    CLIENTS = "clients"  # all the author's active clients
    PLAN = "plan"  # the assignees of one of the author's plans
    CLIENT = "client"  # one client
    EVERYONE = "everyone"  # every user (Owners only)


class AnnouncementStatus(enum.StrEnum):
    SCHEDULED = "Scheduled"
    SENT = "Sent"
    CANCELLED = "Cancelled"


class Announcement(db.Model):
    """A message a trainer or an Owner schedules to a target, at a moment or at a local time in each zone."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str | None] = mapped_column(sa.Text)
    target: Mapped[AnnouncementTarget] = mapped_column(enum_type(AnnouncementTarget, "announcement_target"))
    target_id: Mapped[int | None] = mapped_column()
    # Either one moment for everyone, or a local date and time of day in each recipient's own time zone.
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    local_date: Mapped[date | None] = mapped_column(sa.Date)
    local_time: Mapped[time | None] = mapped_column(sa.Time)
    status: Mapped[AnnouncementStatus] = mapped_column(
        enum_type(AnnouncementStatus, "announcement_status"), default=AnnouncementStatus.SCHEDULED
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (sa.Index("ix_announcements_author_id_id", "author_id", "id"),)


class AnnouncementDelivery(db.Model):
    """One recipient of an announcement: when it is due for them, and when (and as which notification) it went."""

    __tablename__ = "announcement_deliveries"

    announcement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("announcements.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notification_id: Mapped[int | None] = mapped_column(sa.ForeignKey("notifications.id", ondelete="SET NULL"))

    __table_args__ = (
        # Beat's claim: what is due and not sent, oldest first.
        sa.Index(
            "ix_announcement_deliveries_due",
            "due_at",
            postgresql_where=sa.text("sent_at IS NULL"),
            sqlite_where=sa.text("sent_at IS NULL"),
        ),
        sa.Index("ix_announcement_deliveries_user_id", "user_id"),
    )
