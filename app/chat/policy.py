"""Who may message whom (API.md §5): one rule, in SQL, so that sending checks it and stores in one statement."""

from __future__ import annotations

import sqlalchemy as sa

from app.accounts import services as accounts_services
from app.accounts.models import Role, TrainerProfile, User
from app.chat.models import Block, Message
from app.extensions import db

# The two users of a pair, and the receiver's trainer profile, as the rule's FROM clause names them.
Sender = User.__table__.alias("sender")
Receiver = User.__table__.alias("receiver")
ReceiverTrainer = TrainerProfile.__table__.alias("receiver_trainer")


def blocked_between(a_id: int | sa.ColumnElement, b_id: int | sa.ColumnElement) -> sa.Exists:
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


def may_message_clause() -> sa.ColumnElement[bool]:
    """Owners, active coaching pairs, inquiries to trainers accepting clients and their answers; never a block.

    Over `Sender`, `Receiver` and `ReceiverTrainer` (see `pair_from`): roles and relations as they are now.
    """
    sender, receiver = Sender.c.id, Receiver.c.id
    coaching = sa.or_(
        receiver.in_(accounts_services.active_client_ids(sender)),
        sender.in_(accounts_services.active_client_ids(receiver)),
    )
    inquiry = sa.and_(
        Sender.c.role == Role.USER, Receiver.c.role == Role.TRAINER, ReceiverTrainer.c.accepting_clients.is_(True)
    )
    # A Trainer answering a User's open inquiry (else it could never be answered): a message from the User
    # since their last coaching ended, if they had one. A past client is no inquiry (API.md §5).
    answer = sa.and_(
        Sender.c.role == Role.TRAINER,
        Receiver.c.role == Role.USER,
        sa.exists().where(
            Message.sender_id == receiver,
            Message.receiver_id == sender,
            ~accounts_services.coaching_ended_since(sender, receiver, Message.created_at),
        ),
    )
    return sa.and_(
        sender != receiver,
        ~blocked_between(sender, receiver),
        sa.or_(Sender.c.role == Role.OWNER, Receiver.c.role == Role.OWNER, coaching, inquiry, answer),
    )


def pair_from(select: sa.Select, sender_id: int | sa.BindParameter, receiver_id: int | sa.BindParameter) -> sa.Select:
    """Give a SELECT the FROM clause the rule reads: the receiver's row (none: no such user) and the sender's."""
    return (
        select.select_from(Receiver)
        .join(Sender, Sender.c.id == sender_id)
        .outerjoin(ReceiverTrainer, ReceiverTrainer.c.user_id == Receiver.c.id)
        .where(Receiver.c.id == receiver_id)
    )


# Built once: on the hot path (every typing event) building the statement cost more than running it.
_MAY_MESSAGE = pair_from(
    sa.select(may_message_clause().label("allowed")), sa.bindparam("sender_id"), sa.bindparam("receiver_id")
)


def may_message(sender_id: int, receiver_id: int) -> bool | None:
    """Tell whether a user may message another now; None when either does not exist."""
    return db.session.execute(_MAY_MESSAGE, {"sender_id": sender_id, "receiver_id": receiver_id}).scalar()


def can_message(sender: User, receiver: User) -> bool:
    """Tell whether `sender` may message `receiver` now."""
    return bool(may_message(sender.id, receiver.id))
