"""Backups: the restore drill (every domain filled, dumped, restored into a fresh database, compared), retention,
the nightly job, and the CLI's refusals."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
import sqlalchemy as sa
from psycopg import sql
from sqlalchemy.engine import make_url

from app import create_app
from app.accounts import services as accounts_services
from app.calendar import reminders
from app.calendar.models import CalendarConnection, Provider
from app.chat.models import Block, Message
from app.core.celery import beat_schedule
from app.core.columns import utcnow
from app.extensions import db
from app.ops import backups, tasks
from app.ops.services import record_heartbeat
from app.privacy import analytics
from tests import factories

START = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def backup_folder(app, tmp_path):
    saved = app.config["BACKUP_PATH"]
    app.config["BACKUP_PATH"] = str(tmp_path / "backups")
    yield tmp_path / "backups"
    app.config["BACKUP_PATH"] = saved


@pytest.fixture
def drill_database(app):
    """A fresh, empty database beside the test database; dropped afterwards."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    name = f"{url.database}_drill"
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield url.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def fill_every_domain(client, login, providers) -> None:
    """One or more rows in every table, made through the services and the API."""

    trainer, athlete, other = factories.make_user(role="Trainer"), factories.make_user(), factories.make_user()
    factories.make_coaching(trainer, athlete)
    exercise = factories.make_exercise(trainer)
    workout = factories.make_workout(trainer, [exercise], visibility="Public")
    plan = factories.make_plan(trainer, [(1, 1, workout)], visibility="Public")
    project = factories.make_project(trainer, members=[athlete])
    factories.make_task(project, trainer)
    factories.make_event(athlete, START, reminders=[30])
    factories.make_session(
        athlete, START - timedelta(days=900), sets=[{"exercise_id": exercise.id, "reps": 5, "weight_kg": 80}]
    )
    factories.make_measurement(athlete, "Weight", 80.5, START - timedelta(days=900))
    db.session.add_all(
        [
            Message(sender_id=trainer.id, receiver_id=athlete.id, content="hello"),
            Block(blocker_id=other.id, blocked_id=trainer.id),
            CalendarConnection(
                user_id=athlete.id, provider=Provider.CALDAV, url="http://127.0.0.1:1/", credentials="x"
            ),
        ]
    )
    record_heartbeat()
    db.session.commit()
    factories.make_event(athlete, utcnow() + timedelta(minutes=10), reminders=[30])  # due 20 minutes ago
    reminders.run()
    db.session.commit()
    trainer_headers, athlete_headers = login(trainer), login(athlete)
    assert client.post(f"/api/plans/{plan.id}/assignments", headers=trainer_headers,
                       json={"user_id": athlete.id, "start_date": "2031-03-03"}).status_code == 201  # fmt: skip
    assert (
        client.post("/api/devices", headers=athlete_headers, json={"platform": "android", "token": "t"}).status_code
        == 201
    )
    assert client.post("/api/calendar/feed-token", headers=athlete_headers).status_code == 201
    assert (
        client.put("/api/notifications/preferences", headers=athlete_headers, json={"email": False}).status_code == 200
    )
    assert client.post("/api/password/forgot", json={"email": athlete.email}).status_code in (200, 202, 204)
    coaching = client.post("/api/coaching", headers=login(other), json={"trainer_id": trainer.id})
    assert coaching.status_code == 201, coaching.get_json()
    fill_social_and_identity(client, login, providers, trainer, athlete, workout)
    fill_privacy(client, login, athlete)


def fill_privacy(client, login, athlete) -> None:
    """Consents, an analytics event they allow (and the server-side ones with the job's watermarks), a pending
    export and an erasure's tombstone."""
    headers = login(athlete)
    for kind in ("analytics", "health_data"):
        consent = client.post("/api/users/me/consents", headers=headers, json={"type": kind, "granted": True})
        assert consent.status_code in (200, 201), consent.get_json()
    event = {"name": "screen_view", "time": utcnow().isoformat(), "properties": {"screen": "plans"}}
    assert client.post("/api/analytics/events", headers=headers, json={"events": [event]}).status_code == 202
    assert analytics.materialise_server_events(utcnow() + timedelta(minutes=5))["signed_up"] == 1
    assert client.post("/api/users/me/export", headers=headers).status_code == 202
    leaving = factories.make_user()
    erased = client.delete("/api/users/me", headers=login(leaving), json={"password": factories.PASSWORD})
    assert erased.status_code == 202, erased.get_json()
    db.session.commit()


