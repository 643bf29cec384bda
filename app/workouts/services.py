"""The rules of workouts and plans: visibility on every read, items and schedules, copies, archiving."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from flask_smorest.pagination import PaginationParameters
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.accounts import services as accounts_services
from app.accounts.models import User
from app.core.columns import contains_every_word, utcnow, word_patterns
from app.core.errors import Forbidden, Invalid, NotFound
from app.core.pagination import PageChildren, PagedSelect
from app.core.unit_of_work import bind_of
from app.exercises import services as exercises_services
from app.exercises.models import Exercise
from app.extensions import db
from app.workouts import policy
from app.workouts.models import Plan, PlanEntry, Visibility, Workout, WorkoutItem
from app.workouts.schemas import check_weeks

ITEM_FIELDS = ("exercise_id", "position", "sets", "reps", "weight_kg", "duration_s", "distance_m", "rest_s", "notes")


def _order(model: Any, sort: str | None) -> tuple:
    column = sa.func.lower(model.title) if (sort or "").lstrip("-") == "title" else model.created_at
    descending = (sort or "-created_at").startswith("-")
    return (column.desc(), model.id.desc()) if descending else (column.asc(), model.id.asc())


def _remove_or_archive(obj: Any) -> None:
    """Delete a row, or archive it when the database refuses (something still refers to it)."""
    try:
        with db.session.begin_nested():
            db.session.delete(obj)
            db.session.flush()
    except IntegrityError:
        obj.archived_at = utcnow()
        db.session.flush()


# ---- workouts

# Items and the few exercise columns a workout shows, in two more queries whatever the page size.
WORKOUT_LOAD = (
    selectinload(Workout.items)
    .selectinload(WorkoutItem.exercise)
    .load_only(Exercise.id, Exercise.name, Exercise.category, Exercise.archived_at),
)


@dataclass(frozen=True)
class ListShape:
    """What a list's statement depends on besides the bound values: built once per shape (`_list_query`)."""

    dialect: str
    everything: bool  # an Owner: every live row, no visibility rule
    trainer: bool
    words: int
    visibility: bool
    sort: str | None


def _page(
    model: type[Workout] | type[Plan],
    actor: User | accounts_services.Viewer,
    pagination: PaginationParameters,
    **filters: Any,
) -> list:
    """One page of the live workouts or plans the actor may see, filtered and sorted, as dicts of their columns."""
    words = filters["q"].lower().split() if filters.get("q") else []
    shape = ListShape(
        bind_of(db.session).dialect.name,
        policy.is_owner(actor),
        bool(filters.get("trainer_id")),
        len(words),
        bool(filters.get("visibility")),
        filters.get("sort"),
    )
    params = {"actor_id": actor.id, "trainer_id": filters.get("trainer_id"), "visibility": filters.get("visibility")}
    params |= word_patterns(words)
    keys = WORKOUT_KEYS if model is Workout else PLAN_KEYS
    return [dict(zip(keys, row, strict=False)) for row in _list_query(model, shape).page(params, pagination)]


@functools.lru_cache(maxsize=256)
def _list_query(model: type[Workout] | type[Plan], shape: ListShape) -> PagedSelect:
    """The list's select for one shape, the values as named parameters (`actor_id`, `trainer_id`, ...)."""
    stmt = select(*(WORKOUT_COLUMNS if model is Workout else PLAN_COLUMNS)).where(model.archived_at.is_(None))
    if not shape.everything:
        stmt = stmt.where(policy.visible_to(model, sa.bindparam("actor_id", type_=sa.Integer)))
    if shape.trainer:
        stmt = stmt.where(model.created_by_id == sa.bindparam("trainer_id"))
    if shape.words:
        text = sa.func.lower(model.title + " " + sa.func.coalesce(model.description, ""))
        stmt = stmt.where(contains_every_word(text, shape.words))
    if shape.visibility:
        stmt = stmt.where(model.visibility == sa.bindparam("visibility"))
    return PagedSelect(stmt.order_by(*_order(model, shape.sort)), driver_values=True)


def _get_visible(model: type[Workout] | type[Plan], load: tuple, actor: User, object_id: int) -> Any:
    """Return a workout or plan the actor may see (archived ones too), else NotFound."""
    found = db.session.get(model, object_id, options=load)
    if found is None or not policy.can_see(actor, found):
        raise NotFound(f"No such {model.__name__.lower()}.")
    return found


def _get_editable(model: type[Workout] | type[Plan], load: tuple, actor: User, object_id: int) -> Any:
    found = _get_visible(model, load, actor, object_id)
    if not policy.can_edit(actor, found):
        raise Forbidden(f"Only the {model.__name__.lower()}'s author or an Owner may change it.")
    return found


