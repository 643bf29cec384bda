"""Scheduled announcements (PUSH-002): a trainer or an Owner tells a target something at a time.

At creation the target is resolved into one delivery row per recipient with the moment it is due for them
(one moment for all, or a local date and time of day in each recipient's own time zone). Beat claims what is
due (`run_due`, the reminders' pattern: claimed rows are marked sent in the statement that picks them, rows
another worker holds are skipped), so a delivery goes once however many workers run. Recipients in their
quiet hours are left for a later run: deferred, not dropped.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_smorest.pagination import PaginationParameters
from sqlalchemy import select

from app.accounts import services as accounts_services
from app.accounts.models import Profile, Role, User
from app.calendar import services as calendar_services
from app.core.columns import utcnow
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.pagination import paginate
from app.core.time import zone
from app.extensions import db
from app.notifications import services as notifications_services
from app.social.models import Announcement, AnnouncementDelivery, AnnouncementStatus, AnnouncementTarget
from app.workouts import services as workouts_services

Delivery = AnnouncementDelivery


def _recipients(actor: User, target: AnnouncementTarget, target_id: int | None) -> sa.Select:
    """Select the ids of a target's recipients, after checking the actor may address it."""
    is_owner = actor.role == Role.OWNER
    if target == AnnouncementTarget.EVERYONE:
        if not is_owner:
            raise Forbidden("Only an Owner may announce to everyone.")
        return select(User.id).where(User.id != actor.id)
    if target == AnnouncementTarget.CLIENTS:
        return accounts_services.active_client_ids(actor.id)
    if target == AnnouncementTarget.CLIENT:
        accounts_services.get_user(target_id)
        if not is_owner and not accounts_services.is_active_client(actor.id, target_id):
            raise Forbidden("That user is not your active client.")
        return select(sa.literal(target_id, sa.Integer))
    plan = workouts_services.get_plan(actor, target_id)  # 404 for a plan the actor may not see
    if not is_owner and plan.created_by_id != actor.id:
        raise Forbidden("You may announce only to the assignees of your own plans.")
    assignments = calendar_services.list_assignments(actor, plan_id=plan.id).subquery()
    return select(assignments.c.user_id).distinct()


def _due_at(announcement: Announcement, tz_name: str | None) -> datetime:
    if announcement.send_at is not None:
        return announcement.send_at
    local = datetime.combine(announcement.local_date, announcement.local_time, tzinfo=zone(tz_name))
    return local.astimezone(UTC)


def create(actor: User, data: dict[str, Any]) -> dict[str, Any]:
    """Schedule an announcement; 422 when its target has nobody in it or its moment has long passed."""
    if actor.role not in (Role.TRAINER, Role.OWNER):
        raise Forbidden("Only trainers and Owners make announcements.")
    recipient_ids = _recipients(actor, data["target"], data.get("target_id"))
    _check_not_past(data)
    announcement = Announcement(author_id=actor.id, **data)
    db.session.add(announcement)
    db.session.flush()
    people = select(User.id, Profile.timezone).outerjoin(Profile, Profile.user_id == User.id)
    rows = db.session.execute(people.where(User.id.in_(recipient_ids))).all()
    if not rows:
        raise Invalid("Nobody is in this target.", field="target")
    deliveries = [
        {"announcement_id": announcement.id, "user_id": uid, "due_at": _due_at(announcement, tz)} for uid, tz in rows
    ]
    db.session.execute(sa.insert(Delivery), deliveries)
    return view(announcement, len(deliveries), 0)


def _check_not_past(data: dict[str, Any]) -> None:
    now = utcnow()
    if data.get("send_at") is not None and data["send_at"] < now - timedelta(minutes=5):
        raise Invalid("Must not be in the past.", field="send_at")
    # Every zone's today is between yesterday and tomorrow in UTC.
    if data.get("local_date") is not None and data["local_date"] < (now - timedelta(days=1)).date():
        raise Invalid("Must not be in the past.", field="local_date")


def view(announcement: Announcement, recipients: int, sent: int) -> dict[str, Any]:
    """An announcement with how many recipients it has and how many it reached."""
    fields = ("id", "title", "body", "target", "target_id", "send_at", "local_date", "local_time", "status")
    return {
        **{name: getattr(announcement, name) for name in fields},
        "created_at": announcement.created_at,
        "recipients": recipients,
        "sent": sent,
    }


