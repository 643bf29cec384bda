"""Training sessions with their sets, body measurements, and the per-session roll-ups analytics read.

Sets are the truth. Two narrow roll-up tables are derived from them, in SQL, every time a
session's sets are written (`services.refresh_rollups`), so progress charts and personal
records read a few rows per session of one exercise instead of every set ever logged:

- `SessionExercise`: one row per (session, exercise): sets, reps, volume, heaviest weight,
  best estimated 1RM, with the athlete and the session's start copied in so one index
  `(user_id, exercise_id, started_at)` serves the progress series of one exercise.
- `RepBest`: one row per (session, exercise, weight): the most reps done at that weight
  (the "most reps at a weight" records).

They hang off the session (ON DELETE CASCADE) and are rebuilt whole for a session, so they
cannot drift from the sets; a Hypothesis test checks the aggregates against plain Python.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.crypto import EncryptedText
from app.core.db import TimestampMixin, UTCDateTime, enum_type, utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.exercises.models import Exercise
    from app.workouts.models import Workout

KG = sa.Numeric(6, 2, asdecimal=False)
BIG_KG = sa.Numeric(12, 2, asdecimal=False)


class MeasurementType(enum.StrEnum):
    WEIGHT = "Weight"
    BODY_FAT = "Body Fat"
    WAIST = "Waist"
    HIPS = "Hips"
    CHEST = "Chest"
    ARM = "Arm"
    THIGH = "Thigh"
    RESTING_HR = "Resting HR"


class TrainingSession(TimestampMixin, db.Model):
    """One logged workout session of an athlete."""

    __tablename__ = "training_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    # RESTRICT: a workout that logs refer to is archived by the workouts domain, not deleted.
    workout_id: Mapped[int | None] = mapped_column(sa.ForeignKey("workouts.id", ondelete="RESTRICT"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notes: Mapped[str | None] = mapped_column(EncryptedText())  # about the body: encrypted at rest
    perceived_exertion: Mapped[int | None] = mapped_column(sa.SmallInteger)

    sets: Mapped[list[SessionSet]] = relationship(
        back_populates="session", order_by="SessionSet.id", cascade="all, delete-orphan", passive_deletes=True
    )
    workout: Mapped[Workout | None] = relationship("Workout")

    __table_args__ = (
        sa.Index("ix_training_sessions_user_started", "user_id", "started_at", "id"),
        sa.CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ends_after_start"),
        sa.CheckConstraint("perceived_exertion BETWEEN 1 AND 10", name="exertion_range"),
    )


class SessionSet(db.Model):
    """One set of one exercise within a session; weights and distances are metric."""

    __tablename__ = "session_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("training_sessions.id", ondelete="CASCADE"))
    # RESTRICT: an exercise with logged sets is archived by the exercises domain, not deleted.
    exercise_id: Mapped[int] = mapped_column(sa.ForeignKey("exercises.id", ondelete="RESTRICT"), index=True)
    set_number: Mapped[int] = mapped_column(sa.SmallInteger)
    reps: Mapped[int | None] = mapped_column(sa.SmallInteger)
    weight_kg: Mapped[float | None] = mapped_column(KG)
    duration_s: Mapped[int | None] = mapped_column(sa.Integer)
    distance_m: Mapped[float | None] = mapped_column(sa.Numeric(9, 1, asdecimal=False))
    rpe: Mapped[float | None] = mapped_column(sa.Numeric(3, 1, asdecimal=False))

    session: Mapped[TrainingSession] = relationship(back_populates="sets")
    exercise: Mapped[Exercise] = relationship("Exercise")

    __table_args__ = (
        sa.Index("ix_session_sets_session_id", "session_id", "id"),
        sa.CheckConstraint("reps BETWEEN 0 AND 1000", name="reps_range"),
        sa.CheckConstraint("weight_kg BETWEEN 0 AND 1000", name="weight_range"),
        sa.CheckConstraint("rpe BETWEEN 1 AND 10", name="rpe_range"),
    )


ROLLUP_COLUMNS = ("session_id", "sets", "reps", "volume_kg", "max_weight_kg", "best_1rm_kg")


class SessionExercise(db.Model):
    """Derived: one exercise's sets in one session, summed (rebuilt whenever the session's sets change)."""

    __tablename__ = "session_exercises"

    session_id: Mapped[int] = mapped_column(sa.ForeignKey("training_sessions.id", ondelete="CASCADE"), primary_key=True)
    exercise_id: Mapped[int] = mapped_column(primary_key=True)  # no FK: the sets hold the reference
    user_id: Mapped[int] = mapped_column()
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sets: Mapped[int] = mapped_column()
    reps: Mapped[int] = mapped_column()
    volume_kg: Mapped[float] = mapped_column(BIG_KG)
    max_weight_kg: Mapped[float | None] = mapped_column(KG)
    best_1rm_kg: Mapped[float | None] = mapped_column(sa.Numeric(8, 2, asdecimal=False))

    __table_args__ = (
        # The progress series of one exercise: an index-only range scan on PostgreSQL.
        sa.Index(
            "ix_session_exercises_user_exercise",
            "user_id",
            "exercise_id",
            "started_at",
            postgresql_include=list(ROLLUP_COLUMNS),
        ),
        # Stats and the trainer dashboard: one athlete's recent volume.
        sa.Index("ix_session_exercises_user_started", "user_id", "started_at"),
    )


class RepBest(db.Model):
    """Derived: the most reps done at one weight of one exercise in one session."""

    __tablename__ = "rep_bests"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column()
    exercise_id: Mapped[int] = mapped_column()
    weight_kg: Mapped[float | None] = mapped_column(KG)  # NULL: sets without a weight (body weight)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reps: Mapped[int] = mapped_column()

    __table_args__ = (
        # "Most reps at each weight" reads this index in order (weight, most reps, earliest), index-only.
        sa.Index(
            "ix_rep_bests_user_exercise_weight",
            "user_id",
            "exercise_id",
            "weight_kg",
            sa.text("reps DESC"),
            "started_at",
            "session_id",
        ),
    )


class Measurement(db.Model):
    """One body measurement at one moment; one value per (user, type, moment)."""

    __tablename__ = "measurements"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    type: Mapped[MeasurementType] = mapped_column(enum_type(MeasurementType, "measurement_type"))
    value: Mapped[float] = mapped_column(sa.Numeric(7, 2, asdecimal=False))
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("user_id", "type", "measured_at", name="uq_measurements_user_type_measured_at"),
        sa.Index("ix_measurements_user_measured_at", "user_id", "measured_at"),
    )
