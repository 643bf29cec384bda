"""Periodic jobs of operations."""

from celery import shared_task

from app.ops import services


@shared_task(name="ops.heartbeat")
def heartbeat() -> None:
    """Record that beat fired and a worker ran it."""
    services.record_heartbeat()
