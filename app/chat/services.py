"""The rules of chat: sending, history, read receipts, unread counts, conversations, blocks, the digest."""

from __future__ import annotations

import functools
from collections import defaultdict, namedtuple
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_smorest.pagination import PaginationParameters
from limits import parse as parse_limit
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts import services as accounts_services
from app.accounts.models import User, profile_image_of
from app.chat import policy, signals
from app.chat.models import Block, Message
from app.chat.schemas import MESSAGE
from app.core import metrics, sockets
from app.core.columns import utcnow
from app.core.direct_sql import DirectStatement
from app.core.durability import flush_wal, wait_until_durable
from app.core.engine import conflict_insert
from app.core.errors import AppError, Conflict, Forbidden, Invalid, NotFound, TooManyRequests
from app.core.pagination import PageChildren, PagedSelect
from app.core.sockets import SocketUser
from app.core.unit_of_work import bind_of
from app.extensions import db, limiter
from app.notifications import services as notifications_services

# ---- sending


def send_message(
    sender: User | SocketUser, receiver_id: int, content: str, client_msg_id: str | None = None
) -> tuple[sa.Row | Message, bool]:
    """Store a message and emit it to both users after commit; return it and whether it is new.

    The permission check and the insert are one statement. A repeated `client_msg_id` returns the stored
    message (not stored again), even when the retry itself would now be refused (rate limit, block), and
    announces it to the receiver again, with the same id: a sender retries when its ack was lost, and the first
    announcement may have been lost with it (the web process died between the commit and the publish).
    """
    try:
        check_rate(sender.id, "chat-send", current_app.config["CHAT_SEND_RATE"], "Too many messages; slow down.")
        if receiver_id == sender.id:
            raise Invalid("You cannot message yourself.", field="receiver_id")
    except AppError:
        stored = _retried(sender.id, client_msg_id, receiver_id, content) if client_msg_id else None
        if stored is None:
            raise
        return _announced_again(stored), False
    message = _insert_if_allowed(sender.id, receiver_id, content, client_msg_id)
    if message is None:  # refused, or the same client_msg_id was stored first (a retry, a concurrent duplicate)
        stored = _retried(sender.id, client_msg_id, receiver_id, content) if client_msg_id else None
        if stored is None:
            check_may_message(sender, receiver_id)  # raises the refusal's error
            raise Conflict("Who may message whom changed while sending; try again.")
        return _announced_again(stored), False
    sockets.emit_to_users([receiver_id, sender.id], "message", MESSAGE.dump(message))
    wait_until_durable(db.session)  # delivered as soon as stored; acked (returned) once it would survive a crash
    return message, True


def _announced_again(message: Message) -> Message:
    """Emit a retried message to its receiver once more (clients keep one message per id)."""
    sockets.emit_to_user(message.receiver_id, "message", MESSAGE.dump(message))
    return message


def check_may_message(sender: User | SocketUser, receiver_id: int) -> None:
    """Raise unless `sender` may message `receiver_id` (422 yourself, 404 no such user, 403 not allowed)."""
    if receiver_id == sender.id:
        raise Invalid("You cannot message yourself.", field="receiver_id")
    allowed = policy.may_message(sender.id, receiver_id)
    if allowed is None:
        raise NotFound("No such user.")
    if not allowed:
        raise Forbidden("You may not message this user.")


_SENT_COLUMNS = ("sender_id", "receiver_id", "content", "client_msg_id", "created_at")


@functools.cache
def _send_statement(dialect: str) -> DirectStatement:
    """INSERT ... SELECT <the message> WHERE <may message> ON CONFLICT DO NOTHING RETURNING, built once per dialect."""
    table = Message.__table__
    values = {name: sa.bindparam(name, type_=table.c[name].type) for name in _SENT_COLUMNS}
    allowed = sa.select(*values.values()).where(policy.may_message_clause())
    rows = policy.pair_from(allowed, values["sender_id"], values["receiver_id"])
    stmt = conflict_insert(table, dialect).from_select(_SENT_COLUMNS, rows)
    return DirectStatement(
        stmt.on_conflict_do_nothing(index_elements=["sender_id", "client_msg_id"]).returning(*table.c),
        wait_for_disk=False,  # see send_message: the ack waits for the disk, the delivery does not
    )


