"""Database backups: pg_dump's custom format into a backup target, restore with pg_restore, and retention.

The target today is a folder (`BACKUP_PATH`). `FolderTarget` has the shape of the object-storage interface
(`put_file`/`path_of`/`list`/`delete` by key): an S3 target is a class with the same four methods over the
storage interface (app/core/storage.py), chosen in `backup_target()`; nothing else changes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from flask import current_app
from sqlalchemy.engine import make_url

from app.core.columns import utcnow
from app.core.errors import AppError, Conflict, NotFound

PREFIX = "spotter-"
SUFFIX = ".dump"
STAMP = "%Y%m%dT%H%M%SZ"


class BackupError(AppError):
    """pg_dump or pg_restore failed, or the database is not PostgreSQL."""

    code = 500


@dataclass(frozen=True)
class Backup:
    """One stored dump."""

    name: str
    taken_at: datetime
    size: int


class BackupTarget(Protocol):
    """Where dumps are kept, by name."""

    def put_file(self, name: str, source: Path) -> None: ...
    def path_of(self, name: str) -> Path: ...
    def list(self) -> list[str]: ...
    def delete(self, name: str) -> None: ...


class FolderTarget:
    """Dumps as files in one folder; a dump appears whole or not at all (written aside, then renamed)."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)

    def put_file(self, name: str, source: Path) -> None:
        """Move a finished dump into the folder under `name`."""
        self.root.mkdir(parents=True, exist_ok=True)
        partial = self.root / f".{name}.partial"
        shutil.move(source, partial)
        partial.replace(self.root / name)

    def path_of(self, name: str) -> Path:
        """The local file of a stored dump (a NotFound if there is none)."""
        path = self.root / name
        if "/" in name or not path.is_file():
            raise NotFound(f"No backup named {name!r}.")
        return path

    def list(self) -> list[str]:
        """The names of the stored dumps."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.name.startswith(PREFIX) and p.name.endswith(SUFFIX))

    def delete(self, name: str) -> None:
        """Remove a stored dump."""
        self.path_of(name).unlink()


def backup_target() -> BackupTarget:
    """The configured target: the folder BACKUP_PATH."""
    return FolderTarget(current_app.config["BACKUP_PATH"])


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password (kept out of the process list) and the environment carrying it."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise BackupError("Backups need PostgreSQL (the embedded SQLite database is a file: copy it).")
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return plain, env


def _run(command: list[str], env: dict[str, str]) -> None:
    # bandit B603 (low): the argv is ours (pg_dump/pg_restore and configured URLs), no shell is involved.
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # nosec B603
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip()[-500:]}")


def _parse(name: str, size: int) -> Backup:
    taken_at = datetime.strptime(name[len(PREFIX) : -len(SUFFIX)], STAMP).replace(tzinfo=utcnow().tzinfo)
    return Backup(name=name, taken_at=taken_at, size=size)


def list_backups() -> list[Backup]:
    """The stored backups, oldest first."""
    target = backup_target()
    return [_parse(name, target.path_of(name).stat().st_size) for name in target.list()]


def create_backup(now: datetime | None = None) -> Backup:
    """Dump the database (pg_dump, custom format: compressed, restorable table by table) into the target."""
    now = now or utcnow()
    name = f"{PREFIX}{now.strftime(STAMP)}{SUFFIX}"
    url, env = _libpq(current_app.config["SQLALCHEMY_DATABASE_URI"])
    with tempfile.TemporaryDirectory(prefix="spotter-backup-") as folder:
        dump = Path(folder) / name
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(dump), url], env)
        size = dump.stat().st_size
        backup_target().put_file(name, dump)
    return Backup(name=name, taken_at=now.replace(microsecond=0), size=size)


def restore_backup(name: str, database_url: str) -> None:
    """Restore a backup into `database_url` (an empty database, or one whose objects it replaces)."""
    path = backup_target().path_of(name)
    url, env = _libpq(database_url)
    _run(
        ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--exit-on-error",
         "--single-transaction", "--dbname", url, str(path)],
        env,
    )  # fmt: skip


def prune_backups(now: datetime | None = None) -> list[str]:
    """Delete backups older than BACKUP_RETENTION_DAYS, always keeping the newest BACKUP_KEEP_MIN."""
    now = now or utcnow()
    config = current_app.config
    keep_min = max(1, config["BACKUP_KEEP_MIN"])
    cutoff = now - timedelta(days=config["BACKUP_RETENTION_DAYS"])
    backups = list_backups()
    expired = [b.name for b in backups[:-keep_min] if b.taken_at < cutoff]
    for name in expired:
        backup_target().delete(name)
    return expired


def nightly_backup(now: datetime | None = None) -> Backup:
    """Take tonight's backup unless one of this UTC day exists (a second run is the first's), then prune."""
    now = now or utcnow()
    today = f"{PREFIX}{now.strftime('%Y%m%d')}T"
    existing = [b for b in list_backups() if b.name.startswith(today)]
    backup = existing[-1] if existing else create_backup(now)
    prune_backups(now)
    return backup


def require_confirmation(confirmed: bool, database_url: str) -> None:
    """Refuse to overwrite a database unless the caller said so."""
    if not confirmed:
        target = make_url(database_url).render_as_string(hide_password=True)
        raise Conflict(f"Restoring replaces the objects of {target}: confirm with --yes.")
