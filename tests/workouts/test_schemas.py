"""The hand-written workout dump equals the documented WorkoutSchema, field for field."""

from __future__ import annotations

from app.extensions import db
from app.workouts import services
from app.workouts.models import Visibility
from app.workouts.schemas import WorkoutSchema, dump_workout
from tests.factories import make_exercise


def test_dump_workout_equals_the_schema(trainer, user):
    a, b = make_exercise(name="A"), make_exercise(name="B", category="Cardio")
    items = [
        {"exercise_id": a.id, "position": 2, "sets": 5, "reps": 5, "weight_kg": 102.5, "rest_s": 180, "notes": "x"},
        {"exercise_id": b.id, "position": 1, "duration_s": 600, "distance_m": 2000.5},
    ]
    data = {"title": "T", "description": None, "visibility": Visibility.PUBLIC, "items": items}
    workout = services.create_workout(trainer, data)
    db.session.commit()
    copy = services.copy_workout(user, workout.id)
    db.session.commit()
    db.session.expire_all()
    for shown in (services.get_workout(trainer, workout.id), services.get_workout(user, copy.id)):
        assert dump_workout(shown) == WorkoutSchema().dump(shown)
    assert dump_workout(shown)["copied_from"] == workout.id
