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
def app_config(app):
    """The app's config for a test to change: every key is put back to its saved value afterwards."""
    saved = dict(app.config)
    try:
        yield app.config
    finally:
        app.config.clear()
        app.config.update(saved)


def queued_jobs(app, task_name: str) -> list[list]:
    """The positional arguments of the `task_name` jobs waiting in the test broker's default queue."""
    import base64
    import json

    broker = redis.Redis.from_url(app.config["CELERY"]["broker_url"])
    jobs = []
    for raw in broker.lrange("celery", 0, -1):
        message = json.loads(raw)
        if message["headers"]["task"] == task_name:
            args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
            jobs.append(args)
    return jobs


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


# ---- identity: the sign-in providers' stand-in and object storage (a moto S3 server or a temporary folder)


@pytest.fixture(scope="session")
def provider_keys():
    """One RSA signing key per provider, made for this test run."""
    from tests.stand_ins import new_rsa_key

    return {provider: new_rsa_key() for provider in ("google", "apple", "facebook")}


@pytest.fixture
def providers(app, provider_keys):
    """Google, Apple and Facebook stood in for by a local HTTP server; the app's provider settings point at it."""
    from tests.stand_ins import ProviderStandIn

    stand_in = ProviderStandIn(dict(provider_keys)).start()
    saved = {key: app.config[key] for key in stand_in.config()}
    app.config.update(stand_in.config())
    app.extensions.pop("oauth_key_sets", None)
    try:
        yield stand_in
    finally:
        app.config.update(saved)
        app.extensions.pop("oauth_key_sets", None)
        stand_in.stop()


@pytest.fixture(scope="session")
def moto_server():
    """A real S3 API (moto's server mode) on loopback, for the whole run."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


STORAGE_KEYS = ("STORAGE_BACKEND", "STORAGE_LOCAL_PATH", "S3_BUCKET", "S3_ENDPOINT_URL", "S3_REGION")
STORAGE_KEYS += ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "STORAGE_PUBLIC_URL")


@pytest.fixture(params=["local", "s3"])
def storage(request, app, tmp_path):
    """The app's storage on each backend: a temporary folder, then a fresh bucket on the moto server."""
    from app.core.storage import storage_from_config

    saved = {key: app.config[key] for key in STORAGE_KEYS}
    if request.param == "local":
        app.config.update(STORAGE_BACKEND="local", STORAGE_LOCAL_PATH=str(tmp_path / "media"))
    else:
        import uuid

        endpoint = request.getfixturevalue("moto_server")
        app.config.update(
            STORAGE_BACKEND="s3",
            S3_BUCKET=f"spotter-{uuid.uuid4().hex[:12]}",
            S3_ENDPOINT_URL=endpoint,
            S3_REGION="us-east-1",
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            STORAGE_PUBLIC_URL="",
        )
    store = storage_from_config(app.config)
    if request.param == "s3":
        store.client.create_bucket(Bucket=app.config["S3_BUCKET"])
    app.extensions["storage"] = store
    try:
        yield store
    finally:
        app.extensions.pop("storage", None)
        app.config.update(saved)
