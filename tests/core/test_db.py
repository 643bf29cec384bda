"""Reads without a transaction (autocommit, the pooled connection transactional again after), direct reads."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta

import orjson
import pytest
import sqlalchemy as sa

from app.core.direct_sql import DirectStatement
from app.core.durability import GroupFlush, committed_before_flushed, flush_wal, wait_until_durable
from app.core.engine import open_pool
from app.core.pagination import PageChildren
from app.core.unit_of_work import after_commit, read_without_transaction
from app.exercises.models import Category, Exercise
from app.extensions import db
from app.workouts.models import WorkoutItem
from tests.conftest import sql_statements
from tests.factories import make_exercise, make_user, make_workout


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


@pytest.mark.live
def test_open_pool_opens_a_fixed_pools_connections_before_traffic(app):
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"], pool_size=3, max_overflow=0)
    try:
        assert open_pool(engine) == 3
        assert (engine.pool.checkedin(), engine.pool.checkedout()) == (3, 0)
        with engine.connect() as connection:  # traffic reuses them: nothing more is opened
            assert connection.scalar(sa.text("SELECT 1")) == 1
            assert engine.pool.checkedin() == 2
        assert engine.pool.checkedin() == 3
    finally:
        engine.dispose()
    assert open_pool(sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=sa.pool.NullPool)) == 0


# ---- reads without a transaction cost nothing until the session needs a connection


@pytest.mark.live
def test_marking_a_unit_of_work_checks_nothing_out_until_its_first_query(app):
    with app.test_request_context():
        pool = db.engine.pool
        before = pool.checkedout()
        read_without_transaction(db.session)
        assert pool.checkedout() == before  # a cache hit or a DirectStatement read never takes one through the session
        assert db.session.scalar(sa.text("SELECT 1")) == 1
        assert _autocommit() is True
        db.session.remove()


# ---- DirectStatement: SQLAlchemy's rows from the DBAPI cursor


def _probe_select() -> sa.Select:
    return (
        sa.select(Exercise.id, Exercise.name, Exercise.category, Exercise.muscles, Exercise.created_at)
        .where(Exercise.category == sa.bindparam("category"), Exercise.name.like(sa.bindparam("pattern")))
        .order_by(Exercise.name)
    )


def test_direct_rows_equal_the_sessions_rows_and_see_the_transactions_own_writes(app):
    make_exercise(name="Probe Squat", category="Strength", muscles=["quadriceps", "glutes"])
    make_exercise(name="Probe Row", category="Strength", muscles=["lats"])
    make_exercise(name="Probe Run", category="Cardio")
    params = {"category": Category.STRENGTH, "pattern": "Probe%"}
    rows = DirectStatement(_probe_select()).rows(db.session, params)  # uncommitted: read in the same transaction
    assert rows == db.session.execute(_probe_select(), params).all()
    assert [row.name for row in rows] == ["Probe Row", "Probe Squat"]
    assert rows[0].category is Category.STRENGTH and rows[0].created_at.tzinfo is not None
    assert rows[1].muscles == ["quadriceps", "glutes"]
    assert DirectStatement(_probe_select()).rows(db.session, {**params, "pattern": "None%"}) == []


def test_driver_values_keep_enums_as_their_strings_on_postgresql(app):
    make_exercise(name="Probe Plank", category="Strength")
    row = DirectStatement(_probe_select(), driver_values=True).rows(
        db.session, {"category": "Strength", "pattern": "Probe Plank"}
    )[0]
    assert type(row.category) is str and row.category == Category.STRENGTH
    assert row.created_at.utcoffset() == timedelta(0)


def test_numeric_columns_are_converted_as_the_sessions_rows_are(app):
    # A Numeric(asdecimal=False) column's processor depends on the type the driver reports: taken from the
    # cursor on the first run (with none, SQLAlchemy's psycopg dialect refused to make one).
    workout = make_workout(make_user(role="Trainer"))
    workout.items[0].weight_kg, workout.items[0].distance_m = 62.5, 400
    db.session.flush()
    stmt = sa.select(WorkoutItem.id, WorkoutItem.weight_kg, WorkoutItem.distance_m).where(
        WorkoutItem.workout_id == sa.bindparam("workout_id")
    )
    direct = DirectStatement(stmt)
    for _ in range(2):  # the first run finds the processors, the second uses them
        rows = direct.rows(db.session, {"workout_id": workout.id})
        assert rows == db.session.execute(stmt, {"workout_id": workout.id}).all()
        assert type(rows[0].weight_kg) is float and rows[0].weight_kg == 62.5
        assert type(rows[0].distance_m) is float


def test_page_children_follow_the_parents_order_whatever_the_page_length(app):
    trainer = make_user(role="Trainer")
    first, second = make_workout(trainer, exercises=[make_exercise(), make_exercise()]), make_workout(trainer)
    children = PageChildren(
        lambda _dialect: sa.select(WorkoutItem.workout_id, WorkoutItem.position).order_by(WorkoutItem.position),
        WorkoutItem.workout_id,
    )
    assert children.of([]) == []
    rows = children.of([second.id, first.id])
    assert [[row.position for row in items] for items in rows] == [[1], [1, 2]]
    assert [[row.workout_id for row in items] for items in children.of([first.id])] == [[first.id, first.id]]
    with sql_statements() as statements:
        children.of([first.id, second.id, 2**31 - 1])
    assert len(statements) == 1


@pytest.mark.live
def test_outside_a_transaction_a_direct_read_autocommits_and_gives_the_connection_back_as_it_was(app):
    # In autocommit the statement is its own transaction; after psycopg's implicit BEGIN it would start later.
    own_transaction = sa.select(sa.literal_column("xact_start = query_start", sa.Boolean).label("alone"))
    own_transaction = own_transaction.select_from(sa.text("pg_stat_activity")).where(sa.text("pid = pg_backend_pid()"))
    with app.test_request_context():
        make_exercise(name="Probe Lunge", category="Strength")
        db.session.commit()
        db.session.remove()
        rows = DirectStatement(_probe_select()).rows(db.session, {"category": "Strength", "pattern": "Probe%"})
        assert [row.name for row in rows] == ["Probe Lunge"]
        assert DirectStatement(own_transaction).rows(db.session, {})[0].alone is True
        assert not db.session().in_transaction()  # nothing began through the session: nothing to commit
        assert db.engine.pool.checkedout() == 0
        with db.engine.connect() as connection:  # the pooled connection is transactional again
            assert connection.connection.dbapi_connection.autocommit is False
            assert connection.execute(own_transaction).scalar() is False
        db.session.remove()


@pytest.mark.live
def test_a_mark_no_session_took_up_ends_with_its_request(app):
    with app.app_context():  # one app context, several requests (as a test client's requests in a test)
        with app.test_request_context():
            read_without_transaction(db.session)  # a cache hit or a direct read: no session is made
            assert not db.session.registry.has()
        with app.test_request_context():
            assert db.session.scalar(sa.text("SELECT 1")) == 1
            assert _autocommit() is False  # the next unit of work, which may write, is transactional
            db.session.remove()


# ---- DirectStatement writes: INSERT/UPDATE ... RETURNING


def _rename() -> sa.Update:
    return (
        sa.update(Exercise)
        .where(Exercise.name.like(sa.bindparam("pattern")))
        .values(
            name=Exercise.name + sa.bindparam("suffix"), updated_at=sa.bindparam("now", type_=Exercise.updated_at.type)
        )
        .returning(Exercise.id, Exercise.name, Exercise.category, Exercise.updated_at)
    )


def test_a_direct_write_returns_the_sessions_rows_inside_the_transaction(app):
    make_exercise(name="Probe Dip", category="Strength")
    params = {"pattern": "Probe Dip%", "suffix": " (ring)", "now": datetime(2026, 11, 22, 12, tzinfo=UTC)}
    rows = DirectStatement(_rename()).rows(db.session, params)
    assert [(row.name, row.category, row.updated_at) for row in rows] == [
        ("Probe Dip (ring)", Category.STRENGTH, params["now"])
    ]
    assert db.session.execute(_rename(), {**params, "suffix": "!", "pattern": "Probe Dip (ring)"}).all() == [
        (rows[0].id, "Probe Dip (ring)!", Category.STRENGTH, params["now"])
    ]


@pytest.mark.live
def test_a_direct_write_commits_at_once_only_in_a_unit_of_work_without_a_transaction(app):
    params = {"pattern": "Probe Curl%", "suffix": "+", "now": datetime(2026, 11, 22, 12, tzinfo=UTC)}
    with app.test_request_context():
        make_exercise(name="Probe Curl", category="Strength")
        db.session.commit()
        db.session.remove()
        try:
            # Unmarked: the write is the session's, and goes with its rollback.
            assert [row.name for row in DirectStatement(_rename()).rows(db.session, params)] == ["Probe Curl+"]
            assert db.session().in_transaction()
            db.session.rollback()
            db.session.remove()
            # Marked (a single-statement unit of work): committed when it returns, no session transaction.
            read_without_transaction(db.session)
            assert [row.name for row in DirectStatement(_rename()).rows(db.session, params)] == ["Probe Curl+"]
            assert not db.session.registry.has() or not db.session().in_transaction()
            assert db.engine.pool.checkedout() == 0
            with db.engine.connect() as connection:
                assert connection.scalar(sa.select(Exercise.name).where(Exercise.name.like("Probe Curl%"))) == (
                    "Probe Curl+"
                )
        finally:
            db.session.remove()
            with db.engine.begin() as connection:
                connection.execute(sa.delete(Exercise).where(Exercise.name.like("Probe Curl%")))


@pytest.mark.live
def test_after_commit_waits_for_the_transaction_but_not_in_a_unit_of_work_without_one(app):
    ran = []
    with app.test_request_context():
        after_commit(db.session, lambda: ran.append("transactional"))
        assert ran == []  # an ordinary unit of work: at its commit
        db.session.commit()
        assert ran == ["transactional"]
        db.session.remove()
    with app.test_request_context():
        read_without_transaction(db.session)  # every statement commits as it runs: nothing to wait for
        after_commit(db.session, lambda: ran.append("now"))
        assert ran == ["transactional", "now"]
        assert not db.session.registry.has()  # and no session was made to hold it
    with app.test_request_context():
        read_without_transaction(db.session)
        db.session.scalar(sa.text("SELECT 1"))  # a session with its (autocommit) connection: its commit
        after_commit(db.session, lambda: ran.append("at commit"))
        assert ran == ["transactional", "now"]
        db.session.commit()
        assert ran[-1] == "at commit"
        db.session.remove()


# ---- writes that need not wait for the disk, and waiting for it


def _synchronous_commit() -> str:
    return db.session.scalar(sa.text("SELECT current_setting('synchronous_commit')"))


def test_a_write_that_changes_rows_turns_synchronous_commit_off_for_its_own_transaction(app):
    make_exercise(name="Probe Press", category="Strength")
    params = {"pattern": "Probe Press%", "suffix": "!", "now": datetime(2026, 11, 23, 12, tzinfo=UTC)}
    unchanged = db.session.execute(committed_before_flushed(_rename()), {**params, "pattern": "Nothing%"}).all()
    assert unchanged == [] and _synchronous_commit() == "on"  # no row written: nothing to commit early
    rows = db.session.execute(committed_before_flushed(_rename()), params).all()
    assert [row.name for row in rows] == ["Probe Press!"]  # the write's own RETURNING, through the CTE
    assert _synchronous_commit() == "off"  # until this transaction ends (set_config's is_local)


@pytest.mark.live
def test_a_write_that_need_not_wait_for_the_disk_is_committed_and_visible_when_it_returns(app):
    params = {"pattern": "Probe Fly%", "suffix": "+", "now": datetime(2026, 11, 23, 12, tzinfo=UTC)}
    early = DirectStatement(_rename(), wait_for_disk=False)
    with app.test_request_context():
        make_exercise(name="Probe Fly", category="Strength")
        db.session.commit()
        db.session.remove()
        try:
            read_without_transaction(db.session)
            assert [row.name for row in early.rows(db.session, params)] == ["Probe Fly+"]
            with db.engine.connect() as connection:  # another session sees it at once
                assert connection.scalar(sa.select(Exercise.name).where(Exercise.name.like("Probe Fly%"))) == (
                    "Probe Fly+"
                )
                # The setting ended with the statement's transaction: the pooled connection commits as usual.
                assert connection.scalar(sa.text("SELECT current_setting('synchronous_commit')")) == "on"
            # Its commit did not wait for the WAL flush; waiting for it leaves every commit so far on disk.
            written_up_to = db.session.scalar(sa.text("SELECT pg_current_wal_insert_lsn()"))
            db.session.remove()
            read_without_transaction(db.session)
            wait_until_durable(db.session)
            flushed = db.session.scalar(sa.text("SELECT pg_current_wal_flush_lsn() >= :lsn"), {"lsn": written_up_to})
            assert flushed is True
        finally:
            db.session.remove()
            with db.engine.begin() as connection:
                connection.execute(sa.delete(Exercise).where(Exercise.name.like("Probe Fly%")))


def test_in_a_transaction_the_write_waits_for_the_disk_at_its_commit(app):
    make_exercise(name="Probe Pull", category="Strength")
    params = {"pattern": "Probe Pull%", "suffix": "!", "now": datetime(2026, 11, 23, 12, tzinfo=UTC)}
    rows = DirectStatement(_rename(), wait_for_disk=False).rows(db.session, params)
    assert [row.name for row in rows] == ["Probe Pull!"]
    assert _synchronous_commit() == "on"  # the transaction's commit is the usual one, which waits for the disk
    with sql_statements() as waited:
        wait_until_durable(db.session)  # so there is nothing to wait for after it: no flush runs
    assert waited == []
    with sql_statements() as flushed:
        flush_wal(db.session)  # every commit so far, by anyone: a flush runs (on a pooled connection)
    assert len(flushed) == 1 and "pg_logical_emit_message" in flushed[0]


class _Flushes:
    """A flush for `GroupFlush` that the test lets finish (or fail), recording the order of what happened."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.release: list[threading.Event] = []
        self.fail_first = False

    def __call__(self) -> None:
        number = len(self.release) + 1
        gate = threading.Event()
        self.release.append(gate)
        self.events.append(f"flush {number} began")
        gate.wait(timeout=10)
        if self.fail_first and number == 1:
            self.events.append("flush 1 failed")
            raise RuntimeError("the disk is gone")
        self.events.append(f"flush {number} done")

    def wait_for(self, count: int) -> None:
        for _ in range(1000):
            if len(self.release) >= count:
                return
            time.sleep(0.005)
        raise AssertionError(f"flush {count} never began")