def list_workouts(
    actor: User | accounts_services.Viewer, pagination: PaginationParameters, **filters: Any
) -> list[dict[str, Any]]:
    """One page of the live workouts the actor may see (filters trainer_id, q, visibility, sort), with items.

    Plain values shaped as `WorkoutSchema` reads them, not ORM objects (a page is ~20 workouts, 160 items
    and their exercises: building and tracking objects was nine tenths of the list's time): the page and its
    total in one statement, every item of the page with its exercise in one more, whatever the page size.
    """
    page = _page(Workout, actor, pagination, **filters)
    for workout, items in zip(page, ITEMS.of([workout["id"] for workout in page]), strict=True):
        workout["items"] = [exercises_services.nest_exercise(item) for item in items]
    return page


# A workout's columns under the names `WorkoutSchema` reads.
WORKOUT_COLUMNS = (
    Workout.id,
    Workout.title,
    Workout.description,
    Workout.visibility,
    Workout.created_by_id.label("created_by"),
    Workout.copied_from_id.label("copied_from"),
    Workout.archived_at.is_not(None).label("archived"),
    Workout.created_at,
    Workout.updated_at,
)
WORKOUT_KEYS = tuple(column.key for column in WORKOUT_COLUMNS)
ITEM_COLUMNS = tuple(WorkoutItem.__table__.c)


# Each workout's items in order, each with its exercise, in one statement whatever the page size.
ITEMS = exercises_services.children_with_exercise(ITEM_COLUMNS, WorkoutItem.workout_id, WorkoutItem.position)


def get_workout(actor: User, workout_id: int) -> Workout:
    """Return a workout the actor may see (archived ones too), else NotFound."""
    return _get_visible(Workout, WORKOUT_LOAD, actor, workout_id)


def _editable_workout(actor: User, workout_id: int) -> Workout:
    return _get_editable(Workout, WORKOUT_LOAD, actor, workout_id)


def _build_items(items: list[dict[str, Any]]) -> list[WorkoutItem]:
    """Turn validated item dicts into rows; each exercise must exist and not be archived (422 by index)."""
    exercises = exercises_services.live_exercises(item["exercise_id"] for item in items)
    errors = {
        index: {"exercise_id": ["No such exercise, or it has been archived."]}
        for index, item in enumerate(items)
        if item["exercise_id"] not in exercises
    }
    if errors:
        raise Invalid("Some items name unknown or archived exercises.", errors={"json": {"items": errors}})
    rows = [WorkoutItem(**{f: item.get(f) for f in ITEM_FIELDS}) for item in items]
    for row in rows:
        row.exercise = exercises[row.exercise_id]
    return sorted(rows, key=lambda row: row.position)


def create_workout(actor: User, data: dict[str, Any]) -> Workout:
    """Create a workout with its items (Trainers and Owners)."""
    if not policy.can_author(actor):
        raise Forbidden("Only trainers and owners create workouts.")
    items = _build_items(data.pop("items"))
    workout = Workout(created_by_id=actor.id, items=items, **data)
    db.session.add(workout)
    db.session.flush()
    return workout


def update_workout(actor: User, workout_id: int, changes: dict[str, Any]) -> Workout:
    """Replace the given fields of a workout; `items` replaces the whole list."""
    workout = _editable_workout(actor, workout_id)
    if "items" in changes:
        workout.items = _build_items(changes.pop("items"))
    for field, value in changes.items():
        setattr(workout, field, value)
    workout.updated_at = utcnow()
    db.session.flush()
    return workout


def delete_workout(actor: User, workout_id: int) -> None:
    """Delete a workout, or archive it while plans (or, later, assignments) still use it."""
    workout = _editable_workout(actor, workout_id)
    if workout.archived_at is None:
        _remove_or_archive(workout)


def copy_workout(actor: User, workout_id: int) -> Workout:
    """Copy a workout the actor may see into their own library, as a Private workout."""
    source = get_workout(actor, workout_id)
    items = [WorkoutItem(**{f: getattr(item, f) for f in ITEM_FIELDS}) for item in source.items]
    for copy, item in zip(items, source.items, strict=True):
        copy.exercise = item.exercise
    workout = Workout(
        title=source.title,
        description=source.description,
        visibility=Visibility.PRIVATE,
        created_by_id=actor.id,
        copied_from_id=source.id,
        items=items,
    )
    db.session.add(workout)
    db.session.flush()
    return workout


# ---- plans

PLAN_LOAD = (selectinload(Plan.schedule).selectinload(PlanEntry.workout),)


def list_plans(
    actor: User | accounts_services.Viewer, pagination: PaginationParameters, **filters: Any
) -> list[dict[str, Any]]:
    """One page of the live plans the actor may see (filters trainer_id, q, visibility, sort), with schedules.

    Plain values shaped as `PlanSchema` reads them, as `list_workouts`: the page and its total in one
    statement, every entry of the page with its workout in one more, whatever the page size.
    """
    page = _page(Plan, actor, pagination, **filters)
    for plan, entries in zip(page, SCHEDULES.of([plan["id"] for plan in page]), strict=True):
        plan["schedule"] = [_entry_with_workout(entry) for entry in entries]
    return page


