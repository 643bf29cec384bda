"""Direct messages between two users, and blocks that stop them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.core.columns import UTCDateTime, utcnow
from app.extensions import db

MAX_CONTENT = 4000
MAX_CLIENT_MSG_ID = 64


class Message(db.Model):
    """One message; `client_msg_id` makes a client's retry return the stored row instead of a duplicate."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    receiver_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    content: Mapped[str] = mapped_column(sa.Text)
    client_msg_id: Mapped[str | None] = mapped_column(sa.String(MAX_CLIENT_MSG_ID))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when the unread digest claimed the message (whether or not it was read afterwards): never twice.
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.UniqueConstraint("sender_id", "client_msg_id", name="uq_messages_sender_id_client_msg_id"),
        # A conversation's history is two index ranges, (a -> b) and (b -> a), each walked by id.
        sa.Index("ix_messages_sender_id_receiver_id_id", "sender_id", "receiver_id", "id"),
        sa.Index("ix_messages_receiver_id_sender_id_id", "receiver_id", "sender_id", "id"),
        # Unread counts per receiver (and per sender within them) touch only unread rows.
        sa.Index(
            "ix_messages_unread",
            "receiver_id",
            "sender_id",
            postgresql_where=sa.text("read_at IS NULL"),
            sqlite_where=sa.text("read_at IS NULL"),
        ),
        # The digest's claim: unread, never notified, oldest first.
        sa.Index(
            "ix_messages_digest_due",
            "created_at",
            postgresql_where=sa.text("read_at IS NULL AND notified_at IS NULL"),
            sqlite_where=sa.text("read_at IS NULL AND notified_at IS NULL"),
        ),
        sa.CheckConstraint("sender_id <> receiver_id", name="not_self"),
    )


class Block(db.Model):
    """`blocker` blocked `blocked`: no messages either way while the row exists."""

    __tablename__ = "user_blocks"

    blocker_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    blocked_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        sa.Index("ix_user_blocks_blocked_id_blocker_id", "blocked_id", "blocker_id"),
        sa.CheckConstraint("blocker_id <> blocked_id", name="not_self"),
    )
