"""`flask users create-owner`: the first platform Owner, made from the command line."""

from __future__ import annotations

import click
import marshmallow as ma

from app.accounts import schemas, services
from app.core.errors import AppError
from app.extensions import db


@click.command("create-owner")
@click.option("--email", required=True)
@click.option("--username", required=True)
@click.option("--password", required=True)
def create_owner(email: str, username: str, password: str) -> None:
    """Create a platform Owner account."""
    try:
        data = schemas.RegisterSchema().load({"email": email, "username": username, "password": password})
        user = services.create_owner(data["email"], data["username"], data["password"])
        db.session.commit()
    except ma.ValidationError as error:
        raise click.ClickException(f"invalid input: {error.messages}") from error
    except AppError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    click.echo(f"Owner {user.username} <{user.email}> created with id {user.id}.")