def _waiter(group: GroupFlush, flushes: _Flushes, name: str, errors: list) -> threading.Thread:
    def run() -> None:
        try:
            group.wait()
            flushes.events.append(f"{name} returned")
        except RuntimeError as error:
            errors.append((name, str(error)))

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _until_waiting(group: GroupFlush, count: int) -> None:
    """Until `count` callers wait on the group's condition (CPython's `Condition` keeps its waiters' locks)."""
    for _ in range(1000):
        if len(group._changed._waiters) >= count:
            return
        time.sleep(0.005)
    raise AssertionError(f"{count} callers never waited")


def test_callers_that_ask_during_a_flush_are_served_together_by_the_next_one():
    flushes = _Flushes()
    group, errors = GroupFlush(flushes), []
    first = _waiter(group, flushes, "first", errors)
    flushes.wait_for(1)
    later = [_waiter(group, flushes, f"later {n}", errors) for n in range(3)]
    _until_waiting(group, 3)  # flush 1 began before they asked, so it cannot serve them
    flushes.release[0].set()
    first.join(timeout=5)
    flushes.wait_for(2)
    assert "later 0 returned" not in flushes.events
    flushes.release[1].set()
    for thread in later:
        thread.join(timeout=5)
    assert errors == [] and len(flushes.release) == 2  # one flush for the three of them
    assert flushes.events.index("first returned") > flushes.events.index("flush 1 done")
    for n in range(3):
        assert flushes.events.index(f"later {n} returned") > flushes.events.index("flush 2 done")


