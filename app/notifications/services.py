"""Notifications: storing them, pushing them to sockets, listing and marking them, delivering email and push."""

from __future__ import annotations

import logging
import smtplib
from collections import Counter
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select

from app.accounts.models import User
from app.core import mail, sockets
from app.core.columns import utcnow
from app.core.unit_of_work import after_commit
from app.extensions import db
from app.notifications import channels, devices, preferences
from app.notifications.models import Device, Notification, Platform
from app.notifications.schemas import NotificationSchema

log = logging.getLogger(__name__)

quiet_user_ids = preferences.quiet_user_ids


def notify(
    user_id: int, type: str, title: str, body: str | None = None, data: dict[str, Any] | None = None
) -> Notification:
    """Store a notification, emit `notification` to the user's room once committed, then deliver email/push."""
    return notify_many([{"user_id": user_id, "type": type, "title": title, "body": body, "data": data}])[0]


def notify_many(items: list[dict[str, Any]]) -> list[Notification]:
    """Store notifications (`user_id, type, title, body?, data?` each) in one statement; emit and deliver each."""
    if not items:
        return []
    rows = [
        {
            "user_id": item["user_id"],
            "type": item["type"],
            "title": item["title"][:200],
            "body": item.get("body"),
            "data": item.get("data") or {},
            "created_at": utcnow(),
        }
        for item in items
    ]
    notifications = list(db.session.scalars(sa.insert(Notification).returning(Notification), rows))
    schema = NotificationSchema()
    for notification in notifications:
        sockets.emit_to_user(notification.user_id, "notification", schema.dump(notification))
    ids = [notification.id for notification in notifications]
    after_commit(db.session, lambda: _enqueue_delivery(ids))
    return notifications


def on_coaching_requested(sender: Any, relationship: Any) -> None:
    """Tell the other party of a new coaching request (a `coaching_request` notification)."""
    asked_by_trainer = relationship.requested_by_id == relationship.trainer_id
    asker, other = (
        (relationship.trainer, relationship.client) if asked_by_trainer else (relationship.client, relationship.trainer)
    )
    title = (
        f"{asker.username} invites you to train with them"
        if asked_by_trainer
        else f"{asker.username} asks you to coach them"
    )
    notify(other.id, "coaching_request", title, None, {"relationship_id": relationship.id, "from": asker.id})


def _enqueue_delivery(notification_ids: list[int]) -> None:
    # Runs after the commit: a broker hiccup is logged, never turned into a failed request.
    from app.notifications import tasks

    try:
        tasks.deliver.delay(notification_ids)
    except Exception:
        log.exception("could not enqueue delivery of notifications %s", notification_ids)


# ---- the in-app list


def list_notifications(
    user: User, unread: bool | None = None, before: int | None = None, after: int | None = None, limit: int = 50
) -> list[Notification]:
    """Return the user's notifications: newest first (before=), or oldest first after an id (after=)."""
    stmt = select(Notification).where(Notification.user_id == user.id)
    if unread is not None:
        stmt = stmt.where(Notification.read_at.is_(None) if unread else Notification.read_at.is_not(None))
    if before is not None:
        stmt = stmt.where(Notification.id < before)
    if after is not None:
        stmt = stmt.where(Notification.id > after)
    stmt = stmt.order_by(Notification.id.asc() if after is not None else Notification.id.desc()).limit(limit)
    return list(db.session.execute(stmt).scalars())


def mark_read(user: User, ids: list[int] | None = None, all: bool = False) -> int:
    """Mark some (ids) or all of the user's notifications read; others' ids are ignored. Return how many."""
    stmt = sa.update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if not all:
        stmt = stmt.where(Notification.id.in_(ids or []))
    result = db.session.execute(stmt.values(read_at=utcnow()).execution_options(synchronize_session=False))
    return result.rowcount


# ---- delivery (email and push), run by a worker


def deliver(notification_id: int, now: datetime | None = None) -> Counter:
    """Send a notification by email and push as the user's preferences allow, once; return what happened.

    The claim (`delivered_at`) makes a redelivered or duplicated job send nothing. In quiet hours nothing is
    sent: the notification waits in the app. Devices the push service no longer knows are deleted.
    """
    now = now or utcnow()
    claim = (
        sa.update(Notification)
        .where(Notification.id == notification_id, Notification.delivered_at.is_(None))
        .values(delivered_at=now)
        .returning(Notification.user_id)
        .execution_options(synchronize_session=False)
    )
    user_id = db.session.execute(claim).scalar_one_or_none()
    report: Counter = Counter()
    user = db.session.get(User, user_id) if user_id is not None else None
    if user is None:
        return report
    notification = db.session.get(Notification, notification_id)
    preference = preferences.get_preferences(user.id)
    if preferences.in_quiet_hours(preference, user.timezone, now):
        report["quiet"] += 1
        return report
    if preference.email:
        report["email_" + _email(user, notification)] += 1
    if preference.push:
        for device in devices.devices_of(user.id):
            result = push(device, notification)
            if result == channels.GONE:
                devices.forget(device)
            report[f"{device.platform.value}_{result}"] += 1
    return report


def _email(user: User, notification: Notification) -> str:
    body = (notification.body or "") + "\n\nOpen Spotter to see it, or change your notification settings there.\n"
    try:
        channels.send_email(user.email, notification.title, body)
        return channels.SENT
    except (OSError, smtplib.SMTPException) as error:
        log.warning("notification email failed, retrying from a job: %s", error)
        to, subject = user.email, notification.title
        after_commit(db.session, lambda: mail.send_email_task.delay(to, subject, body))
        return channels.FAILED


def push(device: Device, notification: Notification) -> str:
    """Push one notification to one device through its platform's service."""
    data = {"type": notification.type, "notification_id": str(notification.id), "data": notification.data or {}}
    if device.platform == Platform.WEB:
        payload = {"title": notification.title, "body": notification.body or "", **data}
        return channels.send_webpush(device.token, payload)
    return channels.send_fcm(device.token, notification.title, notification.body, data)
