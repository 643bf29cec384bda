"""Flask CLI commands: `flask users create-owner`, the `flask seed` group, `flask keys rotate`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app.core import crypto
from app.core.errors import AppError
from app.extensions import db

users_cli = AppGroup("users", help="Manage users.")
seed_cli = AppGroup("seed", help="Load starter data (each seeder is idempotent).")
keys_cli = AppGroup("keys", help="Encryption keys at rest (ENCRYPTION_KEYS).")
NOT_IN_ALL = {"all", "demo"}  # `seed all` loads what every install needs; demo data only when asked for


@seed_cli.command("all")
@click.pass_context
def seed_all(ctx: click.Context) -> None:
    """Run every seeder of the `seed` group but `demo`."""
    for name, command in sorted(seed_cli.commands.items()):
        if name not in NOT_IN_ALL:
            ctx.invoke(command)


@users_cli.command("create-owner")
@click.option("--email", required=True)
@click.option("--username", required=True)
@click.option("--password", required=True)
def create_owner(email: str, username: str, password: str) -> None:
    """Create a platform Owner account."""
    import marshmallow as ma

    from app.accounts import schemas
    from app.accounts import services as accounts_services

    try:
        data = schemas.RegisterSchema().load({"email": email, "username": username, "password": password})
        user = accounts_services.create_owner(data["email"], data["username"], data["password"])
        db.session.commit()
    except ma.ValidationError as error:
        raise click.ClickException(f"invalid input: {error.messages}") from error
    except AppError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    click.echo(f"Owner {user.username} <{user.email}> created with id {user.id}.")


@keys_cli.command("rotate")
@click.option("--batch-size", default=500, show_default=True, help="Values re-encrypted per transaction.")
def rotate_keys(batch_size: int) -> None:
    """Re-encrypt every encrypted column under the first key of ENCRYPTION_KEYS (then old keys may go)."""
    for table, column in crypto.encrypted_columns(db.metadata):
        count = crypto.rotate_column(db.session, table, column, batch_size)
        click.echo(f"{table.name}.{column.name}: {count} re-encrypted")


def register_commands(app: Flask) -> None:
    """Attach the CLI groups to the app."""
    from app.exercises import cli as exercises_cli  # noqa: F401 - adds `flask seed exercises`
    from app.ops import demo  # noqa: F401 - adds `flask seed demo`

    app.cli.add_command(users_cli)
    app.cli.add_command(seed_cli)
    app.cli.add_command(keys_cli)
