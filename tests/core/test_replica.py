"""Read paths on a real streaming replica: read-your-writes by WAL position, fallback when it is down or behind.

The test builds its own primary (initdb) and standby (pg_basebackup -R) on free loopback ports, never the
machine's cluster, and pauses replay (`pg_wal_replay_pause()`) to make the replica's lag deterministic.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from flask_migrate import upgrade
from prometheus_client.parser import text_string_to_metric_families

from app import create_app
from app.core.replica import parse_lsn
from config import database_url
from tests import factories
from tests.conftest import wait_for
from tests.pg_cluster import Cluster

pytestmark = pytest.mark.live  # a replica sees committed rows only

EVENTS = "/api/events?from=2031-03-01T00:00:00Z&to=2031-03-31T00:00:00Z"


@pytest.fixture(scope="module")
def clusters():
    root = Path(tempfile.mkdtemp(prefix="spotter-replica-"))
    primary = replica = None
    try:
        primary = Cluster.primary(root / "primary")
        primary.execute("CREATE DATABASE spotter")
        replica = primary.replica(root / "replica")
        yield primary, replica
    finally:
        for cluster in (replica, primary):
            if cluster is not None:
                cluster.destroy()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def replica_app(clusters):
    primary, replica = clusters
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=database_url(primary.url("spotter")),
        SQLALCHEMY_REPLICA_URI=database_url(replica.url("spotter")),
        REPLICA_RETRY_SECONDS=0,
    )
    with app.app_context():
        upgrade(revision="heads")
    return app


@pytest.fixture
def ctx(replica_app, clusters):
    """The replica app's context, a client, two logged-in users; replay resumed and caught up afterwards."""
    _primary, replica = clusters
    with replica_app.app_context():
        client = replica_app.test_client()
        trainer, reader = factories.make_user(role="Trainer"), factories.make_user()

        def login(user):
            body = client.post("/api/login", json={"email": user.email, "password": factories.PASSWORD}).get_json()
            return {"Authorization": f"Bearer {body['access_token']}"}

        reader_headers = login(reader)
        # A write of the reader's own: from now on its reads wait for that position, not for anyone's last write.
        assert (
            client.patch(f"/api/users/{reader.id}", headers=reader_headers, json={"profile": {"bio": "hi"}}).status_code
            == 200
        )
        yield client, login(trainer), reader_headers
        replica.execute("SELECT pg_wal_replay_resume()")


def caught_up(primary: Cluster, replica: Cluster) -> None:
    """Wait until the replica has replayed everything the primary wrote so far."""
    target = parse_lsn(primary.execute("SELECT pg_current_wal_insert_lsn()::text"))
    wait_for(lambda: parse_lsn(replica.execute("SELECT pg_last_wal_replay_lsn()::text")) >= target, timeout=30)


def pause(primary: Cluster, replica: Cluster) -> None:
    caught_up(primary, replica)
    replica.execute("SELECT pg_wal_replay_pause()")
    wait_for(lambda: replica.execute("SELECT pg_get_wal_replay_pause_state()") == "paused")


def new_exercise(client, headers, name: str) -> int:
    response = client.post("/api/exercises", headers=headers, json={"name": name, "category": "Strength",
                                                                     "difficulty_level": "Beginner"})  # fmt: skip
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_parse_lsn_orders_positions():
    assert parse_lsn("0/16B3748") < parse_lsn("0/16B3750") < parse_lsn("1/0") < parse_lsn("16/B374D848")


