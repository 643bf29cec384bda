"""Credentials encryption: Fernet keys from config, rotatable (new key first, old keys still decrypt)."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from app.calendar import crypto


@pytest.fixture
def keys(app_config):
    return lambda *values: app_config.update(CALENDAR_ENCRYPTION_KEYS=",".join(values))


def test_round_trip_and_rotation(keys):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    keys(old)
    token = crypto.encrypt({"username": "alice", "password": "s3cret"})
    assert "s3cret" not in token
    keys(new, old)  # rotate: the new key first, the old one kept for reading
    assert crypto.decrypt(token) == {"username": "alice", "password": "s3cret"}
    rotated = crypto.rotate(token)
    keys(new)
    assert crypto.decrypt(rotated)["password"] == "s3cret"
    with pytest.raises(ValueError, match="cannot be decrypted"):
        crypto.decrypt(token)


def test_development_fallback_key(keys):
    keys()
    assert crypto.decrypt(crypto.encrypt({"a": 1})) == {"a": 1}
