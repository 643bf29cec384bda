"""Erasing a person: a generic sweep over every table that names them, then text and JSON scrubbing.

The sweep reads the foreign keys to `users.id` from the metadata, so a table added later is covered without
a change here: its rows are deleted (or their link set to NULL where the key says `SET NULL`) unless the
link is listed below as one that others still need. What stays points at the tombstone (the `users` row,
emptied of everything personal, and its `erasures` row). Then every text and JSON column of every table is
scrubbed of the person's email and username (notification titles, activity data, cached copies), and JSON
values that name the person by id under a person key (`user_id`, `from`, `by_sender`) are cleared.
Everything runs in one transaction: a crash rolls it all back and the job can simply run again.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select

from app.accounts.models import User
from app.core.crypto import Encrypted
from app.core.db import utcnow
from app.extensions import db

ANONYMOUS = "deleted user"
# Links to the person that others still need: the rows stay and point at the tombstone.
KEPT_LINKS = {("messages", "sender_id"), ("messages", "receiver_id"), ("comments", "user_id")}
# Things the person made that others may use (a trainer's workouts and plans, a shared project): deleted
# only when nothing of anyone else refers to them, else kept under the tombstone.
SHARED_LINKS = {("workouts", "created_by_id"), ("plans", "created_by_id"), ("projects", "owner_id")}
# Handled by the erasure itself: the tombstone, and the ledger that goes last.
OWN_TABLES = {"users", "erasures", "consents"}
# JSON keys whose value is a person's id, and keys of objects whose own keys are people's ids.
PERSON_KEYS = {"user_id", "from", "sender_id", "receiver_id", "author_id", "actor_id", "follower_id", "followee_id"}
PERSON_MAPS = {"by_sender", "by_user"}


def user_links() -> list[tuple[sa.Table, sa.Column, str | None]]:
    """Every (table, column, ondelete) whose foreign key names `users.id`, dependents first."""
    links = []
    for table in reversed(db.metadata.sorted_tables):
        for fk in table.foreign_keys:
            if fk.column.table.name == "users" and table.name not in OWN_TABLES:
                links.append((table, fk.parent, fk.ondelete))
    return links


def delete_rows(user_id: int) -> None:
    """Delete the person's rows, unlink `SET NULL` references, keep what others need."""
    for table, column, ondelete in user_links():
        link = (table.name, column.name)
        if link in KEPT_LINKS:
            continue
        mine = column == user_id
        if link in SHARED_LINKS:
            db.session.execute(sa.delete(table).where(mine, *_unreferenced(table)))
        elif (ondelete or "").upper() == "SET NULL":
            db.session.execute(sa.update(table).where(mine).values({column.name: None}))
        else:
            db.session.execute(sa.delete(table).where(mine))


def _unreferenced(table: sa.Table) -> list[sa.ColumnElement[bool]]:
    """Conditions that no row outside the table's own parts refers to a row of it."""
    conditions = []
    for other in db.metadata.sorted_tables:
        for fk in other.foreign_keys:
            if fk.column.table is not table or other is table or not _names_people(other):
                continue
            conditions.append(~sa.exists().where(fk.parent == fk.column))
    return conditions


def _names_people(table: sa.Table) -> bool:
    # A table without a link to people (workout items, plan entries) is part of what refers to it.
    return any(fk.column.table.name == "users" for fk in table.foreign_keys) or any(
        fk.column.table.name != "users" and _names_people(fk.column.table)
        for fk in table.foreign_keys
        if fk.column.table is not table and fk.parent.name != "copied_from_id"
    )


def text_columns() -> list[tuple[sa.Table, sa.Column]]:
    """Every free-text, JSON and encrypted column of every table (enums excluded: they hold fixed words)."""
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, sa.JSON | Encrypted) or (
                isinstance(column.type, sa.String) and not isinstance(column.type, sa.Enum)
            ):
                found.append((table, column))
    return found


def scrub_text(email: str, username: str) -> None:
    """Replace the email and the username (as a whole word) in every text and JSON column."""
    postgres = db.session.get_bind().dialect.name == "postgresql"
    for table, column in text_columns():
        if isinstance(column.type, Encrypted):
            _scrub_encrypted(table, column, email, username)
        elif postgres:
            _scrub_postgres(table, column, email, username)
        else:
            _scrub_portable(table, column, email, username)


def _word(value: str) -> str:
    return rf"(?<![[:alnum:]_]){re.escape(value)}(?![[:alnum:]_])"


