"""The response cache's process-local tier (app/core/cache_mirror.py) on a real Redis with key tracking.

A repeated hit asks Redis nothing; a bump made by another process (here: another Redis client, as another
process's `bump_versions` is), a flush, or a lost tracking connection is never answered from memory; a read
that a report overtook is not kept; the kept answers are bounded.
"""

from __future__ import annotations

import contextlib
import gc
import threading
import time
import uuid

import pytest
import redis
import sqlalchemy as sa

from app import create_app
from app.core import response_cache
from app.core.cache_mirror import CacheMirror, NoMirror
from app.core.key_tracking import KeyTracking
from app.exercises import cache as library_cache
from app.exercises.models import Exercise
from app.extensions import db
from tests.conftest import wait_for
from tests.factories import make_exercise

LIST = "/api/exercises?category=Strength"


@pytest.fixture
def headers(trainer, login):
    return login(trainer)


@pytest.fixture
def store(app):
    return redis.Redis.from_url(app.config["REDIS_URL"])


@contextlib.contextmanager
def redis_commands(app):
    """The commands the app sends to its Redis database while the block runs (Redis's MONITOR, filtered)."""
    url = app.config["REDIS_URL"]
    database = redis.Redis.from_url(url).connection_pool.connection_kwargs.get("db", 0)
    marker = f"end-{uuid.uuid4().hex}"
    seen: list[str] = []
    monitor_client, marker_client = redis.Redis.from_url(url), redis.Redis.from_url(url)
    marker_client.ping()  # connected (and its database selected) before MONITOR starts
    with monitor_client.monitor() as monitor:
        ready = threading.Event()

        def listen():
            ready.set()
            for command in monitor.listen():
                if marker in command["command"]:
                    return
                if command.get("db") == database:
                    seen.append(command["command"].split()[0].upper())

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        ready.wait()
        time.sleep(0.05)  # MONITOR is on before the block's first command
        yield seen
        marker_client.echo(marker)
        listener.join(timeout=5)


def rename(exercise_id: int, name: str) -> None:
    """Change a row behind the cache's back (no version bump), as a write that has not bumped yet."""
    db.session.execute(sa.update(Exercise).where(Exercise.id == exercise_id).values(name=name))


def names(response) -> list[str]:
    return [exercise["name"] for exercise in response.get_json()]


def test_a_repeated_hit_asks_redis_nothing(app, client, headers):
    make_exercise(name="Plank")
    first = client.get(LIST, headers=headers)
    second = client.get(LIST, headers=headers)  # read from Redis, kept
    with redis_commands(app) as seen:
        third = client.get(LIST, headers=headers)
    assert seen == []
    assert third.status_code == 200
    assert third.get_data() == second.get_data() == first.get_data()
    assert third.headers["ETag"] == first.headers["ETag"]
    assert third.headers["X-Pagination"] == first.headers["X-Pagination"]


def test_a_bump_by_another_process_is_never_answered_from_memory(app, client, headers, store):
    exercise = make_exercise(name="Plank")
    assert names(client.get(LIST, headers=headers)) == ["Plank"]
    assert names(client.get(LIST, headers=headers)) == ["Plank"]  # now kept in memory
    rename(exercise.id, "Side Plank")
    store.incr("flask_cache_" + library_cache.VERSION_KEY)  # what another web process's bump_versions sends
    with redis_commands(app) as seen:
        assert names(client.get(LIST, headers=headers)) == ["Side Plank"]
    assert "MGET" in seen  # the reported bump sent this process back to Redis


def test_a_write_in_this_process_is_seen_by_its_next_read(client, headers):
    make_exercise(name="Plank")
    client.get(LIST, headers=headers)
    client.get(LIST, headers=headers)
    new = {"name": "Goblet Squat", "category": "Strength", "difficulty_level": "Beginner"}
    assert client.post("/api/exercises", json=new, headers=headers).status_code == 201
    assert names(client.get(LIST, headers=headers)) == ["Goblet Squat", "Plank"]


def test_a_flush_forgets_every_kept_version(app, client, headers, store):
    exercise = make_exercise(name="Plank")
    client.get(LIST, headers=headers)
    client.get(LIST, headers=headers)
    rename(exercise.id, "Side Plank")
    store.flushdb()  # a Redis restarted without persistence
    assert names(client.get(LIST, headers=headers)) == ["Side Plank"]


