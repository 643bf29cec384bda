"""Celery jobs of accounts: an avatar's variants, made from its temporary upload."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError
from celery import shared_task

from app.accounts import avatars


@shared_task(
    name="accounts.make_avatar_variants", autoretry_for=(OSError, BotoCoreError), retry_backoff=True, max_retries=5
)
def make_avatar_variants(user_id: int, upload_key: str) -> str:
    """Make a pending upload's WebP variants and sweep the old ones (a rerun writes the same keys)."""
    return avatars.make_variants(user_id, upload_key)
