"""Who may message whom (API.md §5): the facts about a pair in one query, and the rule over them."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from app.accounts import services as accounts_services
from app.accounts.models import Role, TrainerProfile, User
from app.chat.models import Block, Message
from app.extensions import db


@dataclass(frozen=True)
class PairFacts:
    """What the rule needs to know about a receiver and their relation to the sender."""

    receiver_role: Role
    accepting_clients: bool
    blocked: bool  # either blocked the other
    coaching: bool  # an Active coaching relationship, either way round
    receiver_wrote_first: bool  # the receiver has written to the sender before


def blocked_between(a_id: int | sa.BindParameter, b_id: int | sa.BindParameter) -> sa.Exists:
    """An EXISTS clause: either user has blocked the other."""
    return sa.exists().where(
        sa.or_(
            sa.and_(Block.blocker_id == a_id, Block.blocked_id == b_id),
            sa.and_(Block.blocker_id == b_id, Block.blocked_id == a_id),
        )
    )


def is_blocked(a_id: int, b_id: int) -> bool:
    """Tell whether either user has blocked the other."""
    return bool(db.session.scalar(sa.select(blocked_between(a_id, b_id))))


def _pair_facts_statement() -> sa.Select:
    sender, receiver = sa.bindparam("sender_id"), sa.bindparam("receiver_id")
    coaching = sa.or_(
        receiver.in_(accounts_services.active_client_ids(sender)),
        sender.in_(accounts_services.active_client_ids(receiver)),
    )
    wrote_first = sa.exists().where(Message.sender_id == receiver, Message.receiver_id == sender)
    return (
        sa.select(
            User.role,
            TrainerProfile.accepting_clients,
            blocked_between(sender, receiver).label("blocked"),
            coaching.label("coaching"),
            wrote_first.label("wrote_first"),
        )
        .outerjoin(TrainerProfile, TrainerProfile.user_id == User.id)
        .where(User.id == receiver)
    )


# Built once: on the hot path (every message) building the statement cost five times running it.
_PAIR_FACTS = _pair_facts_statement()


def pair_facts(sender_id: int, receiver_id: int) -> PairFacts | None:
    """Load the facts about a pair in one query; None when the receiver does not exist."""
    row = db.session.execute(_PAIR_FACTS, {"sender_id": sender_id, "receiver_id": receiver_id}).first()
    if row is None:
        return None
    return PairFacts(
        row.role, bool(row.accepting_clients), bool(row.blocked), bool(row.coaching), bool(row.wrote_first)
    )


def allows(sender: User, receiver_id: int, facts: PairFacts) -> bool:
    """Owners, active coaching pairs, inquiries to trainers accepting clients and their answers; never a block."""
    if sender.id == receiver_id or facts.blocked:
        return False
    if Role.OWNER in (sender.role, facts.receiver_role):
        return True
    if facts.coaching:
        return True
    if sender.role == Role.USER and facts.receiver_role == Role.TRAINER:
        return facts.accepting_clients  # an inquiry
    # A Trainer answering a User who wrote to them (else an inquiry could never be answered).
    return sender.role == Role.TRAINER and facts.receiver_role == Role.USER and facts.receiver_wrote_first


def can_message(sender: User, receiver: User) -> bool:
    """Tell whether `sender` may message `receiver` now."""
    facts = pair_facts(sender.id, receiver.id)
    return facts is not None and allows(sender, receiver.id, facts)
