"""Migrations are the schema: they match the models, and run up and down on PostgreSQL and SQLite."""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db
from config import TestingConfig


def test_models_and_migrations_agree(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations disagree; add a migration: {diff}"


def _scratch_postgres() -> str:
    url = make_url(TestingConfig.SQLALCHEMY_DATABASE_URI)
    name = f"{url.database}_migrations"
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.mark.live
@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_migrations_upgrade_downgrade_upgrade(backend, tmp_path):
    uri = _scratch_postgres() if backend == "postgresql" else f"sqlite:///{tmp_path / 'm.sqlite'}"
    scratch = create_app("testing", SQLALCHEMY_DATABASE_URI=uri)
    with scratch.app_context():
        upgrade(revision="heads")
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"users", "login_sessions", "coaching_relationships", "heartbeats"} <= tables
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade(revision="heads")
        db.engine.dispose()
