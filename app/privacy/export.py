"""Building a person's data export: a ZIP streamed to a temporary file, batch by batch, then into storage.

Rows are read with a server-side cursor (`yield_per`) and written to the ZIP entry as they come, hashing as
they go, so memory stays bounded whatever the person logged. `manifest.json` lists the schema version and
each file's sha256 and row count. The person's media (avatar variants) are copied in under `media/`.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import IO, Any

import sqlalchemy as sa

from app.core.storage import Storage, StorageError
from app.extensions import db

SCHEMA_VERSION = 1
BATCH = 1000
Where = Callable[[sa.Table, int], sa.ColumnElement[bool]]


def _mine(column: str) -> Where:
    return lambda table, user_id: table.c[column] == user_id


def _either(*columns: str) -> Where:
    return lambda table, user_id: sa.or_(*(table.c[name] == user_id for name in columns))


def _via_session(table: sa.Table, user_id: int) -> sa.ColumnElement[bool]:
    sessions = db.metadata.tables["training_sessions"]
    return table.c.session_id.in_(sa.select(sessions.c.id).where(sessions.c.user_id == user_id))


# One JSON file per kind of data (API.md §10), each a table and which of its rows are the person's.
KINDS: list[tuple[str, str, Where]] = [
    ("profile", "profiles", _mine("user_id")),
    ("trainer_profile", "trainer_profiles", _mine("user_id")),
    ("sessions", "training_sessions", _mine("user_id")),
    ("session_sets", "session_sets", _via_session),
    ("measurements", "measurements", _mine("user_id")),
    ("messages", "messages", _either("sender_id", "receiver_id")),
    ("events", "events", _mine("user_id")),
    ("tasks", "tasks", _either("assignee_id", "created_by")),
    ("follows", "follows", _either("follower_id", "followee_id")),
    ("activities", "activities", _mine("user_id")),
    ("comments", "comments", _mine("user_id")),
    ("kudos", "kudos", _mine("user_id")),
    ("notifications", "notifications", _mine("user_id")),
    ("consents", "consents", _mine("user_id")),
    ("analytics_events", "analytics_events", _mine("user_id")),
]
ACCOUNT_FIELDS = ("id", "email", "username", "role", "email_verified", "created_at", "updated_at")


def plain(value: Any) -> Any:
    """A column value as JSON can hold it."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Enum):
        return value.value
    return value


class HashingWriter:
    """Write to a ZIP entry and hash what was written."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.sha256 = hashlib.sha256()

    def write(self, data: bytes) -> None:
        """Write and hash a chunk."""
        self.sha256.update(data)
        self.out.write(data)


def write_rows(archive: zipfile.ZipFile, name: str, rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Write rows as one JSON array entry, a row at a time; return its sha256 and row count."""
    count = 0
    with archive.open(name, "w", force_zip64=True) as entry:
        writer = HashingWriter(entry)
        writer.write(b"[")
        for row in rows:
            writer.write((b",\n" if count else b"\n") + json.dumps(row, default=plain).encode())
            count += 1
        writer.write(b"\n]\n")
    return {"sha256": writer.sha256.hexdigest(), "rows": count}


def table_rows(table_name: str, where: Where, user_id: int) -> Iterable[dict[str, Any]]:
    """Stream the person's rows of a table, in batches, as JSON-ready dicts."""
    table = db.metadata.tables[table_name]
    order = list(table.primary_key.columns)
    stmt = sa.select(table).where(where(table, user_id)).order_by(*order).execution_options(yield_per=BATCH)
    for row in db.session.execute(stmt).mappings():
        yield {key: plain(value) for key, value in row.items()}


def account_row(user_id: int) -> dict[str, Any]:
    """The person's account as the export shows it (no password hash)."""
    users = db.metadata.tables["users"]
    stmt = sa.select(*(users.c[name] for name in ACCOUNT_FIELDS)).where(users.c.id == user_id)
    return {key: plain(value) for key, value in db.session.execute(stmt).mappings().one().items()}


def media_keys(user_id: int) -> list[str]:
    """The stored objects that are the person's media (avatar variants)."""
    users = db.metadata.tables["users"]
    row = db.session.execute(
        sa.select(users.c.profile_image_key, users.c.profile_image_thumb_key).where(users.c.id == user_id)
    ).one()
    return [key for key in row if key]


def build(user_id: int, store: Storage, key: str) -> int:
    """Write the person's export ZIP into storage under `key`; return its size in bytes."""
    with tempfile.TemporaryFile() as spool:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            files = {"account.json": write_rows(archive, "account.json", [account_row(user_id)])}
            for kind, table_name, where in KINDS:
                name = f"{kind}.json"
                files[name] = write_rows(archive, name, table_rows(table_name, where, user_id))
            files.update(_copy_media(archive, store, media_keys(user_id)))
            manifest = {"schema_version": SCHEMA_VERSION, "user_id": user_id, "files": files}
            archive.writestr("manifest.json", json.dumps(manifest, indent=2))
        size = spool.tell()
        spool.seek(0)
        store.put_file(key, spool, "application/zip")
    return size


def _copy_media(archive: zipfile.ZipFile, store: Storage, keys: list[str]) -> dict[str, Any]:
    files = {}
    for key in keys:
        name = "media/" + key.rsplit("/", 1)[-1]
        try:
            source = store.open(key)
        except StorageError:
            continue
        with source, archive.open(name, "w", force_zip64=True) as entry:
            writer = HashingWriter(entry)
            shutil.copyfileobj(source, writer, 1024 * 1024)
        files[name] = {"sha256": writer.sha256.hexdigest()}
    return files
