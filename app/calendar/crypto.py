"""Encrypting calendar credentials with rotatable Fernet keys (config `CALENDAR_ENCRYPTION_KEYS`)."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


def _keys() -> list[bytes]:
    configured = [k.strip() for k in current_app.config["CALENDAR_ENCRYPTION_KEYS"].split(",") if k.strip()]
    if configured:
        return [k.encode() for k in configured]
    # Development fallback: a key derived from SECRET_KEY (production sets CALENDAR_ENCRYPTION_KEYS).
    digest = hashlib.sha256(b"spotter-calendar:" + current_app.config["SECRET_KEY"].encode()).digest()
    return [base64.urlsafe_b64encode(digest)]


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in _keys()])


def encrypt(data: dict[str, Any]) -> str:
    """Encrypt a JSON object with the current (first) key."""
    return _fernet().encrypt(json.dumps(data).encode()).decode()


def decrypt(token: str) -> dict[str, Any]:
    """Decrypt with any configured key; raise ValueError when no key fits."""
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as error:
        raise ValueError("calendar credentials cannot be decrypted with the configured keys") from error


def rotate(token: str) -> str:
    """Re-encrypt a token under the current key (after a new key was put first)."""
    return _fernet().rotate(token.encode()).decode()
