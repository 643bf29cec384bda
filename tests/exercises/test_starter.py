"""The starter library: the mapping onto our enums, the descriptions, and `flask seed exercises`."""

from __future__ import annotations

import json

import sqlalchemy as sa

from app.exercises import starter
from app.exercises.models import Category, Difficulty, Exercise
from app.extensions import db
from tests.factories import make_exercise


def snapshot() -> list[tuple]:
    rows = db.session.execute(
        sa.select(
            Exercise.id, Exercise.name, Exercise.description, Exercise.category, Exercise.difficulty_level,
            Exercise.muscles, Exercise.equipment, Exercise.updated_at, Exercise.archived_at,
        ).order_by(Exercise.id)
    )  # fmt: skip
    return [tuple(row) for row in rows]


def seed(app, *args: str):
    result = app.test_cli_runner().invoke(args=["seed", "exercises", *args])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result


def test_data_file_is_inside_the_project_and_trimmed():
    facts = json.loads(starter.DATA_FILE.read_text(encoding="utf-8"))
    assert len(facts) == 873
    assert set(facts[0]) == {
        "name", "category", "level", "mechanic", "force", "equipment", "primary_muscles", "secondary_muscles",
    }  # fmt: skip


def test_every_starter_exercise_maps_onto_our_enums():
    exercises = starter.starter_exercises()
    assert len(exercises) >= 100
    assert len({e["name"].lower() for e in exercises}) == len(exercises)
    for e in exercises:
        assert isinstance(e["category"], Category)
        assert isinstance(e["difficulty_level"], Difficulty)
        assert e["description"].endswith(".") and len(e["description"]) > 20
        assert all(m == m.lower() for m in e["muscles"])
    assert {e["category"] for e in exercises} == set(Category)
    assert {e["difficulty_level"] for e in exercises} == set(Difficulty)


def fact(**overrides) -> dict:
    base = {
        "name": "Barbell Squat", "category": "strength", "level": "expert", "mechanic": "compound", "force": "push",
        "equipment": "barbell", "primary_muscles": ["quadriceps"], "secondary_muscles": ["glutes", "hamstrings"],
    }  # fmt: skip
    return {**base, **overrides}


def test_category_mapping():
    assert starter.map_category(fact()) == Category.STRENGTH
    assert starter.map_category(fact(category="powerlifting")) == Category.STRENGTH
    assert starter.map_category(fact(category="olympic weightlifting", name="Snatch Balance")) == Category.STRENGTH
    assert starter.map_category(fact(name="Balance Board")) == Category.BALANCE
    assert starter.map_category(fact(category="stretching", name="Calf Stretch")) == Category.FLEXIBILITY
    assert starter.map_category(fact(category="stretching", name="Arm Circles")) == Category.MOBILITY
    assert starter.map_category(fact(category="stretching", equipment="foam roll")) == Category.MOBILITY
    assert starter.map_category(fact(category="plyometrics")) == Category.PLYOMETRICS
    assert starter.map_category(fact(category="cardio")) == Category.CARDIO


def test_fields_and_description_from_the_facts():
    fields = starter.to_exercise(fact())
    assert fields["difficulty_level"] == Difficulty.ADVANCED
    assert fields["muscles"] == ["quadriceps", "glutes", "hamstrings"]
    assert fields["equipment"] == ["barbell"]
    assert fields["description"] == (
        "An advanced compound pushing strength exercise for the quadriceps, also working the glutes and hamstrings, "
        "using a barbell."
    )
    assert starter.map_equipment("body only") == ["body weight"]
    assert starter.map_equipment(None) == []
    assert starter.map_equipment("kettlebells") == ["kettlebell"]
    assert starter.describe(fact(mechanic=None, force=None, category="stretching", equipment=None)) == (
        "An advanced stretch for the quadriceps, also working the glutes and hamstrings."
    )


def test_seed_twice_changes_nothing(app):
    first = seed(app)
    assert "873 created" in first.output
    before = snapshot()
    assert len(before) == 873
    second = seed(app)
    assert "0 created, 0 updated, 873 already there" in second.output
    assert snapshot() == before


def test_seed_all_runs_the_exercise_seeder(app):
    result = app.test_cli_runner().invoke(args=["seed", "all"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Exercise)) == 873


def test_seed_keeps_owner_edits_and_user_exercises(app, trainer):
    make_exercise(creator=trainer, name="3/4 SIT-UP", description="mine")
    seed(app)
    edited = db.session.execute(sa.select(Exercise).where(Exercise.name == "Air Bike")).scalar_one()
    edited.description = "Owner's words."
    db.session.commit()
    assert "0 created" in seed(app).output
    assert db.session.get(Exercise, edited.id).description == "Owner's words."
    assert (
        db.session.execute(sa.select(Exercise).where(Exercise.name == "3/4 SIT-UP")).scalar_one().description == "mine"
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Exercise)) == 873

    updated = seed(app, "--update")
    assert "1 updated" in updated.output
    assert db.session.get(Exercise, edited.id).description != "Owner's words."
    assert (
        db.session.execute(sa.select(Exercise).where(Exercise.name == "3/4 SIT-UP")).scalar_one().description == "mine"
    )


def test_archived_starter_exercise_is_not_brought_back(app, client, owner, login):
    seed(app)
    exercise = db.session.execute(sa.select(Exercise).where(Exercise.name == "Air Bike")).scalar_one()
    assert client.delete(f"/api/exercises/{exercise.id}", headers=login(owner)).status_code == 204
    seed(app)
    rows = db.session.execute(sa.select(Exercise).where(sa.func.lower(Exercise.name) == "air bike")).scalars().all()
    assert len(rows) == 1 and rows[0].archived


def test_seeded_library_is_searchable_and_filterable(app, client, user, login):
    seed(app)
    headers = login(user)
    r = client.get("/api/exercises?category=Strength&difficulty_level=Intermediate&page_size=20", headers=headers)
    assert r.status_code == 200 and len(r.get_json()) == 20
    found = [e["name"] for e in client.get("/api/exercises?q=bench press", headers=headers).get_json()]
    assert "Barbell Bench Press - Medium Grip" in found
    chest = client.get("/api/exercises?muscle=chest&equipment=dumbbell&page_size=100", headers=headers).get_json()
    assert chest and all("chest" in e["muscles"] and "dumbbell" in e["equipment"] for e in chest)
