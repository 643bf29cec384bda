"""Celery jobs of chat: the unread-message digest that beat fires."""

from __future__ import annotations

from celery import shared_task

from app.chat import services


@shared_task(name="chat.unread_digest")
def unread_digest() -> int:
    """Notify recipients of messages left unread too long, once per message (claims make it safe to overlap)."""
    return services.run_unread_digest()
