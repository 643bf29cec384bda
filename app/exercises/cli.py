"""`flask seed exercises`: load the starter library (idempotent)."""

from __future__ import annotations

import click

from app.exercises import services
from app.extensions import db


@click.command("exercises")
@click.option("--update", is_flag=True, help="Also reset starter exercises (no creator) to the data file's facts.")
def seed_exercises(update: bool = False) -> None:
    """Load the starter exercise library; running it again changes nothing."""
    counts = services.seed_starter_library(update=update)
    db.session.commit()
    click.echo(
        f"Exercises: {counts['created']} created, {counts['updated']} updated, {counts['unchanged']} already there."
    )
