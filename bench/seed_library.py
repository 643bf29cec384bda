"""Fill a database for the library benchmarks: 2,000 exercises, 5,000 workouts of 8 items, one trainer.

Usage:
    python bench/seed_library.py postgresql://postgres@127.0.0.1:5432/spotter_bench [--reset]
    BENCH_DATABASE_URL=... python bench/seed_library.py

The schema is brought to the migrations' heads first. The exercises are the starter library
(873 real ones, as `flask seed exercises` loads them) plus numbered variations of them up to
2,000, so `q=press` and the category filters meet realistic data. Rows go in with bulk
INSERTs through the app's models; `--reset` empties the library tables (and the bench
trainer) first, otherwise a database that already holds exercises is refused.
Prints the trainer's credentials and a few ids the load harness can use. With REDIS_URL set,
the library version in that Redis is bumped so the servers' cached answers go stale.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa

N_EXERCISES = 2000
N_WORKOUTS = 5000
ITEMS_PER_WORKOUT = 8
TRAINER_EMAIL = "bench-trainer@example.com"
TRAINER_USERNAME = "bench_trainer"
PASSWORD = "correct horse battery"
VISIBILITIES = ("Public", "Clients", "Private")  # cycled over the workouts


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url", nargs="?", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--reset", action="store_true", help="empty the library tables first")
    args = parser.parse_args()
    if not args.database_url:
        parser.error("give a database URL (argument or BENCH_DATABASE_URL)")
    return args


def exercise_rows(trainer_id: int) -> list[dict]:
    """The starter library, then numbered variations of it, up to N_EXERCISES rows."""
    from app.core.columns import utcnow
    from app.exercises.models import fold, search_text_for
    from app.exercises.starter import starter_exercises

    base = list(starter_exercises())
    now = utcnow()
    rows = []
    for n in range(N_EXERCISES):
        fields = dict(base[n % len(base)])
        if n >= len(base):
            fields["name"] = f"{fields['name']} (variation {n // len(base)})"
        rows.append(
            {
                **fields,
                "name_key": fold(fields["name"])[:120],
                "search_text": search_text_for(fields["name"], fields["description"]),
                "created_by_id": trainer_id if n % 4 == 0 else None,
                "created_at": now - timedelta(seconds=N_EXERCISES - n),
                "updated_at": now,
            }
        )
    return rows


def insert_workouts(trainer_id: int, exercise_ids: list[int]) -> list[int]:
    """Insert the workouts and their items in batches; return the workout ids."""
    from app.core.columns import utcnow
    from app.extensions import db
    from app.workouts.models import Visibility, Workout, WorkoutItem

    rng = random.Random(20261122)
    now = utcnow()
    workout_rows = [
        {
            "title": f"Workout {n:04d} {rng.choice(['push', 'pull', 'legs', 'full body', 'conditioning'])}",
            "description": "Generated for the benchmark.",
            "visibility": Visibility(VISIBILITIES[n % len(VISIBILITIES)]),
            "created_by_id": trainer_id,
            "created_at": now - timedelta(minutes=N_WORKOUTS - n),
            "updated_at": now,
        }
        for n in range(N_WORKOUTS)
    ]
    workout_ids = list(
        db.session.scalars(sa.insert(Workout).returning(Workout.id, sort_by_parameter_order=True), workout_rows)
    )
    item_rows = [
        {
            "workout_id": workout_id,
            "exercise_id": exercise_id,
            "position": position,
            "sets": rng.randint(2, 5),
            "reps": rng.choice([5, 8, 10, 12, 15]),
            "weight_kg": rng.choice([None, 20.0, 40.0, 60.0, 80.0]),
            "rest_s": rng.choice([60, 90, 120]),
        }
        for workout_id in workout_ids
        for position, exercise_id in enumerate(rng.sample(exercise_ids, ITEMS_PER_WORKOUT), start=1)
    ]
    for start in range(0, len(item_rows), 10_000):
        db.session.execute(WorkoutItem.__table__.insert(), item_rows[start : start + 10_000])  # Core: one batch
    return workout_ids


def reset() -> None:
    """Empty the library tables and remove the bench trainer."""
    from app.accounts.models import User
    from app.extensions import db

    db.session.execute(sa.text("DELETE FROM plan_entries"))
    db.session.execute(sa.text("DELETE FROM plans"))
    db.session.execute(sa.text("DELETE FROM workout_items"))
    db.session.execute(sa.text("DELETE FROM workouts"))
    db.session.execute(sa.text("DELETE FROM exercises"))
    db.session.execute(sa.delete(User).where(User.email == TRAINER_EMAIL))
    db.session.commit()


def seed(reset_first: bool) -> dict:
    """Create the trainer, the exercises and the workouts; return what the harness needs."""
    from app.accounts import services as accounts_services
    from app.accounts.models import Role
    from app.exercises.models import Exercise
    from app.extensions import db

    if reset_first:
        reset()
    if db.session.scalar(sa.select(sa.func.count()).select_from(Exercise)):
        sys.exit("The database already holds exercises: run with --reset to replace them.")
    trainer = accounts_services.create_user(TRAINER_EMAIL, TRAINER_USERNAME, PASSWORD, Role.TRAINER)
    exercise_ids = list(
        db.session.scalars(
            sa.insert(Exercise).returning(Exercise.id, sort_by_parameter_order=True), exercise_rows(trainer.id)
        )
    )
    workout_ids = insert_workouts(trainer.id, exercise_ids)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE exercises, workouts, workout_items"))  # index-only counts
    return {"trainer_id": trainer.id, "workout_ids": (workout_ids[0], workout_ids[-1])}


def main() -> None:
    args = parse_args()
    os.environ.setdefault("SPOTTER_ENV", "development")
    from flask_migrate import upgrade

    from app import create_app
    from app.exercises.cache import bump_version
    from config import database_url

    overrides = {"SQLALCHEMY_DATABASE_URI": database_url(args.database_url)}
    if os.environ.get("REDIS_URL"):  # the bench servers' cache: cached library answers must go stale
        overrides.update(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=os.environ["REDIS_URL"])
    app = create_app("development", **overrides)
    started = time.perf_counter()
    with app.app_context():
        upgrade(revision="heads")
        result = seed(args.reset)
        bump_version()
    elapsed = time.perf_counter() - started
    print(
        f"Seeded {N_EXERCISES} exercises and {N_WORKOUTS} workouts x {ITEMS_PER_WORKOUT} items in {elapsed:.1f}s.\n"
        f"Trainer: id {result['trainer_id']}, {TRAINER_EMAIL} / {PASSWORD!r}\n"
        f"Workout ids: {result['workout_ids'][0]}..{result['workout_ids'][1]}"
    )


if __name__ == "__main__":
    main()


def bench_seed(app, out: Path) -> None:
    """bench/prepare.py hook: seed once into the bench database, write the ids the scenarios use."""
    from app.exercises.cache import bump_version
    from app.exercises.models import Exercise
    from app.extensions import db
    from app.workouts.models import Workout

    if db.session.scalar(sa.select(sa.func.count()).select_from(Exercise)) < N_EXERCISES:
        seed(reset_first=True)
    bump_version()
    public = db.session.scalar(sa.select(Workout.id).where(Workout.visibility == "Public").order_by(Workout.id))
    (out / "public_workout_id").write_text(str(public))
    insert_plans()


N_PLANS, PLAN_WEEKS, PLAN_DAYS = 500, 4, (1, 3, 5)


def insert_plans() -> None:
    """Public plans of 4 weeks x 3 days over public workouts (the plans list's bench), once."""
    from app.extensions import db
    from app.workouts.models import Plan, PlanEntry, Visibility, Workout

    if db.session.scalar(sa.select(sa.func.count()).select_from(Plan)):
        return
    (trainer_id,) = db.session.execute(sa.select(Workout.created_by_id).limit(1)).one()
    workouts = list(db.session.scalars(sa.select(Workout.id).where(Workout.visibility == "Public").limit(200)))
    rows = [
        {"title": f"Plan {n:04d}", "weeks": PLAN_WEEKS, "visibility": Visibility.PUBLIC, "created_by_id": trainer_id}
        for n in range(N_PLANS)
    ]
    plan_ids = list(db.session.scalars(sa.insert(Plan).returning(Plan.id, sort_by_parameter_order=True), rows))
    entries = [
        {"plan_id": plan_id, "week": week, "day": day, "workout_id": workouts[(n + week + day) % len(workouts)]}
        for n, plan_id in enumerate(plan_ids)
        for week in range(1, PLAN_WEEKS + 1)
        for day in PLAN_DAYS
    ]
    db.session.execute(PlanEntry.__table__.insert(), entries)
    db.session.commit()
