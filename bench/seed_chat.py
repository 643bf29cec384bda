"""Seed the conversations bench: the bench user has 40 peers, 50 messages with each (some unread).

A `bench/prepare.py --with chat` hook (`bench_seed`); messages are inserted directly, as the history of
coaching pairs would be, once.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

PEERS, MESSAGES_PER_PEER = 40, 50
PEER_EMAIL = "chat-peer{n}@bench.spotter.local"
BENCH_EMAIL = "bench@example.com"  # bench/prepare.py's user, whose token the scenarios send


def bench_seed(app, out: Path) -> None:
    """Create the peers and the history unless the bench user already has conversations."""
    from app.accounts import services as accounts_services
    from app.chat.models import Message
    from app.core.columns import utcnow
    from app.extensions import db

    me = accounts_services.find_user_by_email(BENCH_EMAIL)
    mine = sa.select(sa.func.count()).select_from(Message).where(Message.receiver_id == me.id)
    if db.session.scalar(mine):
        return
    now = utcnow()
    rows = []
    for n in range(PEERS):
        email = PEER_EMAIL.format(n=n)
        peer = accounts_services.find_user_by_email(email) or accounts_services.create_user(
            email, f"chatpeer{n}", "bench-password-123"
        )
        for m in range(MESSAGES_PER_PEER):
            inbound = m % 2 == 0
            rows.append(
                {
                    "sender_id": peer.id if inbound else me.id,
                    "receiver_id": me.id if inbound else peer.id,
                    "content": f"message {m} of a conversation",
                    "created_at": now - timedelta(minutes=(PEERS - n) * MESSAGES_PER_PEER - m),
                    "read_at": None if inbound and m > MESSAGES_PER_PEER - 6 else now,
                }
            )
    db.session.execute(Message.__table__.insert(), rows)
    db.session.commit()
