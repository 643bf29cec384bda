"""Workouts (ordered exercise items) and multi-week plans (a schedule of workouts)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.columns import TimestampMixin, UTCDateTime, enum_type
from app.extensions import db

if TYPE_CHECKING:
    from app.exercises.models import Exercise


class Visibility(enum.StrEnum):
    PRIVATE = "Private"
    CLIENTS = "Clients"
    PUBLIC = "Public"


class AuthoredMixin(TimestampMixin):
    """What workouts and plans share: a titled, authored item with a visibility, archived instead of deleted."""

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)
    visibility: Mapped[Visibility] = mapped_column(enum_type(Visibility, "visibility"), default=Visibility.PRIVATE)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def created_by(self) -> int:
        """The author's user id."""
        return self.created_by_id

    @property
    def archived(self) -> bool:
        """Tell whether it was deleted while something still used it (kept for history)."""
        return self.archived_at is not None


class Workout(AuthoredMixin, db.Model):
    __tablename__ = "workouts"

    copied_from_id: Mapped[int | None] = mapped_column(sa.ForeignKey("workouts.id", ondelete="SET NULL"))

    items: Mapped[list[WorkoutItem]] = relationship(
        back_populates="workout",
        order_by="WorkoutItem.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    __table_args__ = (
        sa.Index("ix_workouts_created_by_id", "created_by_id", "created_at"),
        sa.Index("ix_workouts_visibility", "visibility", "created_at"),
        sa.Index("ix_workouts_created_at", "created_at", "id"),
    )

    @property
    def copied_from(self) -> int | None:
        """The id of the workout this one was copied from."""
        return self.copied_from_id


class WorkoutItem(db.Model):
    """One exercise of a workout with its targets; the exercise row is kept (archived) while used."""

    __tablename__ = "workout_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    workout_id: Mapped[int] = mapped_column(sa.ForeignKey("workouts.id", ondelete="CASCADE"))
    exercise_id: Mapped[int] = mapped_column(sa.ForeignKey("exercises.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int] = mapped_column(sa.SmallInteger)
    sets: Mapped[int | None] = mapped_column(sa.SmallInteger)
    reps: Mapped[int | None] = mapped_column(sa.SmallInteger)
    weight_kg: Mapped[float | None] = mapped_column(sa.Numeric(6, 2, asdecimal=False))
    duration_s: Mapped[int | None] = mapped_column(sa.Integer)
    distance_m: Mapped[float | None] = mapped_column(sa.Numeric(9, 1, asdecimal=False))
    rest_s: Mapped[int | None] = mapped_column(sa.Integer)
    notes: Mapped[str | None] = mapped_column(sa.Text)

    workout: Mapped[Workout] = relationship(back_populates="items")
    exercise: Mapped[Exercise] = relationship()

    __table_args__ = (sa.Index("ix_workout_items_workout_id", "workout_id", "position"),)


class Plan(AuthoredMixin, db.Model):
    __tablename__ = "plans"

    weeks: Mapped[int] = mapped_column(sa.SmallInteger)

    schedule: Mapped[list[PlanEntry]] = relationship(
        back_populates="plan",
        order_by="(PlanEntry.week, PlanEntry.day, PlanEntry.id)",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    __table_args__ = (
        sa.Index("ix_plans_created_by_id", "created_by_id", "created_at"),
        sa.Index("ix_plans_visibility", "visibility", "created_at"),
        sa.Index("ix_plans_created_at", "created_at", "id"),
    )


class PlanEntry(db.Model):
    """One (week, day, workout) slot of a plan; a workout used here is archived, not deleted."""

    __tablename__ = "plan_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plans.id", ondelete="CASCADE"))
    week: Mapped[int] = mapped_column(sa.SmallInteger)
    day: Mapped[int] = mapped_column(sa.SmallInteger)
    workout_id: Mapped[int] = mapped_column(sa.ForeignKey("workouts.id", ondelete="RESTRICT"), index=True)

    plan: Mapped[Plan] = relationship(back_populates="schedule")
    workout: Mapped[Workout] = relationship()

    __table_args__ = (
        sa.Index("ix_plan_entries_plan_id", "plan_id", "week", "day"),
        sa.CheckConstraint("day BETWEEN 1 AND 7", name="day_range"),
        sa.CheckConstraint("week >= 1", name="week_positive"),
    )
