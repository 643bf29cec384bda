"""Flask CLI commands of operations: `flask backup create|list|restore|prune`."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.core.errors import AppError
from app.ops import backups

backup_cli = AppGroup("backup", help="Database backups (pg_dump custom format in BACKUP_PATH).")


def _fail(error: AppError) -> click.ClickException:
    return click.ClickException(error.message)


@backup_cli.command("create")
def create() -> None:
    """Dump the database now."""
    try:
        backup = backups.create_backup()
    except AppError as error:
        raise _fail(error) from error
    click.echo(f"{backup.name} ({backup.size} bytes)")


@backup_cli.command("list")
def list_() -> None:
    """List the stored backups, oldest first."""
    for backup in backups.list_backups():
        click.echo(f"{backup.name}\t{backup.size}")


@backup_cli.command("restore")
@click.argument("name")
@click.option("--database-url", help="Restore into this database instead of DATABASE_URL.")
@click.option("--yes", is_flag=True, help="Confirm: the target's objects are replaced.")
def restore(name: str, database_url: str | None, yes: bool) -> None:
    """Restore a backup (into a fresh database with --database-url, the safe way)."""
    url = database_url or current_app.config["SQLALCHEMY_DATABASE_URI"]
    try:
        backups.require_confirmation(yes, url)
        backups.restore_backup(name, url)
    except AppError as error:
        raise _fail(error) from error
    click.echo(f"restored {name}")


@backup_cli.command("prune")
def prune() -> None:
    """Delete backups past BACKUP_RETENTION_DAYS (keeping the newest BACKUP_KEEP_MIN)."""
    for name in backups.prune_backups():
        click.echo(f"deleted {name}")
