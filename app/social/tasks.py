"""Celery jobs of social: the scheduled announcements that beat sends when due."""

from __future__ import annotations

from celery import shared_task

from app.social import announcements


@shared_task(name="social.send_announcements")
def send_announcements() -> int:
    """Send the announcement deliveries that are due, once each (claims make overlapping runs safe)."""
    return announcements.run_due()
