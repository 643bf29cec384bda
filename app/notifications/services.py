"""Creating in-app notifications and pushing them to the user's sockets after commit."""

from __future__ import annotations

from typing import Any

from app.core import sockets
from app.extensions import db
from app.notifications.models import Notification
from app.notifications.schemas import NotificationSchema


def notify(
    user_id: int, type: str, title: str, body: str | None = None, data: dict[str, Any] | None = None
) -> Notification:
    """Store a notification for a user and emit `notification` to their room once committed."""
    notification = Notification(user_id=user_id, type=type, title=title[:200], body=body, data=data or {})
    db.session.add(notification)
    db.session.flush()
    sockets.emit_to_user(user_id, "notification", NotificationSchema().dump(notification))
    return notification