def _insert_if_allowed(sender_id: int, receiver_id: int, content: str, client_msg_id: str | None) -> sa.Row | None:
    """Store a message if the sender may send it, in one statement; None when refused or the client_msg_id exists."""
    params = {
        "sender_id": sender_id,
        "receiver_id": receiver_id,
        "content": content,
        "client_msg_id": client_msg_id,
        "created_at": utcnow(),
    }
    rows = _send_statement(bind_of(db.session).dialect.name).rows(db.session, params)  # no ORM work on the hot path
    return rows[0] if rows else None


def _retried(sender_id: int, client_msg_id: str, receiver_id: int, content: str) -> Message | None:
    stmt = select(Message).where(Message.sender_id == sender_id, Message.client_msg_id == client_msg_id)
    existing = db.session.execute(stmt).scalar_one_or_none()
    if existing is not None and (existing.receiver_id, existing.content) != (receiver_id, content):
        raise Conflict("This client_msg_id was already used for another message.")
    if existing is not None:
        flush_wal(db.session)  # the first try may have stored it a moment ago, not yet on disk: the ack waits
    return existing


def check_rate(user_id: int, scope: str, rate: str, message: str) -> None:
    """Count one hit of a per-user limit; raise TooManyRequests (with Retry-After) beyond it."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return
    limit = parse_limit(rate)
    if limiter.limiter.hit(limit, scope, str(user_id)):
        return
    reset_at, _ = limiter.limiter.get_window_stats(limit, scope, str(user_id))
    retry_after = max(1, int(reset_at - utcnow().timestamp()) + 1)
    raise TooManyRequests(message, headers={"Retry-After": str(retry_after)})


def typing(sender: User | SocketUser, to_id: int) -> None:
    """Tell a user you may message that you are typing (not stored; silently dropped beyond the rate)."""
    try:
        check_rate(sender.id, "chat-typing", current_app.config["CHAT_TYPING_RATE"], "Too many typing events.")
    except TooManyRequests:
        return
    check_may_message(sender, to_id)
    sockets.emit_to_user(to_id, "typing", {"from": sender.id}, now=True)


# ---- reading


def history(me: User, peer_id: int, before: int | None = None, after: int | None = None, limit: int = 50) -> list:
    """Return a conversation's messages: newest first (before=), or oldest first after an id (after=)."""
    accounts_services.get_user(peer_id)
    newest_first = after is None

    def one_way(sender_id: int, receiver_id: int) -> sa.Subquery:
        stmt = select(Message.id).where(Message.sender_id == sender_id, Message.receiver_id == receiver_id)
        if before is not None:
            stmt = stmt.where(Message.id < before)
        if after is not None:
            stmt = stmt.where(Message.id > after)
        return stmt.order_by(Message.id.desc() if newest_first else Message.id.asc()).limit(limit).subquery()

    # Each direction is one index range walked by id; the union of the two limited ranges holds the page.
    mine, theirs = one_way(me.id, peer_id), one_way(peer_id, me.id)
    ids = sa.union_all(select(mine.c.id), select(theirs.c.id))
    stmt = select(Message).where(Message.id.in_(ids))
    stmt = stmt.order_by(Message.id.desc() if newest_first else Message.id.asc()).limit(limit)
    return list(db.session.execute(stmt).scalars())


_messages = Message.__table__
_MARK_READ = DirectStatement(
    sa.update(_messages)
    .where(
        _messages.c.receiver_id == sa.bindparam("reader_id"),
        _messages.c.sender_id == sa.bindparam("peer_id"),
        _messages.c.id <= sa.bindparam("up_to"),
        _messages.c.read_at.is_(None),
    )
    .values(read_at=sa.bindparam("now", type_=_messages.c.read_at.type))
    .returning(_messages.c.id),
    # A read mark lost to a crash of PostgreSQL is harmless (the messages show unread until marked again), so
    # neither the receipt nor the ack waits for the disk.
    wait_for_disk=False,
)


def mark_read(reader: User | SocketUser, peer_id: int, up_to: int) -> int | None:
    """Mark the peer's messages to the reader up to an id as read; emit `messages_read`. Return the last id marked."""
    params = {"reader_id": reader.id, "peer_id": peer_id, "up_to": up_to, "now": utcnow()}
    marked = [row.id for row in _MARK_READ.rows(db.session, params)]  # no ORM work on the hot path
    if not marked:
        accounts_services.get_user(peer_id)  # an unknown peer is a 404 (looked up only here, off the common path)
        return None
    receipt = {"by": reader.id, "up_to": max(marked)}
    # The peer's sockets, and the reader's other devices (the socket that marked them has its ack).
    sockets.emit_to_users([peer_id, reader.id], "messages_read", receipt, skip_this_socket=True)
    return receipt["up_to"]


