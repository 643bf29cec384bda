"""The rules of training logs: sessions and sets, their roll-ups, body measurements; signals for the feed."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from flask_smorest.pagination import PaginationParameters
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.accounts import services as accounts_services
from app.accounts.models import User
from app.core import response_cache
from app.core.columns import utcnow
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.pagination import PagedSelect
from app.core.time import time_range
from app.core.unit_of_work import bind_of
from app.exercises import services as exercises_services
from app.extensions import db
from app.privacy import services as privacy_services
from app.training import analytics, policy, signals
from app.training.models import Measurement, MeasurementType, RepBest, SessionExercise, SessionSet, TrainingSession
from app.training.schemas import check_times
from app.workouts import services as workouts_services

SET_FIELDS = ("exercise_id", "set_number", "reps", "weight_kg", "duration_s", "distance_m", "rpe")
ROLLUP_INSERT = [
    *("session_id", "exercise_id", "user_id", "started_at"),
    *("sets", "reps", "volume_kg", "max_weight_kg", "best_1rm_kg"),
]
SESSION_LOAD = (selectinload(TrainingSession.sets).selectinload(SessionSet.exercise),)

# ---- whose logs


def athlete_id_for(actor: User | accounts_services.Viewer, user_id: int | str | None) -> int:
    """Resolve whose logs are asked for (`me`/None: the actor); 404 for no such user, 403 when not allowed."""
    if user_id in (None, "me") or user_id == actor.id:
        return actor.id
    athlete = accounts_services.get_user(int(user_id))
    if not policy.can_read_logs(actor, athlete.id):
        raise Forbidden("You may only see your own logs, your active clients' (trainers), or anyone's (Owners).")
    return athlete.id


def athlete_for(actor: User, user_id: int | str | None) -> User:
    """Like `athlete_id_for`, returning the user (their time zone decides the analytics' days)."""
    athlete_id = athlete_id_for(actor, user_id)
    return actor if athlete_id == actor.id else accounts_services.get_user(athlete_id)


# ---- ranges


def _in_range(column: Any, start: datetime | None, end: datetime | None) -> list[sa.ColumnElement[bool]]:
    conditions = []
    if start is not None:
        conditions.append(column >= start)
    if end is not None:
        conditions.append(column < end)
    return conditions


# ---- sessions


def get_session(actor: User, session_id: int) -> TrainingSession:
    """Return a session the actor may read (athlete, active trainer, Owner), else NotFound."""
    session = db.session.get(TrainingSession, session_id, options=SESSION_LOAD)
    if session is None or not policy.can_read_logs(actor, session.user_id):
        raise NotFound("No such session.")
    return session


def _own_session(actor: User, session_id: int) -> TrainingSession:
    session = get_session(actor, session_id)
    if not policy.can_write_log(actor, session.user_id):
        raise Forbidden("Only the athlete changes their own sessions.")
    return session


def list_sessions(
    actor: User | accounts_services.Viewer,
    pagination: PaginationParameters,
    user_id: int | None = None,
    from_: date | datetime | None = None,
    to: date | datetime | None = None,
    exercise_id: int | None = None,
) -> list[dict[str, Any]]:
    """One page of an athlete's sessions, newest first, each with its sets and their exercises.

    Plain values shaped as `SessionSchema` reads them, not ORM objects (a page is hundreds of sets): the
    page and its total in one statement, every set of the page with its exercise in one more.
    """
    athlete_id = athlete_id_for(actor, user_id)
    start, end = time_range(from_, to, actor.timezone)
    query = _sessions_query(
        bind_of(db.session).dialect.name, start is not None, end is not None, exercise_id is not None
    )
    params = {"athlete_id": athlete_id, "start": start, "end": end, "exercise_id": exercise_id}
    page = [dict(zip(SESSION_KEYS, row, strict=False)) for row in query.page(params, pagination)]  # (drops `_total`)
    for session, sets in zip(page, SETS.of([session["id"] for session in page]), strict=True):
        session["sets"] = [exercises_services.nest_exercise(row) for row in sets]
    return page


SESSION_COLUMNS = tuple(TrainingSession.__table__.c)
SESSION_KEYS = tuple(column.key for column in SESSION_COLUMNS)
SET_COLUMNS = tuple(SessionSet.__table__.c)


@functools.lru_cache(maxsize=32)
def _sessions_query(dialect: str, start: bool, end: bool, exercise: bool) -> PagedSelect:
    """An athlete's sessions newest first, for one shape of the filters (the dialect keys the cache only).

    Values converted by their column types: the notes are encrypted (app/core/crypto.py).
    """
    athlete_id = sa.bindparam("athlete_id", type_=sa.Integer)
    stmt = select(*SESSION_COLUMNS).where(TrainingSession.user_id == athlete_id)
    if start:
        stmt = stmt.where(TrainingSession.started_at >= sa.bindparam("start", type_=TrainingSession.started_at.type))
    if end:
        stmt = stmt.where(TrainingSession.started_at < sa.bindparam("end", type_=TrainingSession.started_at.type))
    if exercise:
        with_exercise = select(SessionExercise.session_id).where(
            SessionExercise.user_id == athlete_id, SessionExercise.exercise_id == sa.bindparam("exercise_id")
        )
        stmt = stmt.where(TrainingSession.id.in_(with_exercise))
    return PagedSelect(stmt.order_by(TrainingSession.started_at.desc(), TrainingSession.id.desc()))


# Each session's sets in order, each with its exercise (as `ExerciseRefSchema` reads it), in one statement.
SETS = exercises_services.children_with_exercise(SET_COLUMNS, SessionSet.session_id, SessionSet.id)


def _build_sets(items: list[dict[str, Any]], kept_exercise_ids: Iterable[int] = ()) -> list[SessionSet]:
    """Turn validated set dicts into rows; each exercise must exist and be live (422 naming the set's index)."""
    kept = set(kept_exercise_ids)
    live = exercises_services.live_exercises(item["exercise_id"] for item in items)
    errors = {
        index: {"exercise_id": ["No such exercise, or it has been archived."]}
        for index, item in enumerate(items)
        if item["exercise_id"] not in live and item["exercise_id"] not in kept
    }
    if errors:
        raise Invalid("Some sets name unknown or archived exercises.", errors={"json": {"sets": errors}})
    return [SessionSet(**{field: item.get(field) for field in SET_FIELDS}) for item in items]


def _check_workout(actor: User, workout_id: int | None, current: int | None = None) -> None:
    """A linked workout is one the athlete may see and, unless already linked, not archived (else 422)."""
    if workout_id is None or workout_id == current:
        return
    try:
        workout = workouts_services.get_workout(actor, workout_id)
    except NotFound:
        workout = None
    if workout is None or workout.archived:
        raise Invalid("No such workout, or it has been archived.", field="workout_id")


def create_session(actor: User, data: dict[str, Any]) -> TrainingSession:
    """Log a session with its sets for the actor; signals it (the feed's session_completed) and its PRs."""
    _check_workout(actor, data.get("workout_id"))
    sets = _build_sets(data.pop("sets", []))
    session = TrainingSession(user_id=actor.id, sets=sets, **data)
    db.session.add(session)
    db.session.flush()
    refresh_rollups(session)
    signals.session_logged.send(None, session=session)
    record_personal_records(session)
    invalidate_analytics(actor.id)
    return session


def update_session(actor: User, session_id: int, changes: dict[str, Any]) -> TrainingSession:
    """Change a session of the actor's; `sets` replaces them all. Roll-ups and PRs (signalled) follow."""
    session = _own_session(actor, session_id)
    if "workout_id" in changes:
        _check_workout(actor, changes["workout_id"], current=session.workout_id)
    if "sets" in changes:
        session.sets = _build_sets(changes.pop("sets"), kept_exercise_ids=(s.exercise_id for s in session.sets))
    for field, value in changes.items():
        setattr(session, field, value)
    try:
        check_times(session.started_at, session.ended_at)
    except ma.ValidationError as error:  # the stored and the new values disagree
        raise Invalid(str(error.messages[0]), field="ended_at") from error
    session.updated_at = utcnow()
    db.session.flush()
    refresh_rollups(session)
    record_personal_records(session)
    invalidate_analytics(session.user_id)
    return session


def delete_session(actor: User, session_id: int) -> None:
    """Delete a session of the actor's with its sets and roll-ups (its activities go with it: CASCADE)."""
    session = _own_session(actor, session_id)
    db.session.delete(session)
    db.session.flush()
    invalidate_analytics(session.user_id)


def refresh_rollups(session: TrainingSession) -> None:
    """Rebuild a session's roll-up rows from its sets, in SQL."""
    rebuild_rollups(TrainingSession.id == session.id)


def rebuild_rollups(sessions: sa.ColumnElement[bool]) -> None:
    """Rebuild the roll-ups of the sessions matching a condition: delete, then insert ... select ... group by."""
    chosen = select(TrainingSession.id).where(sessions)
    db.session.execute(sa.delete(SessionExercise).where(SessionExercise.session_id.in_(chosen)))
    db.session.execute(sa.delete(RepBest).where(RepBest.session_id.in_(chosen)))
    lifted = SessionSet.reps >= 1
    weight, reps = SessionSet.weight_kg, SessionSet.reps
    per_session = (SessionSet.session_id, SessionSet.exercise_id, TrainingSession.user_id, TrainingSession.started_at)
    db.session.execute(
        sa.insert(SessionExercise).from_select(
            ROLLUP_INSERT,
            select(
                *per_session,
                sa.func.count(),
                sa.func.coalesce(sa.func.sum(reps), 0),
                sa.func.coalesce(sa.func.sum(sa.func.coalesce(weight, 0) * sa.func.coalesce(reps, 0)), 0),
                sa.func.max(sa.case((lifted, weight))),
                sa.func.max(sa.case((lifted, analytics.epley(weight, reps)))),
            )
            .join(TrainingSession, TrainingSession.id == SessionSet.session_id)
            .where(sessions)
            .group_by(*per_session),
        )
    )
    db.session.execute(
        sa.insert(RepBest).from_select(
            ["session_id", "exercise_id", "user_id", "started_at", "weight_kg", "reps"],
            select(*per_session, weight, sa.func.max(reps))
            .join(TrainingSession, TrainingSession.id == SessionSet.session_id)
            .where(sessions, lifted)
            .group_by(*per_session, weight),
        )
    )


def record_personal_records(session: TrainingSession) -> list[dict[str, Any]]:
    """Find the personal records a session set when it happened and signal them (the feed lists them)."""
    records = analytics.session_records(session.id)
    signals.records_found.send(None, session=session, records=records)
    return records


# ---- measurements


def list_measurements(
    actor: User,
    user_id: int | None = None,
    type: MeasurementType | None = None,  # the API's filter name
    from_: date | datetime | None = None,
    to: date | datetime | None = None,
) -> sa.Select:
    """Select an athlete's measurements, newest first."""
    athlete_id = athlete_id_for(actor, user_id)
    start, end = time_range(from_, to, actor.timezone)
    stmt = select(Measurement).where(Measurement.user_id == athlete_id, *_in_range(Measurement.measured_at, start, end))
    if type is not None:
        stmt = stmt.where(Measurement.type == type)
    return stmt.order_by(Measurement.measured_at.desc(), Measurement.id.desc())


def get_measurement(actor: User, measurement_id: int) -> Measurement:
    """Return a measurement the actor may read, else NotFound."""
    measurement = db.session.get(Measurement, measurement_id)
    if measurement is None or not policy.can_read_logs(actor, measurement.user_id):
        raise NotFound("No such measurement.")
    return measurement


def create_measurement(actor: User, data: dict[str, Any]) -> Measurement:
    """Record a measurement of the actor's; the same type at the same moment twice is a 409."""
    privacy_services.check_health_processing(actor.id)  # 403 once health-data consent is withdrawn
    measurement = Measurement(user_id=actor.id, **data)
    try:
        with db.session.begin_nested():
            db.session.add(measurement)
            db.session.flush()
    except IntegrityError as error:
        raise Conflict(f"You already have a {data['type'].value} measurement at that time.") from error
    invalidate_analytics(actor.id)
    return measurement


def delete_measurement(actor: User, measurement_id: int) -> None:
    """Delete one of the actor's measurements."""
    measurement = get_measurement(actor, measurement_id)
    if not policy.can_write_log(actor, measurement.user_id):
        raise Forbidden("Only the athlete deletes their own measurements.")
    db.session.delete(measurement)
    db.session.flush()
    invalidate_analytics(measurement.user_id)


def analytics_scope(user_id: int) -> str:
    """The response-cache scope of an athlete's progress and stats (stale after any write to their logs)."""
    return f"training:{user_id}"


def on_profile_updated(sender: Any, user_id: int, fields: set[str]) -> None:
    """A new time zone moves the athlete's buckets and days: their cached answers go stale."""
    if "timezone" in fields:
        invalidate_analytics(user_id)


def invalidate_analytics(user_id: int) -> None:
    """Make the athlete's cached progress and stats answers stale once the transaction commits."""
    response_cache.invalidate(analytics_scope(user_id))


# ---- trainer dashboard


def active_clients(trainer: User) -> sa.Select:
    """Select a trainer's active clients by username (their profiles come joined)."""
    if not policy.can_see_dashboard(trainer):
        raise Forbidden("The dashboard is for trainers.")
    ids = accounts_services.active_client_ids(trainer.id)
    return select(User).where(User.id.in_(ids)).order_by(sa.func.lower(User.username), User.id)
