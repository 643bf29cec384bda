"""Bench seeder (`bench/prepare.py --with training`): five years of training for the bench user, 1,000,000 sets.

Shape: 4 sessions a day for 5 years (7,304 sessions); each session trains 6 of 10 barbell
exercises with 3 warm-up sets and 20 working sets (4-5 distinct weights), the working weight
climbing slowly with noise. Sessions and sets go in with COPY; the roll-ups are then built by
the very statement the API uses (`services.rebuild_rollups`). Running it again is a no-op.
Writes the bench user's id to bench/out/bench_user_id and the exercise the progress scenario
reads to bench/out/progress_exercise_id.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

OUT = Path(__file__).resolve().parent / "out"
BENCH_EMAIL = "bench@example.com"
TARGET_SETS = 1_000_000
YEARS = 5
SESSIONS_PER_DAY = 4
EXERCISES_PER_SESSION = 6
WORKING_SETS = 20
EXERCISES = [  # name, starting working weight, gain per year (kg)
    ("Back Squat", 80, 16), ("Bench Press", 60, 10), ("Deadlift", 100, 20), ("Overhead Press", 40, 6),
    ("Barbell Row", 60, 10), ("Front Squat", 60, 12), ("Romanian Deadlift", 80, 14), ("Incline Bench Press", 50, 8),
    ("Hip Thrust", 80, 20), ("Weighted Pull-Up", 5, 4),
]  # fmt: skip
PROGRESS_EXERCISE = "Back Squat"


def seed(app) -> None:
    """Load the bench user's five years of training unless they are already there."""
    from app.accounts import services as accounts_services
    from app.extensions import db

    user = accounts_services.find_user_by_email(BENCH_EMAIL)
    exercise_ids = _exercises()
    db.session.commit()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "bench_user_id").write_text(str(user.id))
    (OUT / "progress_exercise_id").write_text(str(exercise_ids[PROGRESS_EXERCISE]))
    if _set_count(user.id) >= TARGET_SETS:
        print(f"training: already seeded for user {user.id}")
        return
    began = time.monotonic()
    _clear(user.id)
    _load(user.id, exercise_ids)
    print(f"training: {_set_count(user.id):,} sets loaded for user {user.id} in {time.monotonic() - began:.0f}s")


def _exercises() -> dict[str, int]:
    """Get or create the seeded exercises by (case-insensitive) name."""
    from app.exercises.models import Category, Difficulty, Exercise
    from app.extensions import db

    ids = {}
    for name, _, _ in EXERCISES:
        exercise = db.session.scalar(sa.select(Exercise).where(sa.func.lower(Exercise.name) == name.lower()))
        if exercise is None:
            exercise = Exercise(name=name, category=Category.STRENGTH, difficulty_level=Difficulty.INTERMEDIATE)
            db.session.add(exercise)
            db.session.flush()
        ids[name] = exercise.id
    return ids


def _set_count(user_id: int) -> int:
    from app.extensions import db

    sql = "SELECT count(*) FROM session_sets s JOIN training_sessions t ON t.id = s.session_id WHERE t.user_id = :u"
    return db.session.scalar(sa.text(sql), {"u": user_id}) or 0


def _clear(user_id: int) -> None:
    from app.extensions import db

    db.session.execute(sa.text("DELETE FROM training_sessions WHERE user_id = :u"), {"u": user_id})
    db.session.commit()


def _plan(exercise_ids: dict[str, int]):
    """Yield (started_at, [(exercise_id, set_number, reps, weight)]) for every session, deterministically."""
    rng = random.Random(20261122)
    days = YEARS * 365 + YEARS // 4
    first = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days)
    for day in range(days):
        years = day / 365.25
        for slot in range(SESSIONS_PER_DAY):
            started = first + timedelta(days=day, hours=6 + slot * 4, minutes=rng.randrange(60))
            chosen = rng.sample(EXERCISES, EXERCISES_PER_SESSION)
            sets = []
            for name, base, gain in chosen:
                working = _plates(base + gain * years + rng.uniform(-5, 5))
                ramp = [(10, _plates(working * 0.4)), (5, _plates(working * 0.6)), (3, _plates(working * 0.8))]
                work = [(rng.randint(3, 8), working + rng.choice((-2.5, 0, 0, 2.5))) for _ in range(WORKING_SETS)]
                for number, (reps, weight) in enumerate(ramp + work, start=1):
                    sets.append((exercise_ids[name], number, reps, max(weight, 0)))
            yield started, sets


def _plates(kg: float) -> float:
    return max(0.0, round(kg / 2.5) * 2.5)


def _load(user_id: int, exercise_ids: dict[str, int]) -> None:
    """COPY the sessions and sets in, build the roll-ups in SQL, VACUUM ANALYZE (index-only scans need it)."""
    from app.extensions import db
    from app.training import services as training_services
    from app.training.models import TrainingSession

    plan = list(_plan(exercise_ids))
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("SELECT nextval('training_sessions_id_seq') FROM generate_series(1, %s)", (len(plan),))
        ids = [row[0] for row in cursor.fetchall()]
        now = datetime.now(UTC)
        with cursor.copy(
            "COPY training_sessions (id, user_id, started_at, ended_at, notes, created_at, updated_at) FROM STDIN"
        ) as copy:
            for sid, (started, _) in zip(ids, plan, strict=True):
                copy.write_row((sid, user_id, started, started + timedelta(minutes=75), None, now, now))
        with cursor.copy("COPY session_sets (session_id, exercise_id, set_number, reps, weight_kg) FROM STDIN") as copy:
            for sid, (_, sets) in zip(ids, plan, strict=True):
                for exercise_id, number, reps, weight in sets:
                    copy.write_row((sid, exercise_id, number, reps, weight))
        raw.commit()
    finally:
        raw.close()
    training_services.rebuild_rollups(TrainingSession.user_id == user_id)
    db.session.commit()
    with db.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(
            sa.text("VACUUM ANALYZE training_sessions, session_sets, session_exercises, rep_bests")
        )


def bench_seed(app, out) -> None:
    """bench/prepare.py hook."""
    seed(app)
