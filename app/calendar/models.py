"""Events (optionally recurring), plan assignments, the reminder schedule and its deliveries, feeds, connections.

Reminders are two tables. `ReminderSchedule` holds the reminders still to fire, one row per
(event, occurrence start, minutes_before), with `fire_at` indexed: the job claims `fire_at <= now`
rows and never scans events. It is filled when an event is saved (recurring events only up to a
rolling horizon, `Event.reminders_filled_until`; the job extends it). `ReminderDelivery` remembers
every reminder handled, sent or missed: its UNIQUE (event_id, occurrence_start, minutes_before) is
what makes a reminder go out once, whatever runs twice or at once. Moving an event changes the
occurrence start, so the moved occurrence gets a fresh key and a fresh reminder.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.core.crypto import EncryptedJSON
from app.core.db import TimestampMixin, UTCDateTime, enum_type, utcnow
from app.extensions import db


def new_uid() -> str:
    """A stable iCalendar UID (32 hex digits: also a valid Google Calendar event id)."""
    return uuid.uuid4().hex


class Event(TimestampMixin, db.Model):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(sa.String(64), default=new_uid, unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)
    start_time: Mapped[datetime] = mapped_column(UTCDateTime())
    end_time: Mapped[datetime] = mapped_column(UTCDateTime())
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    location: Mapped[str | None] = mapped_column(sa.String(300))
    # RESTRICT: a workout an event refers to is archived by the workouts domain, not deleted.
    workout_id: Mapped[int | None] = mapped_column(sa.ForeignKey("workouts.id", ondelete="RESTRICT"), index=True)
    rrule: Mapped[str | None] = mapped_column(sa.String(500))
    reminders: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    # The end of the last occurrence (NULL: the series never ends); bounds the range query.
    series_end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # iCalendar SEQUENCE: bumped on every change, so subscribed calendars take the new version.
    sequence: Mapped[int] = mapped_column(sa.Integer, default=0)
    # Reminder rows exist up to here; NULL when nothing is left to materialise.
    reminders_filled_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    assignment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("plan_assignments.id", ondelete="CASCADE"), index=True
    )

    __table_args__ = (
        sa.Index("ix_events_user_id_start_time", "user_id", "start_time"),
        sa.Index(
            "ix_events_reminders_filled_until",
            "reminders_filled_until",
            postgresql_where=sa.text("reminders_filled_until IS NOT NULL"),
            sqlite_where=sa.text("reminders_filled_until IS NOT NULL"),
        ),
        sa.CheckConstraint("end_time > start_time", name="ends_after_start"),
    )

    @property
    def created_by(self) -> int | None:
        """The id of the user who created the event."""
        return self.created_by_id


class PlanAssignment(TimestampMixin, db.Model):
    """A plan given to a client from a start date; its workouts became events of the client's calendar."""

    __tablename__ = "plan_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    # RESTRICT: an assigned plan is archived by the workouts domain, not deleted.
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plans.id", ondelete="RESTRICT"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    start_date: Mapped[date] = mapped_column(sa.Date)
    start_time: Mapped[time] = mapped_column(sa.Time)
    duration_minutes: Mapped[int] = mapped_column(sa.Integer)
    timezone: Mapped[str] = mapped_column(sa.String(64))

    __table_args__ = (sa.Index("ix_plan_assignments_user_id", "user_id", "created_at"),)

    @property
    def assigned_by(self) -> int | None:
        """The id of the trainer who assigned the plan."""
        return self.assigned_by_id


class ReminderSchedule(db.Model):
    """A reminder still to fire; the job claims due rows by `fire_at`."""

    __tablename__ = "reminder_schedule"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    occurrence_start: Mapped[datetime] = mapped_column(UTCDateTime())
    minutes_before: Mapped[int] = mapped_column(sa.Integer)
    fire_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)

    __table_args__ = (sa.UniqueConstraint("event_id", "occurrence_start", "minutes_before"),)


class DeliveryStatus(enum.StrEnum):
    SENT = "sent"
    MISSED = "missed"


class ReminderDelivery(db.Model):
    """A reminder handled once and for all: sent, or missed (found too late)."""

    __tablename__ = "reminder_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    occurrence_start: Mapped[datetime] = mapped_column(UTCDateTime())
    minutes_before: Mapped[int] = mapped_column(sa.Integer)
    fire_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[DeliveryStatus] = mapped_column(enum_type(DeliveryStatus, "reminder_delivery_status"))
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (sa.UniqueConstraint("event_id", "occurrence_start", "minutes_before"),)


class FeedToken(db.Model):
    """A user's secret iCalendar feed URL; only its digest is stored, and a new one replaces it."""

    __tablename__ = "calendar_feed_tokens"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Provider(enum.StrEnum):
    CALDAV = "caldav"
    GOOGLE = "google"


class CalendarConnection(TimestampMixin, db.Model):
    """An external calendar that every event change is pushed to; credentials are encrypted."""

    __tablename__ = "calendar_connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider: Mapped[Provider] = mapped_column(enum_type(Provider, "calendar_provider"))
    url: Mapped[str | None] = mapped_column(sa.String(500))
    credentials: Mapped[dict] = mapped_column(EncryptedJSON())  # a Fernet token in the database (app/core/crypto.py)
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