def test_a_failed_flush_fails_its_caller_and_the_others_flush_again():
    flushes = _Flushes()
    flushes.fail_first = True
    group, errors = GroupFlush(flushes), []
    first = _waiter(group, flushes, "first", errors)
    flushes.wait_for(1)
    other = _waiter(group, flushes, "other", errors)
    _until_waiting(group, 1)
    flushes.release[0].set()
    flushes.wait_for(2)
    flushes.release[1].set()
    first.join(timeout=5)
    other.join(timeout=5)
    assert errors == [("first", "the disk is gone")]
    assert flushes.events[-2:] == ["flush 2 done", "other returned"]


def test_json_columns_are_read_by_orjson_as_the_stdlib_reads_them(app):
    document = {"name": "Ünïcode ✓", "kg": 102.5, "reps": [5, 5, 3], "nested": {"ok": True, "none": None}}
    raw = db.session.connection().connection.dbapi_connection
    text = json.dumps(document)
    assert raw.execute("SELECT %s::jsonb", (text,)).fetchone()[0] == json.loads(text)
    # The witness that orjson reads them: an integer beyond 64 bits comes back a float (the stdlib keeps an int).
    # Our JSON decoder refuses such integers, so nothing stored holds one.
    assert raw.execute("SELECT '12345678901234567890123'::jsonb").fetchone()[0] == orjson.loads(
        "12345678901234567890123"
    )
    assert type(orjson.loads("12345678901234567890123")) is float
