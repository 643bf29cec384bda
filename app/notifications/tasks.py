"""Celery jobs of notifications: delivering one notification by email and push."""

from __future__ import annotations

from celery import shared_task

from app.notifications import services


@shared_task(name="notifications.deliver")
def deliver(notification_id: int) -> dict:
    """Deliver a notification by email and push (claimed once: a duplicate job sends nothing)."""
    return dict(services.deliver(notification_id))
