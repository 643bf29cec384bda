"""Activities: what the social feed shows (completed sessions, personal records, shared workouts)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import UTCDateTime, enum_type, utcnow
from app.extensions import db


class ActivityType(enum.StrEnum):
    SESSION_COMPLETED = "session_completed"
    PERSONAL_RECORD = "personal_record"
    WORKOUT_SHARED = "workout_shared"


class Activity(db.Model):
    """Something a user did that their followers may see; `data` holds what the feed item displays."""

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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (sa.Index("ix_activities_user_id_id", "user_id", "id"),)
