"""Celery jobs of notifications: delivering notifications by email and push."""

from __future__ import annotations

from collections import Counter

from celery import shared_task

from app.notifications import services


@shared_task(name="notifications.deliver")
def deliver(notification_ids: list[int]) -> dict:
    """Deliver notifications by email and push (each claimed once: a duplicate job sends nothing)."""
    report = Counter()
    for notification_id in notification_ids:
        report.update(services.deliver(notification_id))
    return dict(report)
