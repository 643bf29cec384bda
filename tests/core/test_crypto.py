"""Encryption at rest: Fernet keys from config, encrypted columns, and `flask keys rotate` end to end."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken

from app.calendar.models import CalendarConnection
from app.core import crypto
from app.extensions import db
from tests.factories import make_session, make_user


@pytest.fixture
def keys(app):
    saved = app.config["ENCRYPTION_KEYS"], app.config["CALENDAR_ENCRYPTION_KEYS"]
    app.config["CALENDAR_ENCRYPTION_KEYS"] = ""
    yield lambda *values: app.config.update(ENCRYPTION_KEYS=",".join(values))
    app.config["ENCRYPTION_KEYS"], app.config["CALENDAR_ENCRYPTION_KEYS"] = saved


def test_round_trip_and_rotation_of_a_token(keys):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    keys(old)
    token = crypto.encrypt_json({"username": "alice", "password": "s3cret"})
    assert "s3cret" not in token
    keys(new, old)  # rotate: the new key first, the old one kept for reading
    assert crypto.decrypt_json(token) == {"username": "alice", "password": "s3cret"}
    rotated = crypto.rotate(token)
    keys(new)
    assert crypto.decrypt_json(rotated)["password"] == "s3cret"
    with pytest.raises(crypto.DecryptionError, match="cannot be decrypted"):
        crypto.decrypt(token)


def test_development_fallback_keys_and_the_legacy_calendar_setting(app, keys):
    keys()
    assert crypto.decrypt(crypto.encrypt("hello")) == "hello"
    legacy = Fernet.generate_key().decode()
    app.config["CALENDAR_ENCRYPTION_KEYS"] = legacy
    token = Fernet(legacy.encode()).encrypt(b"stored before")
    assert crypto.decrypt(token.decode()) == "stored before"


def _raw(table: str, column: str, key: str, pk) -> str:
    return db.session.execute(sa.text(f"SELECT {column} FROM {table} WHERE {key} = :pk"), {"pk": pk}).scalar_one()


def test_health_text_and_credentials_are_stored_encrypted(keys):
    key = Fernet.generate_key().decode()
    keys(key)
    me = make_user(bio="knee surgery in 2024", fitness_goals="lose 5 kg", birth_date=date(1990, 5, 17))
    session = make_session(me, datetime(2026, 11, 2, 8, tzinfo=UTC), notes="back pain today")
    db.session.add(CalendarConnection(user_id=me.id, provider="caldav", url="https://dav", credentials={"p": "pw"}))
    db.session.commit()
    for table, column, pk_name, pk, plain in [
        ("profiles", "bio", "user_id", me.id, "knee surgery"),
        ("profiles", "fitness_goals", "user_id", me.id, "lose 5 kg"),
        ("profiles", "birth_date", "user_id", me.id, "1990-05-17"),
        ("training_sessions", "notes", "id", session.id, "back pain"),
        ("calendar_connections", "credentials", "user_id", me.id, "pw"),
    ]:
        raw = _raw(table, column, pk_name, pk)
        assert plain not in raw
        assert plain in Fernet(key.encode()).decrypt(raw.encode()).decode()
    db.session.expire_all()
    assert me.profile.birth_date == date(1990, 5, 17) and me.profile.bio == "knee surgery in 2024"


def test_flask_keys_rotate_reencrypts_every_encrypted_column(app, keys):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    keys(old)
    me = make_user(bio="asthma", birth_date=date(1985, 1, 2))
    other = make_user(fitness_goals="run 10 km")
    session = make_session(me, datetime(2026, 11, 2, 8, tzinfo=UTC), notes="wheezing")
    db.session.add(CalendarConnection(user_id=me.id, provider="caldav", url="https://dav", credentials={"p": "pw"}))
    db.session.commit()

    keys(new, old)  # step 1: every process gets the new key first
    result = app.test_cli_runner().invoke(args=["keys", "rotate", "--batch-size", "1"])
    assert result.exit_code == 0, result.output
    assert "profiles.bio" in result.output and "training_sessions.notes: 1 re-encrypted" in result.output
    keys(new)  # step 3: the old key goes

    for table, column, pk_name, pk in [
        ("profiles", "bio", "user_id", me.id),
        ("profiles", "birth_date", "user_id", me.id),
        ("profiles", "fitness_goals", "user_id", other.id),
        ("training_sessions", "notes", "id", session.id),
        ("calendar_connections", "credentials", "user_id", me.id),
    ]:
        raw = _raw(table, column, pk_name, pk)
        Fernet(new.encode()).decrypt(raw.encode())
        with pytest.raises(InvalidToken):
            Fernet(old.encode()).decrypt(raw.encode())
    db.session.expire_all()
    assert me.profile.bio == "asthma" and me.profile.birth_date == date(1985, 1, 2)
    assert other.profile.fitness_goals == "run 10 km"
    connection = db.session.scalars(sa.select(CalendarConnection)).one()
    assert connection.credentials == {"p": "pw"}


def test_every_encrypted_column_is_found_in_the_metadata():
    found = {f"{table.name}.{column.name}" for table, column in crypto.encrypted_columns(db.metadata)}
    assert {
        "profiles.bio",
        "profiles.fitness_goals",
        "profiles.birth_date",
        "training_sessions.notes",
        "calendar_connections.credentials",
    } <= found
