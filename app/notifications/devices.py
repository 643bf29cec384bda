"""Push devices: registering a token (idempotent, a token moves with its device), listing, removing."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.core.columns import utcnow
from app.core.errors import NotFound
from app.extensions import db
from app.notifications.models import Device, Platform


def register_device(user: User, platform: Platform, token: str) -> tuple[Device, bool]:
    """Register a push token for the user; return the device and whether it is new.

    The same token again returns the same device; a token registered by someone else moves to this user
    (the device changed hands), so a token never pushes to two accounts.
    """
    device = _by_token(token)
    if device is None:
        device = Device(user_id=user.id, platform=platform, token=token)
        try:
            with db.session.begin_nested():  # registered concurrently: use that row
                db.session.add(device)
            return device, True
        except IntegrityError:
            device = _by_token(token)
            if device is None:
                raise
    device.user_id, device.platform, device.last_seen_at = user.id, platform, utcnow()
    db.session.flush()
    return device, False


def _by_token(token: str) -> Device | None:
    return db.session.execute(select(Device).where(Device.token == token)).scalar_one_or_none()


def list_devices(user: User) -> sa.Select:
    """Select the user's devices, newest first."""
    return select(Device).where(Device.user_id == user.id).order_by(Device.id.desc())


def delete_device(user: User, device_id: int) -> None:
    """Remove one of the user's devices (someone else's is a 404)."""
    device = db.session.get(Device, device_id)
    if device is None or device.user_id != user.id:
        raise NotFound("No such device.")
    db.session.delete(device)
    db.session.flush()


def devices_of(user_id: int) -> list[Device]:
    """Return every device of a user."""
    return list(db.session.execute(select(Device).where(Device.user_id == user_id).order_by(Device.id)).scalars())


def forget(device: Device) -> None:
    """Delete a device whose token the push service no longer knows."""
    db.session.execute(sa.delete(Device).where(Device.id == device.id))
