"""Periodic jobs of operations."""

from celery import shared_task

from app.ops import backups, services


@shared_task(name="ops.heartbeat")
def heartbeat() -> None:
    """Record that beat fired and a worker ran it."""
    services.record_heartbeat()


@shared_task(name="ops.nightly_backup")
def nightly_backup() -> str:
    """Take the night's database backup (once per UTC day) and apply retention."""
    return backups.nightly_backup().name
