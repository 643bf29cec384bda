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


def test_a_list_page_of_plain_rows_dumps_as_the_schema_dumps_the_objects(trainer, user):
    from flask_smorest.pagination import PaginationParameters

    from app.exercises import services as exercises_services

    a, b = make_exercise(name="A", creator=trainer), make_exercise(name="B", category="Cardio")
    first = {"exercise_id": a.id, "position": 2, "sets": 5, "reps": 5, "weight_kg": 102.5, "notes": "x"}
    second = {"exercise_id": b.id, "position": 1, "duration_s": 600, "distance_m": 2000.5}
    for title, items in (("T1", [first, second]), ("T2", [second])):
        data = {"title": title, "description": "d", "visibility": Visibility.PUBLIC, "items": items}
        services.create_workout(trainer, data)
    db.session.commit()
    exercises_services.delete_exercise(trainer, a.id)  # in use: archived, still shown inside the workout
    db.session.commit()
    db.session.expire_all()
    pagination = PaginationParameters(1, 20)
    page = services.list_workouts(user, pagination, sort="title")
    assert pagination.item_count == 2
    objects = [services.get_workout(user, workout.id) for workout, _items in page]
    assert [dump_workout(workout, items) for workout, items in page] == WorkoutSchema(many=True).dump(objects)
    assert [item["exercise"]["archived"] for item in dump_workout(*page[0])["items"]] == [False, True]
    assert services.list_workouts(user, PaginationParameters(2, 20)) == []
