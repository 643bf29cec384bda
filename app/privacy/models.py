"""Erasure tombstones, data exports and the append-only consent ledger."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.core.columns import UTCDateTime, enum_type, utcnow
from app.extensions import db


class ConsentType(enum.StrEnum):
    HEALTH_DATA = "health_data"
    MARKETING = "marketing"
    ANALYTICS = "analytics"


class ExportStatus(enum.StrEnum):
    PENDING = "Pending"
    RUNNING = "Running"
    READY = "Ready"
    FAILED = "Failed"
    EXPIRED = "Expired"


OPEN_EXPORT = (ExportStatus.PENDING.value, ExportStatus.RUNNING.value)


class Erasure(db.Model):
    """The tombstone of an erased account: asked for at `requested_at`, done at `completed_at`.

    While this row exists the account no longer lives: its consents may be deleted (the ledger's trigger
    allows it) and the erasure job may run (again) until `completed_at` is set.
    """

    __tablename__ = "erasures"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Consent(db.Model):
    """One change of a consent: never updated or deleted while the account lives (a trigger refuses)."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    type: Mapped[ConsentType] = mapped_column(enum_type(ConsentType, "consent_type"))
    granted: Mapped[bool]
    policy_version: Mapped[str] = mapped_column(sa.String(40))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(255))

    __table_args__ = (sa.Index("ix_consents_user_id_type_id", "user_id", "type", "id"),)


class DataExport(db.Model):
    """A person's data export: built by a worker into storage, downloadable until `expires_at`."""

    __tablename__ = "data_exports"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[ExportStatus] = mapped_column(enum_type(ExportStatus, "export_status"), default=ExportStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    storage_key: Mapped[str | None] = mapped_column(sa.String(255))
    size_bytes: Mapped[int | None] = mapped_column(sa.BigInteger)

    __table_args__ = (
        # One export in progress per person (the API's 409).
        sa.Index(
            "uq_data_exports_open",
            "user_id",
            unique=True,
            postgresql_where=sa.text("status IN ('Pending', 'Running')"),
            sqlite_where=sa.text("status IN ('Pending', 'Running')"),
        ),
    )


class AnalyticsEvent(db.Model):
    """A product-analytics event of a person who granted the `analytics` consent (client- or server-side)."""

    __tablename__ = "analytics_events"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(64))
    source: Mapped[str] = mapped_column(sa.String(6))  # "client" or "server"
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    properties: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # What a server-side event is about (the message sent, the session logged, the person signed up): at most one
    # event per name and subject, so a job materialising events may run twice. Client events have none.
    subject_id: Mapped[int | None] = mapped_column(sa.BigInteger)

    __table_args__ = (
        sa.Index("ix_analytics_events_occurred_at_user_id", "occurred_at", "user_id"),
        sa.Index("ix_analytics_events_user_id_occurred_at", "user_id", "occurred_at"),
        sa.Index("uq_analytics_events_name_subject_id", "name", "subject_id", unique=True),
    )


class AnalyticsWatermark(db.Model):
    """How far the analytics job has read a source table (`messages`, `consents`): its last id, never twice."""

    __tablename__ = "analytics_watermarks"

    source: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    last_id: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