def fill_social_and_identity(client, login, providers, trainer, athlete, workout) -> None:
    """Follows, privacy, a shared workout with kudos and a comment, an announcement; a linked Google identity and
    an email verification token."""
    trainer_headers, athlete_headers = login(trainer), login(athlete)
    privacy = {"profile": "Public", "activities": "Public"}
    assert client.put("/api/users/me/privacy", headers=athlete_headers, json=privacy).status_code == 200
    assert client.post(f"/api/users/{trainer.id}/follow", headers=athlete_headers).status_code == 204
    shared = client.post(f"/api/workouts/{workout.id}/share", headers=trainer_headers, json={"caption": "Try it"})
    assert shared.status_code == 201, shared.get_json()
    activity_id = shared.get_json()["id"]
    assert client.post(f"/api/activities/{activity_id}/kudos", headers=athlete_headers).status_code == 204
    comment = client.post(f"/api/activities/{activity_id}/comments", headers=athlete_headers, json={"content": "Nice"})
    assert comment.status_code == 201, comment.get_json()
    announcement = {"title": "Deload week", "target": "clients", "send_at": (utcnow() + timedelta(days=1)).isoformat()}
    created = client.post("/api/announcements", headers=trainer_headers, json=announcement)
    assert created.status_code == 201 and created.get_json()["recipients"] == 1, created.get_json()
    claims = providers.claims("google", "drill-1", athlete.email, email_verified=True)
    link = {"provider": "google", "id_token": providers.sign("google", claims)}
    assert client.post("/api/users/me/identities", headers=athlete_headers, json=link).status_code == 201
    accounts_services.create_email_verification_token(trainer)
    db.session.commit()


def row_counts(url: str) -> dict[str, int]:
    """Rows per table of the public schema, and the migration heads."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            tables = conn.execute(
                sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
            ).scalars()
            counts = {t: conn.execute(sa.text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in list(tables)}
            heads = sorted(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())
    finally:
        engine.dispose()
    return {**counts, "alembic_version heads": heads}


@pytest.mark.live  # pg_dump sees committed rows only
def test_restore_drill_every_table_and_the_migration_heads_come_back(
    app, client, login, backup_folder, drill_database, smtp_server, providers
):
    fill_every_domain(client, login, providers)
    source = (
        make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )
    before = row_counts(source)
    empty = [table for table, count in before.items() if count == 0]
    assert empty == [], f"the drill must fill every table: {empty}"
    runner = app.test_cli_runner()
    started = time.perf_counter()
    created = runner.invoke(args=["backup", "create"])
    dumped = time.perf_counter()
    assert created.exit_code == 0, created.output
    name = created.output.split()[0]
    assert (backup_folder / name).is_file() and name.startswith("spotter-") and name.endswith(".dump")
    restored = runner.invoke(args=["backup", "restore", name, "--database-url", drill_database, "--yes"])
    finished = time.perf_counter()
    assert restored.exit_code == 0, restored.output
    assert row_counts(drill_database) == before
    print(f"restore drill: {len(before) - 1} tables, dump {dumped - started:.2f} s, restore {finished - dumped:.2f} s")


def _touch(folder, moment: datetime) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    name = f"spotter-{moment.strftime(backups.STAMP)}.dump"
    (folder / name).write_bytes(b"PGDMP")
    return name


def test_retention_deletes_old_backups_but_keeps_the_newest_few(app, backup_folder):
    now = datetime(2031, 5, 20, 3, 0, tzinfo=UTC)
    names = [_touch(backup_folder, now - timedelta(days=days)) for days in (40, 30, 20, 10, 1)]
    app.config.update(BACKUP_RETENTION_DAYS=14, BACKUP_KEEP_MIN=3)
    assert backups.prune_backups(now) == names[:2]
    assert [b.name for b in backups.list_backups()] == names[2:]  # 20 days old, yet one of the newest 3
    app.config.update(BACKUP_KEEP_MIN=1)
    assert backups.prune_backups(now) == [names[2]]
    app.config.update(BACKUP_KEEP_MIN=3)


def test_nightly_backup_runs_once_per_day_and_prunes(app, backup_folder):
    old = _touch(backup_folder, datetime.now(UTC) - timedelta(days=60))
    app.config.update(BACKUP_KEEP_MIN=1)
    try:
        first = tasks.nightly_backup.run()
        second = tasks.nightly_backup.run()
    finally:
        app.config.update(BACKUP_KEEP_MIN=3)
    assert first == second  # the second run of the day found the first's backup
    assert [b.name for b in backups.list_backups()] == [first] and old != first
    assert (backup_folder / first).read_bytes().startswith(b"PGDMP")  # pg_dump's custom format


def test_restore_needs_yes_and_an_existing_backup(app, backup_folder):
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["backup", "restore", "spotter-20310101T000000Z.dump"])
    assert refused.exit_code != 0 and "--yes" in refused.output
    missing = runner.invoke(args=["backup", "restore", "spotter-20310101T000000Z.dump", "--yes"])
    assert missing.exit_code != 0 and "No backup named" in missing.output


def test_backups_need_postgresql(tmp_path):
    sqlite_app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/x.db", BACKUP_PATH=str(tmp_path))
    with sqlite_app.app_context():  # the CLI uses the app whose context is current
        result = sqlite_app.test_cli_runner().invoke(args=["backup", "create"])
    assert result.exit_code != 0 and "need PostgreSQL" in result.output


def test_the_nightly_backup_is_on_beat_s_schedule_only_when_enabled():
    assert "nightly-backup" not in beat_schedule(create_app("testing"))
    scheduled = beat_schedule(create_app("testing", BACKUP_NIGHTLY=True, BACKUP_HOUR=4))
    entry = scheduled["nightly-backup"]
    assert entry["task"] == "ops.nightly_backup" and entry["schedule"].hour == {4}