def _scrub_postgres(table: sa.Table, column: sa.Column, email: str, username: str) -> None:
    is_json = isinstance(column.type, sa.JSON)
    as_text = sa.cast(column, sa.Text) if is_json else column
    pattern = f"{_word(email)}|{_word(username)}"
    replaced = sa.func.regexp_replace(as_text, pattern, ANONYMOUS, "gi")
    value = sa.cast(replaced, column.type) if is_json else replaced
    db.session.execute(sa.update(table).where(as_text.regexp_match(pattern, "i")).values({column.name: value}))


def _scrub_encrypted(table: sa.Table, column: sa.Column, email: str, username: str) -> None:
    # Ciphertext cannot be searched in SQL: every value is decrypted here, in batches, and rewritten if it names
    # the person (the price of encryption at rest: a pass over the column per erasure).
    (key,) = table.primary_key.columns
    pattern = re.compile(rf"(?<![\w]){re.escape(email)}(?![\w])|(?<![\w]){re.escape(username)}(?![\w])", re.I)
    stmt = select(key, column).where(column.is_not(None)).execution_options(yield_per=1000)
    changed = []
    for pk, value in db.session.execute(stmt):
        text = value if isinstance(value, str) else json.dumps(value, default=str)
        if pattern.search(text):
            changed.append((pk, _rescrubbed(value, pattern)))
    for pk, value in changed:
        db.session.execute(sa.update(table).where(key == pk).values({column.name: value}))


def _rescrubbed(value: Any, pattern: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        return pattern.sub(ANONYMOUS, value)
    return json.loads(pattern.sub(ANONYMOUS, json.dumps(value)))


def _scrub_portable(table: sa.Table, column: sa.Column, email: str, username: str) -> None:
    # SQLite has no regexp_replace: exact and lower-cased spellings are replaced (the demo database only).
    is_json = isinstance(column.type, sa.JSON)
    as_text = sa.func.json(column) if is_json else column
    value = as_text
    for needle in {email, email.lower(), username, username.lower()}:
        value = sa.func.replace(value, needle, ANONYMOUS)
    hit = sa.or_(*(as_text.contains(needle, autoescape=True) for needle in (email, username)))
    db.session.execute(sa.update(table).where(hit).values({column.name: sa.func.json(value) if is_json else value}))


def scrub_json_ids(user_id: int) -> None:
    """Clear the person's id wherever a JSON value names a person by id."""
    token = str(user_id)
    for table, column in text_columns():
        if not isinstance(column.type, sa.JSON):
            continue
        key = list(table.primary_key.columns)
        text = sa.cast(column, sa.Text)
        rows = db.session.execute(select(*key, column).where(text.contains(token))).all()
        for row in rows:
            cleaned = without_person(row[-1], user_id)
            if cleaned != row[-1]:
                where = [col == row[i] for i, col in enumerate(key)]
                db.session.execute(sa.update(table).where(*where).values({column.name: cleaned}))


def without_person(value: Any, user_id: int) -> Any:
    """Return a JSON value with every person reference to `user_id` cleared."""
    if isinstance(value, dict):
        cleaned = {}
        for key, item in value.items():
            if key in PERSON_KEYS and _same_id(item, user_id):
                cleaned[key] = None
            elif key in PERSON_MAPS and isinstance(item, dict):
                cleaned[key] = {k: v for k, v in item.items() if not _same_id(k, user_id)}
            else:
                cleaned[key] = without_person(item, user_id)
        return cleaned
    if isinstance(value, list):
        return [without_person(item, user_id) for item in value]
    return value


def _same_id(value: Any, user_id: int) -> bool:
    return str(value) == str(user_id) and not isinstance(value, bool)


def names_person(value: Any, user_id: int) -> bool:
    """Tell whether a JSON value still names the person by id under a person key (what the scan looks for)."""
    return without_person(value, user_id) != value


def tombstone(user: User) -> None:
    """Empty the account's row of everything personal; the id stays for what others still need."""
    mark = uuid.uuid4().hex[:20]
    user.email = f"erased-{mark}@erased.invalid"
    user.username = ANONYMOUS  # what messages and comments show; a name no one can register (a space)
    user.password_hash = None
    user.email_verified = False
    user.profile_image_key = user.profile_image_thumb_key = user.profile_image_upload_key = None
    user.profile_image_status = None
    user.updated_at = utcnow()
