"""Reads without a transaction: autocommit for the read, the pooled connection transactional again after."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.core.db import read_without_transaction
from app.extensions import db


def _autocommit() -> bool:
    return db.session.connection().connection.dbapi_connection.autocommit


@pytest.mark.live
def test_a_read_only_unit_of_work_runs_without_begin_and_the_connection_comes_back_transactional(app):
    with app.test_request_context():
        read_without_transaction(db.session)
        assert _autocommit() is True
        assert db.session.scalar(sa.text("SELECT 1")) == 1
        db.session.commit()
        db.session.remove()
        assert _autocommit() is False  # the same pooled connection, reset on its way back
        db.session.execute(sa.text("CREATE TEMPORARY TABLE probe (x int)"))
        db.session.execute(sa.text("INSERT INTO probe VALUES (1)"))
        db.session.rollback()  # a real transaction: the insert, and the table, are gone
        assert db.session.scalar(sa.text("SELECT to_regclass('pg_temp.probe')")) is None
        db.session.remove()


@pytest.mark.live
def test_a_session_already_in_a_transaction_is_left_as_it_is(app):
    with app.test_request_context():
        db.session.scalar(sa.text("SELECT 1"))
        read_without_transaction(db.session)
        assert _autocommit() is False
        db.session.remove()


def test_the_tests_outer_transaction_is_left_as_it_is(app):
    read_without_transaction(db.session)
    assert _autocommit() is False