def test_a_writer_reads_its_own_write_while_the_library_still_reads_from_the_lagging_replica(ctx, clusters):
    client, writer, reader = ctx
    pause(*clusters)
    exercise_id = new_exercise(client, writer, "Paused press")
    # The reader wrote nothing since the replica caught up: the library is read from the replica, which has not
    # replayed the insert yet (and an answer read there is not cached).
    assert client.get(f"/api/exercises/{exercise_id}", headers=reader).status_code == 404
    assert client.get("/api/exercises?q=Paused", headers=reader).get_json() == []
    # The writer's position is past the replica's replay: its reads go to the primary.
    assert client.get(f"/api/exercises/{exercise_id}", headers=writer).status_code == 200
    assert [e["name"] for e in client.get("/api/exercises?q=Paused", headers=writer).get_json()] == ["Paused press"]
    clusters[1].execute("SELECT pg_wal_replay_resume()")
    caught_up(*clusters)
    assert client.get(f"/api/exercises/{exercise_id}", headers=reader).status_code == 200


def test_the_feed_reads_from_the_replica_and_its_writer_from_the_primary(ctx, clusters):
    client, writer, reader = ctx
    writer_id = client.get("/api/users/me", headers=writer).get_json()["id"]
    assert client.post(f"/api/users/{writer_id}/follow", headers=reader).status_code in (200, 201, 204)
    item = {"exercise_id": new_exercise(client, writer, "Replica row"), "position": 1, "sets": 3, "reps": 8}
    workout = client.post("/api/workouts", headers=writer, json={"title": "Replica day", "items": [item]})
    assert workout.status_code == 201, workout.get_json()
    pause(*clusters)
    shared = client.post(
        f"/api/workouts/{workout.get_json()['id']}/share", headers=writer, json={"visibility": "Public"}
    )
    assert shared.status_code in (200, 201), shared.get_json()
    assert client.get("/api/feed", headers=reader).get_json() == []  # the replica has not replayed the share yet
    assert [a["type"] for a in client.get("/api/feed", headers=writer).get_json()] == ["workout_shared"]  # primary
    clusters[1].execute("SELECT pg_wal_replay_resume()")
    caught_up(*clusters)
    assert [a["type"] for a in client.get("/api/feed", headers=reader).get_json()] == ["workout_shared"]


def test_a_put_then_get_shows_the_new_value(ctx, clusters):
    client, _writer, reader = ctx
    created = client.post("/api/events", headers=reader, json={"title": "Leg day", "start_time": "2031-03-04T09:00:00Z",
                                                                "end_time": "2031-03-04T10:00:00Z"})  # fmt: skip
    assert created.status_code == 201
    event_id = created.get_json()["id"]
    pause(*clusters)
    updated = client.put(f"/api/events/{event_id}", headers=reader, json={"title": "Heavy leg day",
                         "start_time": "2031-03-04T09:00:00Z", "end_time": "2031-03-04T10:00:00Z"})  # fmt: skip
    assert updated.status_code == 200
    titles = [occurrence["title"] for occurrence in client.get(EVENTS, headers=reader).get_json()]
    assert titles == ["Heavy leg day"]  # from the primary: the replica still has "Leg day"
    replica_title = clusters[1].execute(f"SELECT title FROM events WHERE id = {event_id}", "spotter")
    assert replica_title == "Leg day"


def test_reads_fall_back_to_the_primary_when_the_replica_is_down(ctx, clusters):
    client, writer, reader = ctx
    exercise_id = new_exercise(client, writer, "Fallback row")
    caught_up(*clusters)
    clusters[1].stop()
    try:
        assert client.get(f"/api/exercises/{exercise_id}", headers=reader).status_code == 200
        assert client.get(EVENTS, headers=reader).status_code == 200
    finally:
        clusters[1].start()


def test_replica_lag_is_a_metric(ctx, clusters):
    client, writer, _reader = ctx

    def lag() -> float:
        text = client.get("/metrics").get_data(as_text=True)
        samples = {s.name: s.value for f in text_string_to_metric_families(text) for s in f.samples}
        return samples["spotter_db_replica_lag_seconds"]

    caught_up(*clusters)
    assert lag() == 0
    pause(*clusters)
    new_exercise(client, writer, "Lagging row")
    wait_for(lambda: lag() > 0, timeout=15)
