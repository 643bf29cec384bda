"""The embedded mode (SQLite): the same figures through its simpler bucketing path."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask_migrate import upgrade

from app import create_app
from app.accounts.models import Profile, User
from app.exercises.models import Category, Difficulty, Exercise
from app.extensions import db
from app.training import analytics
from app.training import services as training_services


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.live
def test_sqlite_series_records_and_streaks(tmp_path):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'embedded.sqlite'}")
    with app.app_context():
        upgrade(revision="heads")
        athlete = User(email="a@example.com", username="a", profile=Profile(timezone="America/New_York"))
        squat = Exercise(name="Squat", category=Category.STRENGTH, difficulty_level=Difficulty.BEGINNER)
        db.session.add_all([athlete, squat])
        db.session.flush()
        plan = [
            (utc(2026, 3, 2, 12, 0), [(100, 5), (100, 5), (110, 3)]),
            (utc(2026, 3, 9, 3, 30), [(120, 2), (90, 10)]),
            (utc(2026, 3, 9, 22, 0), [(115, 4), (100, 5)]),
            (utc(2026, 4, 1, 1, 0), [(125, 1)]),
        ]
        for started, pairs in plan:
            sets = [{"exercise_id": squat.id, "set_number": i + 1, "weight_kg": w, "reps": r}
                    for i, (w, r) in enumerate(pairs)]  # fmt: skip
            training_services.create_session(athlete, {"started_at": started, "sets": sets})
        db.session.commit()

        weeks = analytics.series(athlete.id, squat.id, "week", athlete.timezone, None, None)
        assert [(p["period"], p["max_weight_kg"], p["est_1rm_kg"], p["volume_kg"], p["sets"]) for p in weeks] == [
            (date(2026, 3, 2), 120.0, 128.0, 2470.0, 5),
            (date(2026, 3, 9), 115.0, 130.33, 960.0, 2),
            (date(2026, 3, 30), 125.0, 129.17, 125.0, 1),
        ]
        records = analytics.personal_records(athlete.id, squat.id, athlete.timezone)
        assert records["heaviest_weight"]["weight_kg"] == 125.0
        assert records["best_est_1rm"]["est_1rm_kg"] == 130.33
        assert len(analytics.recent_records(athlete.id, utc(2026, 1, 1))) == 4
        streak = analytics.streaks(athlete.id, athlete.timezone, date(2026, 3, 9))
        assert streak == {"current_days": 2, "longest_days": 2, "last_day": date(2026, 3, 9)}
        db.session.remove()
        db.engine.dispose()
