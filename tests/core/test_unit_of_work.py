"""One unit of work per entry point: begun and closed in one place, carrying its mode and its callbacks."""

from __future__ import annotations

import click
from flask import Response

from app.core import unit_of_work
from app.core.cli import UnitOfWorkGroup
from app.extensions import db
from tests.factories import make_exercise


def test_a_request_begins_its_unit_of_work_and_its_answer_closes_it(app):
    with app.test_request_context("/api/exercises"):
        outer = unit_of_work.current_or_none()
        app.preprocess_request()
        unit = unit_of_work.current_unit_of_work()
        assert unit.kind == "request" and unit.outer is outer
        ran = []
        unit_of_work.after_commit(db.session, lambda: ran.append("committed"))
        app.process_response(Response(status=200))  # nothing to commit: the callback runs, the unit is gone
        assert ran == ["committed"]
        assert unit_of_work.current_or_none() is outer
        app.preprocess_request()
        make_exercise(name="Committed")
        unit_of_work.after_commit(db.session, lambda: ran.append("after the write"))
        assert ran == ["committed"]
        app.process_response(Response(status=201))
        assert ran == ["committed", "after the write"]


def test_a_failed_answer_rolls_back_and_drops_the_callbacks(app):
    with app.test_request_context("/api/exercises"):
        app.preprocess_request()
        ran = []
        make_exercise(name="Rolled Back")
        unit_of_work.after_commit(db.session, lambda: ran.append("committed"))
        app.process_response(Response(status=409))
        assert ran == []


def test_a_command_runs_in_a_unit_of_work_of_its_own(app):
    group = UnitOfWorkGroup("probe")
    seen = []

    @click.command("kind")
    def kind() -> None:
        seen.append(unit_of_work.current_unit_of_work().kind)

    group.add_command(kind)
    group.add_command(kind)  # added twice (one app per test run, several apps): wrapped once
    result = app.test_cli_runner().invoke(group, ["kind"])
    assert result.exit_code == 0, result.output
    assert seen == ["command"]


def test_the_mode_is_the_units_and_ends_with_its_first_transaction(app):
    with app.test_request_context():
        unit = unit_of_work.current_unit_of_work()
        assert unit.without_transaction is False
        unit.run_without_transaction(db.session)
        assert unit.without_transaction is True
        db.session.commit()  # (the tests' session commits its savepoint)
        assert unit.without_transaction is False
