"""Celery jobs of privacy: erasure (idempotent, safe to rerun after a crash), exports and their clean-up."""

from __future__ import annotations

from celery import shared_task

from app.extensions import db
from app.privacy import analytics, services


@shared_task(name="privacy.erase_user", acks_late=True, reject_on_worker_lost=True)
def erase_user(user_id: int) -> bool:
    """Erase a person whose erasure was asked for (a done erasure is left alone)."""
    return services.erase_user(user_id)


@shared_task(name="privacy.build_export", acks_late=True, reject_on_worker_lost=True)
def build_export(export_id: str) -> bool:
    """Build an export: marked Running (committed, so its status shows), then built, or marked Failed."""
    if not services.start_export(export_id):
        return False
    db.session.commit()
    try:
        return services.build_export(export_id)
    except Exception:
        db.session.rollback()
        services.fail_export(export_id)
        db.session.commit()
        raise


@shared_task(name="privacy.expire_exports")
def expire_exports() -> int:
    """Delete the files of expired exports (beat; bounded per run)."""
    return services.expire_exports()


@shared_task(name="privacy.materialise_analytics")
def materialise_analytics() -> dict[str, int]:
    """Record the server-side events of messages sent and sign-ups of people who consent (beat; bounded per run)."""
    return analytics.materialise_server_events()
