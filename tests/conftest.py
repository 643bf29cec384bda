"""Test fixtures: the app on real PostgreSQL and Redis, one rolled-back transaction per test."""

from __future__ import annotations

import contextlib
import os

import pytest
import redis
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy.orm import Session

from app import create_app
from app.extensions import db, limiter
from config import TestingConfig
from tests import factories


class BoundSession(Session):
    """A plain SQLAlchemy session that honours its `bind` (Flask-SQLAlchemy's ignores it)."""

    def __init__(self, db=None, **kwargs):
        super().__init__(**kwargs)


def _require_services() -> None:
    """Fail the run, loudly, when PostgreSQL or Redis is unreachable: never a silent skip."""
    url = TestingConfig.SQLALCHEMY_DATABASE_URI
    try:
        engine = sa.create_engine(url)
        with engine.connect():
            pass
        engine.dispose()
    except Exception as error:
        pytest.exit(
            f"PostgreSQL is unreachable at {url} ({type(error).__name__}: {error}).\n"
            "Start it (e.g. `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`) "
            "and create the database (`make testdb`), or set TEST_DATABASE_URL.",
            returncode=3,
        )
    try:
        redis.Redis.from_url(TestingConfig.REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        pytest.exit(
            f"Redis is unreachable at {TestingConfig.REDIS_URL} ({error}).\n"
            "Start it (e.g. `redis-server --daemonize yes --port 6379`), or set TEST_REDIS_URL.",
            returncode=3,
        )


@pytest.fixture(scope="session")
def app():
    """The app under TestingConfig with the schema built by running every migration."""
    _require_services()
    app = create_app("testing")
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(revision="heads")
        db.engine.dispose()
    return app


@pytest.fixture(autouse=True)
def _isolated(request, app):
    """Each test runs in a transaction rolled back at the end; `commit()` only releases a savepoint."""
    if request.node.get_closest_marker("live"):
        yield from _committed(app)
        return
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original = db.session
        db.session = db._make_scoped_session(
            {"class_": BoundSession, "bind": connection, "join_transaction_mode": "create_savepoint"}
        )
        _reset_redis(app)
        try:
            yield
        finally:
            db.session.remove()
            db.session = original
            transaction.rollback()
            connection.close()


def _committed(app):
    """For tests with live server processes: real commits, every table emptied afterwards."""
    with app.app_context():
        _reset_redis(app)
        try:
            yield
        finally:
            db.session.remove()
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as connection:
                connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


def _reset_redis(app) -> None:
    redis.Redis.from_url(app.config["REDIS_URL"]).flushdb()
    limiter.reset()


def pytest_configure(config):
    config.addinivalue_line("markers", "live: the test talks to server processes, so its data is really committed")
    config.addinivalue_line(
        "markers", "scaleout: the Procfile's processes behind haproxy, under faults (about a minute)"
    )
    os.environ.setdefault("SPOTTER_ENV", "testing")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def socket_client(app):
    """Open in-process Socket.IO test clients (`socket_client(token=..., query=...)`); all closed afterwards."""
    from app.extensions import socketio

    clients = []

    def _open(token: str | None = None, query: str | None = None):
        client = socketio.test_client(app, auth={"token": token} if token else None, query_string=query)
        clients.append(client)
        return client

    yield _open
    for client in clients:
        if client.is_connected():
            client.disconnect()


@pytest.fixture
def make_user():
    return factories.make_user


@pytest.fixture
def login(client):
    """Log in through the API and return the Authorization headers."""

    def _login(user, password: str = factories.PASSWORD) -> dict:
        response = client.post("/api/login", json={"email": user.email, "password": password})
        assert response.status_code == 200, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['access_token']}"}

    return _login


@pytest.fixture
def owner(make_user):
    return make_user(role="Owner")


@pytest.fixture
def trainer(make_user):
    return make_user(role="Trainer")


@pytest.fixture
def user(make_user):
    return make_user()


class _Mailbox:
    """Collects what the SMTP server receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        from email import message_from_bytes, policy

        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp_server(app):
    """A real SMTP server (aiosmtpd) on loopback; the app's mail settings point at it."""
    from aiosmtpd.controller import Controller

    mailbox = _Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    saved = {key: app.config[key] for key in ("MAIL_SERVER", "MAIL_PORT", "MAIL_BACKEND")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_BACKEND="smtp")
    try:
        yield mailbox
    finally:
        app.config.update(saved)
        controller.stop()


@pytest.fixture
def celery_worker(app):
    """A real Celery worker (in a thread of this process) consuming the test Redis broker."""
    from celery.contrib.testing.worker import start_worker

    with start_worker(app.extensions["celery"], pool="solo", perform_ping_check=False, shutdown_timeout=10) as worker:
        yield worker


def free_port() -> int:
    """Return a TCP port that is free on loopback."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05):
    """Poll until `predicate()` is truthy (returning it) or fail after `timeout` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


@contextlib.contextmanager
def sql_statements():
    """Collect the SQL statements run inside a `with sql_statements() as seen:` block."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
