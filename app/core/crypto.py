"""Encryption at rest: one MultiFernet over `ENCRYPTION_KEYS`, column types that use it, and key rotation.

Keys are Fernet keys (AES-128-CBC with HMAC-SHA256), comma-separated, the first one encrypting and every one
decrypting. Rotation without downtime: put a new key first everywhere (old tokens still decrypt), run
`flask keys rotate` (re-encrypts every encrypted column in batches), then drop the old key. A column is
encrypted by declaring it with `EncryptedText`, `EncryptedJSON` or `EncryptedDate`: `encrypted_columns()`
finds them in the metadata, so rotation covers a column added later without a change here.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.types import TypeDecorator

# Development fallbacks, derived from SECRET_KEY; the second is what calendar credentials used before.
FALLBACK_SALTS = (b"spotter-data:", b"spotter-calendar:")


class DecryptionError(ValueError):
    """No configured key decrypts the token."""


def configured_keys() -> list[bytes]:
    """The keys in order: ENCRYPTION_KEYS, then the legacy CALENDAR_ENCRYPTION_KEYS, else a development key."""
    config = current_app.config
    listed = f"{config.get('ENCRYPTION_KEYS', '')},{config.get('CALENDAR_ENCRYPTION_KEYS', '')}"
    keys = [key.strip().encode() for key in listed.split(",") if key.strip()]
    if keys:
        return keys
    secret = config["SECRET_KEY"].encode()
    return [base64.urlsafe_b64encode(hashlib.sha256(salt + secret).digest()) for salt in FALLBACK_SALTS]


def fernet() -> MultiFernet:
    """The MultiFernet of the configured keys."""
    return MultiFernet([Fernet(key) for key in configured_keys()])


def encrypt(plaintext: str) -> str:
    """Encrypt text with the current (first) key."""
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """Decrypt a token with any configured key (DecryptionError when none fits)."""
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise DecryptionError("the value cannot be decrypted with the configured keys") from error


def encrypt_json(data: Any) -> str:
    """Encrypt a JSON value."""
    return encrypt(json.dumps(data))


def decrypt_json(token: str) -> Any:
    """Decrypt a JSON value."""
    return json.loads(decrypt(token))


def rotate(token: str) -> str:
    """Re-encrypt a token under the current key (after a new key was put first)."""
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken as error:
        raise DecryptionError("the value cannot be decrypted with the configured keys") from error


class Encrypted(TypeDecorator):
    """A value stored as a Fernet token in a text column (not searchable or sortable in SQL)."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> str | None:
        return None if value is None else encrypt(self.to_text(value))

    def process_result_value(self, value: str | None, dialect: sa.Dialect) -> Any:
        return None if value is None else self.from_text(decrypt(value))

    def to_text(self, value: Any) -> str:
        """The plaintext stored for a value."""
        return value

    def from_text(self, text: str) -> Any:
        """The value a plaintext stands for."""
        return text


class EncryptedText(Encrypted):
    """Free text, encrypted."""

    cache_ok = True


class EncryptedJSON(Encrypted):
    """A JSON value, encrypted (assign a new value to change it: in-place mutation is not tracked)."""

    cache_ok = True

    def to_text(self, value: Any) -> str:
        return json.dumps(value)

    def from_text(self, text: str) -> Any:
        return json.loads(text)


class EncryptedDate(Encrypted):
    """A date, encrypted (stored as ISO text)."""

    cache_ok = True

    def to_text(self, value: date) -> str:
        return value.isoformat()

    def from_text(self, text: str) -> date:
        return date.fromisoformat(text)


def encrypted_columns(metadata: sa.MetaData) -> Iterator[tuple[sa.Table, sa.Column]]:
    """Every column of the metadata declared with an encrypted type."""
    for table in metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, Encrypted):
                yield table, column


def rotate_column(session: Session | scoped_session, table: sa.Table, column: sa.Column, batch: int = 500) -> int:
    """Re-encrypt one column under the current key, committing each batch; return how many values."""
    (key,) = table.primary_key.columns  # encrypted columns live on tables with a one-column key
    raw = sa.type_coerce(column, sa.Text)  # the stored token, not decrypted
    done, last = 0, None
    while True:
        stmt = sa.select(key, raw).where(raw.is_not(None)).order_by(key).limit(batch)
        if last is not None:
            stmt = stmt.where(key > last)
        rows = session.execute(stmt).all()
        if not rows:
            return done
        for pk, token in rows:
            # Bound as plain text: the new token is encrypted already and must not be encrypted again.
            session.execute(sa.update(table).where(key == pk).values({column.name: sa.literal(rotate(token), sa.Text)}))
        session.commit()
        done, last = done + len(rows), rows[-1][0]
