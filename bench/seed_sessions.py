"""Bench seeder (`bench/prepare.py --with sessions`): an athlete whose sessions have the raw workouts page's shape.

The reference's `/raw/workouts?limit=20` is 20 parents x 8 children, each child with its exercise. The
`sessions` scenario of `bench/paired.sh` reads a page of this athlete's sessions: 20 sessions x 8 sets (2
exercises x 4 sets), each set with its exercise, and a note on every session (encrypted at rest, so each page
decrypts 20 notes). 400 sessions, made through the ORM (the notes' column type encrypts them); the
`sessions_heavy` scenario reads the training seeder's athlete instead (138 sets a session).
Writes an access token for this athlete to bench/out/sessions_token. Running it again reuses the sessions.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

OUT = Path(__file__).resolve().parent / "out"
EMAIL = "bench-sessions@example.com"
SESSIONS = 400
EXERCISES_PER_SESSION, SETS_PER_EXERCISE = 2, 4


def seed(app) -> None:
    """Make the athlete and their sessions unless they are there, and write their token."""
    from app.accounts import services as accounts_services
    from app.exercises.models import Exercise
    from app.extensions import db
    from app.training import services as training_services
    from app.training.models import SessionSet, TrainingSession

    user = accounts_services.find_user_by_email(EMAIL) or accounts_services.create_user(
        EMAIL, "bench_sessions", "correct horse battery staple"
    )
    db.session.flush()
    have = db.session.scalar(sa.select(sa.func.count()).where(TrainingSession.user_id == user.id))
    if have < SESSIONS:
        rng = random.Random(20261206)
        exercise_ids = db.session.scalars(sa.select(Exercise.id).order_by(Exercise.id).limit(200)).all()
        first = datetime.now(UTC) - timedelta(days=SESSIONS)
        for day in range(have, SESSIONS):
            started = first + timedelta(days=day, hours=rng.randrange(6, 20))
            sets = [
                SessionSet(exercise_id=exercise_id, set_number=number, reps=rng.randint(5, 12), weight_kg=40 + number)
                for exercise_id in rng.sample(exercise_ids, EXERCISES_PER_SESSION)
                for number in range(1, SETS_PER_EXERCISE + 1)
            ]
            db.session.add(
                TrainingSession(
                    user_id=user.id,
                    started_at=started,
                    ended_at=started + timedelta(minutes=50),
                    notes=f"Day {day}: felt steady, slept {rng.randint(5, 9)} hours.",
                    sets=sets,
                )
            )
        db.session.flush()
        training_services.rebuild_rollups(TrainingSession.user_id == user.id)
    token = accounts_services.issue_tokens(user)["access_token"]
    db.session.commit()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "sessions_token").write_text(token)
    print(f"sessions: {SESSIONS} sessions x {EXERCISES_PER_SESSION * SETS_PER_EXERCISE} sets for user {user.id}")


def bench_seed(app, out) -> None:
    """bench/prepare.py hook."""
    seed(app)
