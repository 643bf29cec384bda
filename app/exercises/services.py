"""The rules of the exercise library: search and filters, writes with their permissions, archiving."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask_smorest.pagination import PaginationParameters
from sqlalchemy import select
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.core.columns import contains_every_word, utcnow, word_patterns
from app.core.errors import Conflict, Forbidden, NotFound
from app.core.pagination import PageChildren, PagedSelect
from app.core.unit_of_work import bind_of
from app.exercises import policy
from app.exercises.cache import invalidate_library
from app.exercises.models import Category, Difficulty, Exercise, fold
from app.extensions import db

# pg_trgm's word_similarity at or above which a name counts as a typo-tolerant match of `q`.
FUZZY_THRESHOLD = 0.5

SORT_COLUMNS = {
    "name": (Exercise.name_key.asc(), Exercise.id.asc()),
    "-name": (Exercise.name_key.desc(), Exercise.id.desc()),
    "created_at": (Exercise.created_at.asc(), Exercise.id.asc()),
    "-created_at": (Exercise.created_at.desc(), Exercise.id.desc()),
}


def _dialect() -> str:
    return bind_of(db.session).dialect.name


# The columns a list answer shows, under the names `ExerciseSchema` reads.
LIST_COLUMNS = (
    Exercise.id,
    Exercise.name,
    Exercise.description,
    Exercise.video_url,
    Exercise.category,
    Exercise.difficulty_level,
    Exercise.muscles,
    Exercise.equipment,
    Exercise.created_by_id.label("created_by"),
    Exercise.archived_at.is_not(None).label("archived"),
    Exercise.created_at,
    Exercise.updated_at,
)


class SearchShape(NamedTuple):
    """Which filters a search uses (not their values): one statement is built and compiled per shape."""

    dialect: str
    category: bool
    difficulty_level: bool
    muscles: int
    equipment: int
    created_by: bool
    words: int
    sort: str | None


def search_exercises(
    pagination: PaginationParameters,
    category: Category | None = None,
    difficulty_level: Difficulty | None = None,
    muscle: list[str] | None = None,
    equipment: list[str] | None = None,
    q: str | None = None,
    created_by: int | None = None,
    sort: str | None = None,
) -> list[Any]:
    """One page of the library's live exercises by filters, ordered by `sort` (or relevance for `q`).

    The rows are plain column rows (shaped as `ExerciseSchema` reads them), not ORM objects: a list is read
    and sent, never changed. The statement is built once per shape of the filters, with the values bound
    at run time, and run as a `PagedSelect` (the library's list is the API's hottest uncached read).
    """
    muscles, equipment, words = muscle or [], equipment or [], fold(q).split() if q else []
    shape = SearchShape(
        _dialect(),
        bool(category),
        bool(difficulty_level),
        len(muscles),
        len(equipment),
        bool(created_by),
        len(words),
        sort,
    )
    params: dict[str, Any] = {"category": category, "difficulty_level": difficulty_level, "created_by": created_by}
    params |= _list_params("muscle", muscles, shape.dialect) | _list_params("equipment", equipment, shape.dialect)
    params |= word_patterns(words)
    params["phrase"] = " ".join(words)
    return _search_query(shape).page(params, pagination)


@functools.lru_cache(maxsize=512)
def _search_query(shape: SearchShape) -> PagedSelect:
    conditions = [Exercise.archived_at.is_(None)]
    if shape.category:
        conditions.append(Exercise.category == sa.bindparam("category"))
    if shape.difficulty_level:
        conditions.append(Exercise.difficulty_level == sa.bindparam("difficulty_level"))
    if shape.muscles:
        conditions.append(_contains_all(Exercise.muscles, "muscle", shape.muscles, shape.dialect))
    if shape.equipment:
        conditions.append(_contains_all(Exercise.equipment, "equipment", shape.equipment, shape.dialect))
    if shape.created_by:
        conditions.append(Exercise.created_by_id == sa.bindparam("created_by"))
    if not shape.words:
        stmt = select(*LIST_COLUMNS).where(*conditions).order_by(*SORT_COLUMNS[shape.sort or "name"])
        return PagedSelect(stmt, driver_values=True)
    match, relevance = _match(conditions, shape.words, shape.dialect)
    stmt = select(*LIST_COLUMNS).where(*conditions, match)
    order = SORT_COLUMNS[shape.sort] if shape.sort else (*relevance, *SORT_COLUMNS["name"])
    return PagedSelect(stmt.order_by(*order), driver_values=True)


def _list_params(name: str, values: list[str], dialect: str) -> dict[str, Any]:
    if dialect == "postgresql":
        return {name: values}
    return {f"{name}_{i}": value for i, value in enumerate(values)}


def _contains_all(column: Any, name: str, count: int, dialect: str) -> sa.ColumnElement[bool]:
    """The list column holds every value bound: `@>` (GIN-indexed) on PostgreSQL, `json_each` on SQLite."""
    if dialect == "postgresql":
        array_type = postgresql.ARRAY(sa.String(60))
        return sa.type_coerce(column, array_type).contains(sa.cast(sa.bindparam(name, type_=array_type), array_type))
    conditions = []
    for i in range(count):
        element = sa.func.json_each(column).table_valued("value")
        conditions.append(
            sa.exists(select(1).select_from(element).where(element.c.value == sa.bindparam(f"{name}_{i}")))
        )
    return sa.and_(*conditions)


def _match(conditions: list, words: int, dialect: str) -> tuple[sa.ColumnElement[bool], list[sa.ColumnElement]]:
    """Every word in the name or description; on PostgreSQL, when nothing matches so, names a typo away.

    The typo-tolerant branch (trigram word similarity of the folded name to the bound `phrase`) is guarded
    by a NOT EXISTS over the exact matches, which PostgreSQL evaluates once: a query that matches as typed
    never pays for computing similarities over the whole library.
    Relevance: names holding every word first, then the closest names, then by name.
    """
    exact = contains_every_word(Exercise.search_text, words)
    in_name = sa.case((contains_every_word(Exercise.name_key, words), 0), else_=1)
    if dialect != "postgresql":
        return exact, [in_name]
    similarity = sa.func.word_similarity(sa.bindparam("phrase", type_=sa.String), Exercise.name_key)
    nothing_exact = ~sa.exists(select(Exercise.id).where(*conditions, exact).correlate(None))
    return sa.or_(exact, sa.and_(nothing_exact, similarity >= FUZZY_THRESHOLD)), [in_name, similarity.desc()]


def get_exercise(exercise_id: int) -> Exercise:
    """Return an exercise (archived ones too: workouts still show them) or raise NotFound."""
    exercise = db.session.get(Exercise, exercise_id)
    if exercise is None:
        raise NotFound("No such exercise.")
    return exercise


def _check_name_free(name: str, exclude_id: int | None = None) -> None:
    clash = select(Exercise.archived_at).where(
        sa.func.lower(Exercise.name) == name.lower(), Exercise.id != (exclude_id or 0)
    )
    row = db.session.execute(clash).first()
    if row is not None:
        hint = " (an archived exercise keeps that name)" if row.archived_at else ""
        raise Conflict(f"An exercise named {name!r} already exists{hint}.")


def create_exercise(actor: User, data: dict[str, Any]) -> Exercise:
    """Add an exercise to the library (Trainers and Owners); the name is unique case-insensitively."""
    if not policy.can_create_exercise(actor):
        raise Forbidden("Only trainers and owners add exercises.")
    _check_name_free(data["name"])
    exercise = Exercise(created_by_id=actor.id, **data)
    db.session.add(exercise)
    db.session.flush()
    invalidate_library()
    return exercise


def update_exercise(actor: User, exercise_id: int, changes: dict[str, Any]) -> Exercise:
    """Replace the given fields of an exercise (its creator or an Owner)."""
    exercise = get_exercise(exercise_id)
    if not policy.can_edit_exercise(actor, exercise):
        raise Forbidden("Only the exercise's creator or an Owner may change it.")
    if "name" in changes:
        _check_name_free(changes["name"], exclude_id=exercise.id)
    for field, value in changes.items():
        setattr(exercise, field, value)
    db.session.flush()
    invalidate_library()
    return exercise


def delete_exercise(actor: User, exercise_id: int) -> None:
    """Delete an exercise, or archive it when anything (workouts, logs) still refers to it or it is a starter one."""
    exercise = get_exercise(exercise_id)
    if not policy.can_edit_exercise(actor, exercise):
        raise Forbidden("Only the exercise's creator or an Owner may delete it.")
    invalidate_library()
    if exercise.archived_at is not None:
        return
    if exercise.created_by_id is None:  # the starter library: archived, so `flask seed` does not bring it back
        exercise.archived_at = utcnow()
        db.session.flush()
        return
    try:
        # Every reference to an exercise is ON DELETE RESTRICT, so the database itself tells
        # whether it is in use, whichever domain's table (workout items, session sets) holds it.
        with db.session.begin_nested():
            db.session.delete(exercise)
            db.session.flush()
    except IntegrityError:
        exercise.archived_at = utcnow()
        db.session.flush()


def live_exercises(ids: Iterable[int]) -> dict[int, Exercise]:
    """Return the exercises among `ids` that exist and are not archived, by id."""
    wanted = set(ids)
    if not wanted:
        return {}
    stmt = select(Exercise).where(Exercise.id.in_(wanted), Exercise.archived_at.is_(None))
    return {exercise.id: exercise for exercise in db.session.execute(stmt).scalars()}


# ---- starter library

STARTER_FIELDS = ("description", "category", "difficulty_level", "muscles", "equipment")


def seed_starter_library(update: bool = False) -> dict[str, int]:
    """Insert the starter exercises that are missing (by case-insensitive name); count what happened.

    Existing rows are left alone, so an Owner's edits survive every `flask seed`; with
    `update`, starter rows (no creator) are brought back to the data file's facts.
    """
    from app.exercises.starter import starter_exercises

    existing = {exercise.name.lower(): exercise for exercise in db.session.execute(select(Exercise)).scalars()}
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for fields in starter_exercises():
        exercise = existing.get(fields["name"].lower())
        if exercise is None:
            db.session.add(Exercise(**fields))
            counts["created"] += 1
        elif update and exercise.created_by_id is None and _differs(exercise, fields):
            for field in STARTER_FIELDS:
                setattr(exercise, field, fields[field])
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    db.session.flush()
    if counts["created"] or counts["updated"]:
        invalidate_library()
    return counts


def _differs(exercise: Exercise, fields: dict[str, Any]) -> bool:
    return any(getattr(exercise, field) != fields[field] for field in STARTER_FIELDS)


def children_with_exercise(columns: tuple, parent: sa.Column, *order_by: sa.ColumnElement) -> PageChildren:
    """The child rows of a page's parents (workout items, session sets), each with its exercise's ref columns.

    `columns` are the child table's columns (one of them `exercise_id`); `nest_exercise` turns a row into the
    dict `ExerciseRefSchema` reads under `exercise`. One statement per page, compiled once.
    """

    def select_for(dialect: str) -> sa.Select:
        ref, on = _exercise_ref(columns[0].table.c.exercise_id, dialect)
        refs = (
            ref.c.name.label("exercise_name"),
            ref.c.category.label("exercise_category"),
            ref.c.archived.label("exercise_archived"),
        )
        return select(*columns, *refs).join(ref, on).order_by(parent, *order_by)

    return PageChildren(select_for, parent, driver_values=True)


def nest_exercise(row: Any) -> dict[str, Any]:
    """A child row of `children_with_exercise` as a dict, its exercise ref nested under `exercise`."""
    child = row._asdict()
    child["exercise"] = {
        "id": child["exercise_id"],
        "name": child.pop("exercise_name"),
        "category": child.pop("exercise_category"),
        "archived": child.pop("exercise_archived"),
    }
    return child


def _exercise_ref(exercise_id: sa.ColumnElement, dialect: str) -> tuple[sa.FromClause, sa.ColumnElement[bool]]:
    """The exercise of each child row as `ExerciseRefSchema` reads it (name, category, archived), and its ON.

    On PostgreSQL a LATERAL lookup by primary key per child (`OFFSET 0` keeps the planner from turning it back
    into a join): a page has ~160 children of a library of thousands, and a join made PostgreSQL hash the
    whole library for every page (1.3 ms against 0.6 ms, measured; bench/RESULTS.md). SQLite has no LATERAL:
    there it is a plain join.
    """
    columns = (Exercise.name, Exercise.category, Exercise.archived_at.is_not(None).label("archived"))
    if dialect != "postgresql":
        ref = select(Exercise.id, *columns).subquery("exercise_ref")
        return ref, ref.c.id == exercise_id
    return select(*columns).where(Exercise.id == exercise_id).offset(0).lateral("exercise_ref"), sa.true()