def _counts() -> tuple[sa.ColumnElement, sa.ColumnElement]:
    recipients = select(sa.func.count()).where(Delivery.announcement_id == Announcement.id).scalar_subquery().label("n")
    sent = (
        select(sa.func.count())
        .where(Delivery.announcement_id == Announcement.id, Delivery.sent_at.is_not(None))
        .scalar_subquery()
        .label("sent")
    )
    return recipients, sent


def list_mine(actor: User, pagination: PaginationParameters) -> list[dict[str, Any]]:
    """One page of the actor's announcements, newest first, with their delivery counts."""
    recipients, sent = _counts()
    stmt = (
        select(Announcement, recipients, sent)
        .where(Announcement.author_id == actor.id)
        .order_by(Announcement.id.desc())
    )
    return [view(row[0], row[1], row[2]) for row in paginate(stmt, pagination)]


def cancel(actor: User, announcement_id: int) -> None:
    """Cancel an announcement not yet sent to everyone: what has not gone will not (409 once all went)."""
    announcement = db.session.get(Announcement, announcement_id, with_for_update=True)
    if announcement is None or announcement.author_id != actor.id:
        raise NotFound("No such announcement.")
    if announcement.status != AnnouncementStatus.SCHEDULED:
        raise Conflict(f"This announcement is already {announcement.status.value.lower()}.")
    db.session.execute(
        sa.delete(Delivery).where(Delivery.announcement_id == announcement.id, Delivery.sent_at.is_(None))
    )
    announcement.status = AnnouncementStatus.CANCELLED
    announcement.cancelled_at = utcnow()
    db.session.flush()


# ---- beat's job


def run_due(now: datetime | None = None) -> int:
    """Claim due deliveries (not to people in quiet hours), notify each recipient once; return how many went."""
    now = now or utcnow()
    due = sa.and_(Delivery.sent_at.is_(None), Delivery.due_at <= now)
    quiet = notifications_services.quiet_user_ids(select(Delivery.user_id).where(due).distinct(), now)
    candidates = select(Delivery.announcement_id, Delivery.user_id).where(due)
    if quiet:
        candidates = candidates.where(Delivery.user_id.not_in(quiet))
    candidates = candidates.order_by(Delivery.due_at).limit(current_app.config["ANNOUNCEMENT_BATCH"])
    claim = (
        sa.update(Delivery)
        .where(
            sa.tuple_(Delivery.announcement_id, Delivery.user_id).in_(candidates.with_for_update(skip_locked=True)),
            Delivery.sent_at.is_(None),
        )
        .values(sent_at=now)
        .returning(Delivery.announcement_id, Delivery.user_id)
        .execution_options(synchronize_session=False)
    )
    claimed = db.session.execute(claim).all()
    if not claimed:
        return 0
    _notify(claimed)
    _mark_finished({announcement_id for announcement_id, _ in claimed})
    return len(claimed)


def _notify(claimed: list[sa.Row]) -> None:
    by_announcement: dict[int, list[int]] = defaultdict(list)
    for announcement_id, user_id in claimed:
        by_announcement[announcement_id].append(user_id)
    texts = db.session.execute(
        select(Announcement.id, Announcement.title, Announcement.body).where(Announcement.id.in_(by_announcement))
    ).all()
    items, keys = [], []
    for announcement_id, title, body in texts:
        for user_id in by_announcement[announcement_id]:
            items.append(
                {
                    "user_id": user_id,
                    "type": "announcement",
                    "title": title,
                    "body": body,
                    "data": {"announcement_id": announcement_id},
                }
            )
            keys.append((announcement_id, user_id))
    notifications = notifications_services.notify_many(items)
    records = [
        {"announcement_id": a, "user_id": u, "notification_id": n.id}
        for (a, u), n in zip(keys, notifications, strict=True)
    ]
    db.session.execute(sa.update(Delivery), records)  # by primary key: what each recipient was sent


def _mark_finished(announcement_ids: set[int]) -> None:
    unsent = select(Delivery.announcement_id).where(
        Delivery.announcement_id == Announcement.id, Delivery.sent_at.is_(None)
    )
    db.session.execute(
        sa.update(Announcement)
        .where(
            Announcement.id.in_(announcement_ids), Announcement.status == AnnouncementStatus.SCHEDULED, ~unsent.exists()
        )
        .values(status=AnnouncementStatus.SENT)
        .execution_options(synchronize_session=False)
    )
