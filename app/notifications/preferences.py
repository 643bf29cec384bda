"""Notification preferences: channels on or off, and quiet hours in the user's own time zone."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select

from app.accounts.models import Profile, User
from app.core.time import zone
from app.extensions import db
from app.notifications.models import NotificationPreference


def get_preferences(user_id: int) -> NotificationPreference:
    """Return the user's preferences (the defaults, unsaved, when they never set any)."""
    preference = db.session.get(NotificationPreference, user_id)
    return preference or NotificationPreference(user_id=user_id, email=True, push=True)


def update_preferences(user: User, changes: dict[str, Any]) -> NotificationPreference:
    """Apply the given fields; `quiet_hours: null` turns quiet hours off."""
    preference = db.session.get(NotificationPreference, user.id)
    if preference is None:
        preference = NotificationPreference(user_id=user.id, email=True, push=True)
        db.session.add(preference)
    for channel in ("email", "push"):
        if channel in changes:
            setattr(preference, channel, changes[channel])
    if "quiet_hours" in changes:
        quiet = changes["quiet_hours"] or {}
        preference.quiet_start, preference.quiet_end = quiet.get("start"), quiet.get("end")
    db.session.flush()
    return preference


def as_dict(preference: NotificationPreference) -> dict[str, Any]:
    """The preferences object of API.md §7."""
    quiet = None
    if preference.quiet_start is not None and preference.quiet_end is not None:
        quiet = {"start": preference.quiet_start, "end": preference.quiet_end}
    return {"email": preference.email, "push": preference.push, "quiet_hours": quiet}


def is_quiet(start: time | None, end: time | None, tz_name: str | None, now: datetime) -> bool:
    """Tell whether `now` falls in a local quiet window [start, end), which may cross midnight."""
    if start is None or end is None or start == end:
        return False
    local = now.astimezone(zone(tz_name)).time().replace(tzinfo=None)
    if start < end:
        return start <= local < end
    return local >= start or local < end


def in_quiet_hours(preference: NotificationPreference, tz_name: str | None, now: datetime) -> bool:
    """Tell whether the user is in their quiet hours at `now`."""
    return is_quiet(preference.quiet_start, preference.quiet_end, tz_name, now)


def quiet_user_ids(user_ids: sa.Select, now: datetime) -> set[int]:
    """Return which of the selected users are in their quiet hours at `now` (only those with quiet hours load)."""
    stmt = (
        select(
            NotificationPreference.user_id,
            NotificationPreference.quiet_start,
            NotificationPreference.quiet_end,
            Profile.timezone,
        )
        .outerjoin(Profile, Profile.user_id == NotificationPreference.user_id)
        .where(NotificationPreference.user_id.in_(user_ids), NotificationPreference.quiet_start.is_not(None))
    )
    return {user_id for user_id, start, end, tz in db.session.execute(stmt) if is_quiet(start, end, tz, now)}
