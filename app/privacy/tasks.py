"""Celery jobs of privacy: running an erasure (idempotent, safe to rerun after a crash)."""

from __future__ import annotations

from celery import shared_task

from app.privacy import services


@shared_task(name="privacy.erase_user", acks_late=True, reject_on_worker_lost=True)
def erase_user(user_id: int) -> bool:
    """Erase a person whose erasure was asked for (a done erasure is left alone)."""
    return services.erase_user(user_id)