def unread_counts(user: User) -> dict[str, Any]:
    """Count the user's unread messages, in total and per sender."""
    stmt = (
        select(Message.sender_id, sa.func.count())
        .where(Message.receiver_id == user.id, Message.read_at.is_(None))
        .group_by(Message.sender_id)
    )
    by_sender = {str(sender_id): count for sender_id, count in db.session.execute(stmt)}
    return {"total": sum(by_sender.values()), "by_sender": by_sender}


def unread_from(user: User, sender_ids: list[int]) -> dict[int, int]:
    """Count the user's unread messages from each of `sender_ids` (one query)."""
    stmt = (
        select(Message.sender_id, sa.func.count())
        .where(Message.receiver_id == user.id, Message.read_at.is_(None), Message.sender_id.in_(sender_ids))
        .group_by(Message.sender_id)
    )
    return dict(db.session.execute(stmt).all())


def conversations(me: User | accounts_services.Viewer, pagination: PaginationParameters) -> list[dict[str, Any]]:
    """Return one page of the user's conversations (peer, last message, unread count), most recent first.

    Two statements whatever the page size: the page of peers with their total, then each one's last message
    and the peer's public columns, read as plain rows shaped as `ConversationSchema` reads them.
    """
    page = _conversations_query(bind_of(db.session).dialect.name).page({"me": me.id}, pagination)
    details = LAST_MESSAGES.of([row.last_id for row in page], {"me": me.id})
    return [
        {
            "peer": {
                "id": row.peer_id,
                "username": last.username,
                "role": last.role,
                "profile_image": profile_image_of(last.profile_image_status, last.profile_image_key, last.thumb_key),
            },
            "last_message": LastMessage._make(last[: len(LastMessage._fields)]),
            "unread_count": row.unread,
        }
        for row, (last,) in zip(page, details, strict=True)
    ]


@functools.lru_cache(maxsize=4)
def _conversations_query(dialect: str) -> PagedSelect:
    """Each peer of `me` with the last message's id either way and `me`'s unread count, newest first (the
    dialect keys the cache only)."""
    me = sa.bindparam("me", type_=sa.Integer)
    peer = sa.case((Message.sender_id == me, Message.receiver_id), else_=Message.sender_id).label("peer_id")
    unread = sa.func.count().filter(Message.receiver_id == me, Message.read_at.is_(None)).label("unread")
    grouped = (
        select(peer, sa.func.max(Message.id).label("last_id"), unread)
        .where(sa.or_(Message.sender_id == me, Message.receiver_id == me))
        .group_by(peer)
        .cte("conversations")  # read twice (the page and its total): PostgreSQL groups the messages once
    )
    return PagedSelect(select(grouped).order_by(grouped.c.last_id.desc()))


# The last message of a conversation as `MessageSchema` reads it (by attribute: `is_read` reads `read_at`).
LastMessage = namedtuple("LastMessage", "id sender_id receiver_id content client_msg_id created_at read_at")


def _last_messages_select(dialect: str) -> sa.Select:
    """Messages by id with the public columns of their peer, the side that is not `me`."""
    peer_id = sa.case(
        (Message.sender_id == sa.bindparam("me", type_=sa.Integer), Message.receiver_id), else_=Message.sender_id
    )
    message = [Message.__table__.c[name] for name in LastMessage._fields]
    people = (User.username, User.role, User.profile_image_status, User.profile_image_key)
    return select(*message, *people, User.profile_image_thumb_key.label("thumb_key")).join(User, User.id == peer_id)


LAST_MESSAGES = PageChildren(_last_messages_select, Message.id)


# ---- blocks


def block(actor: User, user_id: int) -> None:
    """Block a user: no messages either way until unblocked (idempotent); listeners end what else it stops."""
    if user_id == actor.id:
        raise Invalid("You cannot block yourself.", field="id", location="path")
    accounts_services.get_user(user_id)
    if db.session.get(Block, (actor.id, user_id)) is None:
        try:
            with db.session.begin_nested():
                db.session.add(Block(blocker_id=actor.id, blocked_id=user_id))
        except IntegrityError:
            pass  # blocked concurrently: the same outcome
    signals.user_blocked.send(None, blocker_id=actor.id, blocked_id=user_id)


