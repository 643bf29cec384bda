"""Data-export bench: one person with 100,000 logged sets and 10,000 messages; peak RSS and time of the job.

    python bench/export_bench.py postgresql://postgres@127.0.0.1:5432/spotter_bench_privacy [--sets 100000]

The database is emptied and migrated, then seeded (10 sets per session, messages with a coached client).
The export job (`privacy.build_export`, the Celery task's own function) then runs in a fresh process that
has loaded the app (MIGRATIONS off, as the Procfile's worker) and every job module, as a worker does at start
(`import_default_modules`): first for a
tiny person (10 sets: the job's imports, broker and database connections), then for the big one. It prints
the RSS with the app loaded, after the tiny export, the peak, the big export's growth over the tiny one's, its
wall time and the ZIP's size. Storage is a local folder in a temporary directory.

The peak is the process's own high-water mark (`VmHWM`), not `ru_maxrss`: Linux carries `ru_maxrss` over a
fork and exec, so a child started by the seeding process reported that parent's peak (the ~207 MB of the
first runs in bench/RESULTS.md); `inherited_ru_maxrss_mb` shows it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# Production settings (read when config.py is imported): the database from the command line, Redis db 7.
os.environ.setdefault("DATABASE_URL", sys.argv[1] if len(sys.argv) > 1 else "")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/7")
os.environ.setdefault("SECRET_KEY", "bench")
os.environ.setdefault("JWT_SECRET_KEY", "bench")

import sqlalchemy as sa

from app import create_app
from app.accounts import services as accounts_services
from app.accounts.models import CoachingRelationship, CoachingStatus, Role
from app.exercises.models import Category, Difficulty, Exercise
from app.extensions import db
from app.privacy.models import DataExport
from config import database_url

BATCH = 5000


def _app(url: str, media: str, **overrides):
    return create_app(
        "production", SQLALCHEMY_DATABASE_URI=url, STORAGE_LOCAL_PATH=media, FORCE_HTTPS=False, **overrides
    )


def seed(url: str, sets: int, messages: int) -> tuple[str, str]:
    """Empty, migrate and seed the database; return the queued exports of the person and of a tiny one."""
    from flask_migrate import upgrade

    app = _app(url, tempfile.mkdtemp())
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(revision="heads")
        me = accounts_services.create_user("bench@example.com", "bench_person", "bench password 1", Role.USER)
        coach = accounts_services.create_user("coach@example.com", "bench_coach", "bench password 1", Role.TRAINER)
        db.session.add(
            CoachingRelationship(
                trainer_id=coach.id, client_id=me.id, requested_by_id=me.id, status=CoachingStatus.ACTIVE
            )
        )
        exercises = [
            Exercise(
                name=f"Bench exercise {n}",
                category=Category.STRENGTH,
                difficulty_level=Difficulty.BEGINNER,
                muscles=[],
                equipment=[],
            )
            for n in range(10)
        ]
        db.session.add_all(exercises)
        db.session.flush()
        _seed_training(me.id, [e.id for e in exercises], sets)
        _seed_messages(me.id, coach.id, messages)
        warm = accounts_services.create_user("warm@example.com", "warm_person", "bench password 1", Role.USER)
        _seed_training(warm.id, [e.id for e in exercises], 10)
        export_id, warm_id = uuid.uuid4().hex, uuid.uuid4().hex
        db.session.add_all([DataExport(id=export_id, user_id=me.id), DataExport(id=warm_id, user_id=warm.id)])
        db.session.commit()
        return export_id, warm_id


def _seed_training(user_id: int, exercise_ids: list[int], sets: int) -> None:
    sessions, session_sets = db.metadata.tables["training_sessions"], db.metadata.tables["session_sets"]
    start = datetime(2020, 1, 1, 7, tzinfo=UTC)
    count = sets // 10
    for first in range(0, count, BATCH):
        rows = [
            {
                "user_id": user_id,
                "started_at": start + timedelta(hours=12 * n),
                "notes": f"session {n}, felt ok",
                "created_at": start,
                "updated_at": start,
            }
            for n in range(first, min(first + BATCH, count))
        ]
        ids = db.session.execute(sa.insert(sessions).returning(sessions.c.id), rows).scalars().all()
        set_rows = [
            {
                "session_id": sid,
                "exercise_id": exercise_ids[k],
                "set_number": 1,
                "reps": 8 + k % 4,
                "weight_kg": 40 + k * 2.5,
            }
            for sid in ids
            for k in range(10)
        ]
        db.session.execute(sa.insert(session_sets), set_rows)


def _seed_messages(user_id: int, other_id: int, count: int) -> None:
    messages = db.metadata.tables["messages"]
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for first in range(0, count, BATCH):
        rows = [
            {
                "sender_id": user_id if n % 2 else other_id,
                "receiver_id": other_id if n % 2 else user_id,
                "content": f"message {n}: how did the session go? " * 3,
                "created_at": start + timedelta(minutes=n),
            }
            for n in range(first, min(first + BATCH, count))
        ]
        db.session.execute(sa.insert(messages), rows)


def run_job(url: str, export_id: str, warm_id: str) -> dict:
    """In this (fresh) process: load the app, run a tiny export (imports, connections), then the big one."""
    from app.privacy import tasks

    app = _app(url, tempfile.mkdtemp(), MIGRATIONS=False)  # as the Procfile's worker runs
    app.extensions["celery"].loader.import_default_modules()  # the job modules, as `celery worker` loads them
    rss_loaded = _rss_now_mb()
    assert tasks.build_export(warm_id) is True
    rss_warm = _rss_now_mb()
    started = time.perf_counter()
    assert tasks.build_export(export_id) is True
    seconds = time.perf_counter() - started
    with app.app_context():
        size = db.session.get(DataExport, export_id).size_bytes
    peak = _rss_now_mb("VmHWM:")
    return {
        "rss_app_loaded_mb": round(rss_loaded, 1),
        "rss_after_tiny_export_mb": round(rss_warm, 1),
        "peak_rss_mb": round(peak, 1),
        "big_export_growth_mb": round(peak - rss_warm, 1),
        "seconds": round(seconds, 2),
        "zip_mb": round(size / 1e6, 2),
        "inherited_ru_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _rss_now_mb(field: str = "VmRSS:") -> float:
    """This process's resident memory now (VmRSS) or at its highest (VmHWM), in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--sets", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--job", help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = database_url(args.url)
    if args.job:
        print(json.dumps(run_job(url, *args.job.split(","))))
        return
    started = time.perf_counter()
    export_id, warm_id = seed(url, args.sets, args.messages)
    print(f"seeded {args.sets} sets, {args.messages} messages in {time.perf_counter() - started:.1f} s")
    job = [sys.executable, __file__, args.url, "--job", f"{export_id},{warm_id}"]
    child = subprocess.run(job, capture_output=True, text=True)
    if child.returncode:
        sys.exit(child.stderr)
    print(child.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
