"""Flask CLI groups (`flask users`, `flask seed`, `flask keys`): each domain's commands are added to them by the
factory, and each command runs in a unit of work of its own (committed when it returns, rolled back when it fails)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from app.core import crypto, unit_of_work
from app.extensions import db


def in_unit_of_work(callback: Callable[..., Any]) -> Callable[..., Any]:
    """Run a command's callback in the app context, in a unit of work begun and closed here."""

    @wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        unit = unit_of_work.begin("command")
        try:
            result = callback(*args, **kwargs)
        except BaseException:
            unit.close(db.session, commit=False)
            raise
        unit.close(db.session, commit=True)
        return result

    wrapped = with_appcontext(run)
    wrapped.in_unit_of_work = True
    return wrapped


class UnitOfWorkGroup(AppGroup):
    """A command group whose every command, declared here or added by a domain, runs `in_unit_of_work`."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        """Add a command, its callback wrapped in a unit of work."""
        if cmd.callback is not None and not getattr(cmd.callback, "in_unit_of_work", False):  # once per command
            cmd.callback = in_unit_of_work(cmd.callback)
        super().add_command(cmd, name)


users_cli = UnitOfWorkGroup("users", help="Manage users.")
seed_cli = UnitOfWorkGroup("seed", help="Load starter data (each seeder is idempotent).")
keys_cli = UnitOfWorkGroup("keys", help="Encryption keys at rest (ENCRYPTION_KEYS).")
NOT_IN_ALL = {"all", "demo"}  # `seed all` loads what every install needs; demo data only when asked for


@seed_cli.command("all")
@click.pass_context
def seed_all(ctx: click.Context) -> None:
    """Run every seeder of the `seed` group but `demo`."""
    for name, command in sorted(seed_cli.commands.items()):
        if name not in NOT_IN_ALL:
            ctx.invoke(command)


@keys_cli.command("rotate")
@click.option("--batch-size", default=500, show_default=True, help="Values re-encrypted per transaction.")
def rotate_keys(batch_size: int) -> None:
    """Re-encrypt every encrypted column under the first key of ENCRYPTION_KEYS (then old keys may go)."""
    for table, column in crypto.encrypted_columns(db.metadata):
        count = crypto.rotate_column(db.session, table, column, batch_size)
        click.echo(f"{table.name}.{column.name}: {count} re-encrypted")


def register_commands(app: Flask) -> None:
    """Attach the CLI groups to the app."""
    app.cli.add_command(users_cli)
    app.cli.add_command(seed_cli)
    app.cli.add_command(keys_cli)
