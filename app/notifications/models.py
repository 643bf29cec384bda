"""In-app notifications, the devices that receive push, and each user's delivery preferences."""

from __future__ import annotations

import enum
from datetime import datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.core.columns import UTCDateTime, enum_type, utcnow
from app.extensions import db

MAX_DEVICE_TOKEN = 2048


class Notification(db.Model):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str | None] = mapped_column(sa.Text)
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Claimed by the delivery job (email/push): a redelivered job finds it set and sends nothing twice.
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # Cursor lists (newest first, before=<id>) per user.
    __table_args__ = (sa.Index("ix_notifications_user_id_id", "user_id", "id"),)


class Platform(enum.StrEnum):
    IOS = "ios"
    ANDROID = "android"
    WEB = "web"


class Device(db.Model):
    """A push target: an FCM registration token (ios/android) or a Web Push subscription as JSON (web)."""

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    platform: Mapped[Platform] = mapped_column(enum_type(Platform, "device_platform"))
    # A token belongs to one device: registering it again (even as someone else) moves it, never duplicates it.
    token: Mapped[str] = mapped_column(sa.String(MAX_DEVICE_TOKEN), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class NotificationPreference(db.Model):
    """How a user wants to hear about things; no row means the defaults (email and push, no quiet hours)."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    email: Mapped[bool] = mapped_column(default=True)
    push: Mapped[bool] = mapped_column(default=True)
    # Local wall-clock times in the user's time zone; the window may cross midnight (22:00 -> 07:00).
    quiet_start: Mapped[time | None] = mapped_column(sa.Time)
    quiet_end: Mapped[time | None] = mapped_column(sa.Time)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