def unblock(actor: User, user_id: int) -> None:
    """Lift your block of a user (idempotent)."""
    accounts_services.get_user(user_id)
    db.session.execute(sa.delete(Block).where(Block.blocker_id == actor.id, Block.blocked_id == user_id))


# ---- the unread digest


def run_unread_digest(now: datetime | None = None) -> int:
    """Claim messages unread past UNREAD_NOTIFY_AFTER (never claimed before) and notify each recipient once.

    Recipients in their quiet hours are left for a later run. Return how many digests were sent.
    """
    now = now or utcnow()
    config = current_app.config
    cutoff = now - timedelta(seconds=config["UNREAD_NOTIFY_AFTER"])
    due = sa.and_(Message.read_at.is_(None), Message.notified_at.is_(None), Message.created_at <= cutoff)
    quiet = notifications_services.quiet_user_ids(select(Message.receiver_id).where(due).distinct(), now)
    claimed = _claim(due, quiet, now, config["UNREAD_DIGEST_BATCH"])
    counts: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    oldest: dict[int, datetime] = {}
    for _id, sender_id, receiver_id, created_at in claimed:
        counts[receiver_id][sender_id] += 1
        oldest[receiver_id] = min(created_at, oldest.get(receiver_id, created_at))
    names = _usernames({sender for by_sender in counts.values() for sender in by_sender})
    for receiver_id, by_sender in counts.items():
        title, body = digest_text(by_sender, names)
        data = {"by_sender": {str(sender): n for sender, n in by_sender.items()}}
        notifications_services.notify(receiver_id, "message", title, body, data)
    # A digest was due when its oldest message had waited UNREAD_NOTIFY_AFTER.
    due_after = timedelta(seconds=config["UNREAD_NOTIFY_AFTER"])
    metrics.observe_lags("digest", ((now - (created + due_after)).total_seconds() for created in oldest.values()))
    return len(counts)


def _claim(due: sa.ColumnElement, quiet: set[int], now: datetime, batch: int) -> list[sa.Row]:
    """Mark up to `batch` due messages as notified and return them; rows another worker holds are skipped."""
    candidates = select(Message.id).where(due)
    if quiet:
        candidates = candidates.where(Message.receiver_id.not_in(quiet))
    candidates = candidates.order_by(Message.created_at).limit(batch).with_for_update(skip_locked=True)
    stmt = (
        sa.update(Message)
        .where(Message.id.in_(candidates.scalar_subquery()), Message.notified_at.is_(None))
        .values(notified_at=now)
        .returning(Message.id, Message.sender_id, Message.receiver_id, Message.created_at)
        .execution_options(synchronize_session=False)
    )
    return db.session.execute(stmt).all()


def _usernames(user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    return dict(db.session.execute(select(User.id, User.username).where(User.id.in_(user_ids))).all())


def digest_text(by_sender: dict[int, int], names: dict[int, str]) -> tuple[str, str]:
    """Word a digest: "3 new messages from Coach Sam" (and how many other people wrote)."""
    total = sum(by_sender.values())
    ranked = sorted(by_sender.items(), key=lambda item: (-item[1], item[0]))
    first = names.get(ranked[0][0], "someone")
    noun = "message" if total == 1 else "messages"
    title = f"{total} new {noun} from {first}"
    others = len(ranked) - 1
    if others:
        title += f" and {others} other{'s' if others > 1 else ''}"
    body = ", ".join(f"{names.get(sender, 'someone')} ({n})" for sender, n in ranked)
    return title, body


def oldest_digest_due_at(now: datetime | None = None) -> datetime | None:
    """When the oldest message waiting for the unread digest became due for it (for the lag metric), or None."""
    now = now or utcnow()
    after = timedelta(seconds=current_app.config["UNREAD_NOTIFY_AFTER"])
    oldest = db.session.execute(
        select(sa.func.min(Message.created_at)).where(
            Message.read_at.is_(None), Message.notified_at.is_(None), Message.created_at <= now - after
        )
    ).scalar_one()
    return oldest + after if oldest is not None else None