def test_a_lost_tracking_connection_forgets_what_was_kept(app, client, headers, store):
    """Reports may have been missed while the connection was down: nothing kept before counts in a new session."""
    exercise = make_exercise(name="Plank")
    client.get(LIST, headers=headers)
    client.get(LIST, headers=headers)
    tracking = app.extensions["revocation_watch"].tracking
    tracking.RETRY_SECONDS = 0
    try:
        for tracking_client in store.client_list():
            if "t" in tracking_client["flags"]:
                store.client_kill_filter(_id=tracking_client["id"])
        wait_for(lambda: not any("t" in c["flags"] for c in store.client_list()))
        rename(exercise.id, "Side Plank")
        store.incr("flask_cache_" + library_cache.VERSION_KEY)  # its report cannot reach this process
        with redis_commands(app) as seen:
            # The connection is found lost and tracking starts again: a new session, in which the kept version
            # is forgotten and read from Redis again.
            assert names(client.get(LIST, headers=headers)) == ["Side Plank"]
            assert names(client.get(LIST, headers=headers)) == ["Side Plank"]  # kept in the new session
        assert seen.count("MGET") == 1
        assert "CLIENT" in seen  # CLIENT TRACKING ON: the new session
    finally:
        tracking.RETRY_SECONDS = type(tracking).RETRY_SECONDS


def test_a_read_overtaken_by_a_report_is_not_kept(app, store):
    tracking = KeyTracking(app.config["REDIS_URL"])
    mirror = CacheMirror(tracking, "mirror-test:version:", entries=4)
    scope = f"s{uuid.uuid4().hex[:8]}"
    store.set(f"mirror-test:version:{scope}", 1)
    version, answer, snapshot = mirror.lookup(scope, "k")
    assert (version, answer) == (None, None) and snapshot is not None
    read = int(store.get(f"mirror-test:version:{scope}"))  # the read the lookup sent us to make
    store.incr(f"mirror-test:version:{scope}")  # a bump between the read and `remember`
    wait_for(lambda: mirror.lookup("other", "k")[2] != snapshot)  # its report came in
    mirror.remember(snapshot, scope, read)
    assert mirror.lookup(scope, "k")[0] is None  # the old read was not kept

    version, _answer, snapshot = mirror.lookup(scope, "k")
    mirror.remember(snapshot, scope, 2)
    mirror.keep("k", {"version": 2, "body": b"[]"})
    assert mirror.lookup(scope, "k")[:2] == (2, {"version": 2, "body": b"[]"})
    store.incr(f"mirror-test:version:{scope}")
    wait_for(lambda: mirror.lookup(scope, "k")[0] is None)


def test_kept_answers_are_bounded_least_recently_used_first(app, store):
    mirror = CacheMirror(KeyTracking(app.config["REDIS_URL"]), "mirror-test:version:", entries=2)
    _version, _answer, snapshot = mirror.lookup("s", "a")
    mirror.remember(snapshot, "s", 7)
    for key in ("a", "b"):
        mirror.keep(key, {"version": 7, "key": key})
    assert mirror.lookup("s", "a")[1] == {"version": 7, "key": "a"}  # "a" used last: "b" goes first
    mirror.keep("c", {"version": 7, "key": "c"})
    assert [mirror.lookup("s", key)[1] for key in ("a", "b", "c")] == [
        {"version": 7, "key": "a"},
        None,
        {"version": 7, "key": "c"},
    ]
    assert mirror.lookup("s", "a")[1] is not None
    mirror.keep("a", {"version": 6, "key": "a"})  # an answer of another version is kept, never served
    assert mirror.lookup("s", "a")[1] is None


@pytest.mark.filterwarnings("ignore:Flask-Caching")
@pytest.mark.parametrize(
    "overrides", [{"CACHE_TYPE": "SimpleCache"}, {"CACHE_TYPE": "NullCache"}, {"RESPONSE_CACHE_LOCAL_ENTRIES": 0}]
)
def test_no_mirror_without_a_redis_cache_or_when_turned_off(overrides):
    other = create_app("testing", **overrides)
    assert isinstance(other.extensions[response_cache.MIRROR], NoMirror)


def test_a_redis_cache_has_a_mirror_on_the_process_key_tracking(app):
    mirror = app.extensions[response_cache.MIRROR]
    assert isinstance(mirror, CacheMirror)
    assert app.extensions["key_tracking"][app.config["CACHE_REDIS_URL"]] is app.extensions["revocation_watch"].tracking


def test_a_process_that_never_reads_opens_no_tracking_connection(app, store):
    """A worker only bumps: its mirror must not open a connection whose reports nobody would read."""
    tracking = KeyTracking(app.config["REDIS_URL"])
    mirror = CacheMirror(tracking, "mirror-test:version:", entries=4)
    tracking_clients = lambda: sum("t" in c["flags"] for c in store.client_list())  # noqa: E731
    gc.collect()  # the earlier tests' trackings (held in cycles with their mirrors) close their connections now
    before = tracking_clients()
    mirror.forget(["exercises"])
    assert tracking_clients() == before
    mirror.lookup("exercises", "k")
    assert tracking_clients() == before + 1
