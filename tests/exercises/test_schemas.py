"""The hand-written dump of the hot paths equals the documented ExerciseSchema, field for field."""

from __future__ import annotations

from flask_smorest.pagination import PaginationParameters

from app.exercises import services
from app.exercises.schemas import ExerciseRefSchema, ExerciseSchema, dump_exercise, dump_exercise_ref
from app.extensions import db
from tests.factories import make_exercise, make_workout


def test_dump_exercise_equals_the_schema(trainer):
    plain = make_exercise()
    full = make_exercise(
        creator=trainer,
        name="Développé",
        description="Press.",
        video_url="https://example.com/v",
        category="Mobility",
        difficulty_level="Advanced",
        muscles=["chest", "triceps"],
        equipment=["barbell"],
    )
    make_workout(trainer, [full])
    services.delete_exercise(trainer, full.id)  # archived: in use
    db.session.commit()
    db.session.expire_all()
    for exercise in (plain, full):
        assert dump_exercise(exercise) == ExerciseSchema().dump(exercise)
        assert dump_exercise_ref(exercise) == ExerciseRefSchema().dump(exercise)
    assert dump_exercise(full)["archived"] is True
    # the list dumps plain column rows (the driver's values: enums as strings), not ORM objects: the same answer
    (row,) = services.search_exercises(PaginationParameters(1, 20), q=plain.name)
    assert type(row.category) is str
    assert dump_exercise(row) == ExerciseSchema().dump(plain)
