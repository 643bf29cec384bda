"""Flask CLI groups (`flask users`, `flask seed`): each domain's commands are added to them by the factory."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

users_cli = AppGroup("users", help="Manage users.")
seed_cli = AppGroup("seed", help="Load starter data (each seeder is idempotent).")
NOT_IN_ALL = {"all", "demo"}  # `seed all` loads what every install needs; demo data only when asked for


@seed_cli.command("all")
@click.pass_context
def seed_all(ctx: click.Context) -> None:
    """Run every seeder of the `seed` group but `demo`."""
    for name, command in sorted(seed_cli.commands.items()):
        if name not in NOT_IN_ALL:
            ctx.invoke(command)


def register_commands(app: Flask) -> None:
    """Attach the CLI groups to the app."""
    app.cli.add_command(users_cli)
    app.cli.add_command(seed_cli)