# A plan's columns under the names `PlanSchema` reads.
PLAN_COLUMNS = (
    Plan.id,
    Plan.title,
    Plan.description,
    Plan.weeks,
    Plan.visibility,
    Plan.created_by_id.label("created_by"),
    Plan.archived_at.is_not(None).label("archived"),
    Plan.created_at,
    Plan.updated_at,
)
PLAN_KEYS = tuple(column.key for column in PLAN_COLUMNS)


def _schedule_select(dialect: str) -> sa.Select:
    workout = (Workout.id.label("workout_id"), Workout.title, Workout.archived_at.is_not(None).label("archived"))
    stmt = select(PlanEntry.plan_id, PlanEntry.week, PlanEntry.day, *workout)
    stmt = stmt.join(Workout, Workout.id == PlanEntry.workout_id)
    return stmt.order_by(PlanEntry.plan_id, PlanEntry.week, PlanEntry.day, PlanEntry.id)


# Each plan's entries in order (week, day, id), each with its workout, in one statement whatever the page size.
SCHEDULES = PageChildren(_schedule_select, PlanEntry.plan_id, driver_values=True)


def _entry_with_workout(entry: Any) -> dict[str, Any]:
    workout = {"id": entry.workout_id, "title": entry.title, "archived": entry.archived}
    return {"week": entry.week, "day": entry.day, "workout_id": entry.workout_id, "workout": workout}


def get_plan(actor: User, plan_id: int) -> Plan:
    """Return a plan the actor may see (archived ones too), else NotFound."""
    return _get_visible(Plan, PLAN_LOAD, actor, plan_id)


def _editable_plan(actor: User, plan_id: int) -> Plan:
    return _get_editable(Plan, PLAN_LOAD, actor, plan_id)


def _build_schedule(author: User, schedule: list[dict[str, Any]], kept: set[int] = frozenset()) -> list[PlanEntry]:
    """Turn validated entries into rows; each workout must be visible to the author and live (or `kept`)."""
    ids = {entry["workout_id"] for entry in schedule}
    usable = (
        select(Workout)
        .where(Workout.id.in_(ids), policy.visible_clause(Workout, author))
        .where(sa.or_(Workout.archived_at.is_(None), Workout.id.in_(kept or {0})))
    )
    workouts = {workout.id: workout for workout in db.session.execute(usable).scalars()} if ids else {}
    errors = {
        index: {"workout_id": ["No such workout, or the plan's author cannot use it."]}
        for index, entry in enumerate(schedule)
        if entry["workout_id"] not in workouts
    }
    if errors:
        raise Invalid("Some schedule entries name workouts that cannot be used.", errors={"json": {"schedule": errors}})
    entries = [PlanEntry(week=e["week"], day=e["day"], workout_id=e["workout_id"]) for e in schedule]
    for entry in entries:
        entry.workout = workouts[entry.workout_id]
    return sorted(entries, key=lambda entry: (entry.week, entry.day))


def create_plan(actor: User, data: dict[str, Any]) -> Plan:
    """Create a plan with its schedule (Trainers and Owners)."""
    if not policy.can_author(actor):
        raise Forbidden("Only trainers and owners create plans.")
    schedule = _build_schedule(actor, data.pop("schedule"))
    plan = Plan(created_by_id=actor.id, schedule=schedule, **data)
    db.session.add(plan)
    db.session.flush()
    return plan


def update_plan(actor: User, plan_id: int, changes: dict[str, Any]) -> Plan:
    """Replace the given fields of a plan; `schedule` replaces the whole schedule."""
    plan = _editable_plan(actor, plan_id)
    weeks = changes.get("weeks", plan.weeks)
    if "schedule" in changes:
        schedule = changes.pop("schedule")
        try:
            check_weeks(schedule, weeks)
        except ma.ValidationError as error:
            raise Invalid("The schedule does not fit the plan.", errors={"json": error.messages}) from error
        author = actor if actor.id == plan.created_by_id else accounts_services.get_user(plan.created_by_id)
        plan.schedule = _build_schedule(author, schedule, kept={entry.workout_id for entry in plan.schedule})
    elif any(entry.week > weeks for entry in plan.schedule):
        raise Invalid("Some scheduled workouts fall after the new last week.", field="weeks")
    for field, value in changes.items():
        setattr(plan, field, value)
    plan.updated_at = utcnow()
    db.session.flush()
    return plan


def delete_plan(actor: User, plan_id: int) -> None:
    """Delete a plan, or archive it while something (assignments, later) still refers to it."""
    plan = _editable_plan(actor, plan_id)
    if plan.archived_at is None:
        _remove_or_archive(plan)
