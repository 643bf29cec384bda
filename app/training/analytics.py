"""Progress series, personal records, stats and the trainer dashboard, aggregated in SQL.

Everything reads the per-session roll-ups (`SessionExercise`, `RepBest`, see models.py), so the
cost of a progress chart grows with the sessions of that one exercise, not with every set.

Days, weeks and months are the athlete's: on PostgreSQL the buckets and streak days are
`date_trunc(bucket, timezone(tz, started_at))` in the query itself. SQLite (the embedded demo
mode) has no time-zone database, so there the same per-session roll-up rows (already summed
in SQL, one row per session) are put into local buckets in Python; that is the documented
simpler path, and PostgreSQL, which the tests and production run, never takes it.

A personal record is an exercise's heaviest weight or best estimated 1RM beating every
earlier session of that exercise (by start time); a first-ever session sets no record.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import aliased

from app.accounts.models import User
from app.chat import services as chat_services
from app.core.columns import utcnow
from app.core.time import zone
from app.exercises.models import Exercise
from app.extensions import db
from app.projects import services as projects_services
from app.training import signals
from app.training.models import Measurement, RepBest, SessionExercise, TrainingSession
from app.training.schemas import MEASUREMENT_RULES

RECENT_RECORDS_DAYS = 30
RECENT_RECORDS_SHOWN = 50


def epley(weight: Any, reps: Any) -> sa.ColumnElement:
    """SQL for Epley's estimated one-rep max, w * (1 + reps/30), rounded to 0.01 kg."""
    return sa.func.round(sa.cast(weight, sa.Numeric) * (1 + sa.cast(reps, sa.Numeric) / 30), 2)


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _float(value: Any) -> float | None:
    return None if value is None else round(float(value), 2)


def local_date(moment: datetime, tz_name: str | None) -> date:
    """The calendar day of an instant in a time zone."""
    return moment.astimezone(zone(tz_name)).date()


def bucket_start(day: date, bucket: str) -> date:
    """The first day of the day/ISO week (Monday)/month holding `day`."""
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def local_midnight(day: date, tz_name: str | None) -> datetime:
    """The instant a local day starts in a time zone."""
    return datetime.combine(day, time.min, tzinfo=zone(tz_name))


# ---- progress


def progress(
    athlete: User, exercise: Exercise, bucket: str, start: datetime | None = None, end: datetime | None = None
) -> dict[str, Any]:
    """The exercise's series by bucket in the athlete's time zone, and their all-time personal records."""
    return {
        "exercise": exercise,
        "user_id": athlete.id,
        "bucket": bucket,
        "timezone": athlete.timezone,
        "series": series(athlete.id, exercise.id, bucket, athlete.timezone, start, end),
        "personal_records": personal_records(athlete.id, exercise.id, athlete.timezone),
    }


def _exercise_rows(athlete_id: int, exercise_id: int, start: datetime | None, end: datetime | None) -> list:
    conditions = [SessionExercise.user_id == athlete_id, SessionExercise.exercise_id == exercise_id]
    if start is not None:
        conditions.append(SessionExercise.started_at >= start)
    if end is not None:
        conditions.append(SessionExercise.started_at < end)
    return conditions


def series(
    athlete_id: int, exercise_id: int, bucket: str, tz_name: str, start: datetime | None, end: datetime | None
) -> list[dict[str, Any]]:
    """Max weight, best e1RM, volume, sets and reps per bucket; empty buckets are left out."""
    conditions = _exercise_rows(athlete_id, exercise_id, start, end)
    if not _postgres():
        return _series_in_python(conditions, bucket, tz_name)
    rows = select(
        sa.func.timezone(tz_name, SessionExercise.started_at).label("local"),
        SessionExercise.max_weight_kg,
        SessionExercise.best_1rm_kg,
        SessionExercise.volume_kg,
        SessionExercise.sets,
        SessionExercise.reps,
    ).where(*conditions)
    rows = rows.subquery()
    # `bucket` is one of day/week/month (validated), so it is safe as SQL text; one expression, grouped by.
    period = sa.cast(sa.func.date_trunc(sa.literal_column(f"'{bucket}'"), rows.c.local), sa.Date).label("period")
    stmt = (
        select(
            period,
            sa.func.max(rows.c.max_weight_kg),
            sa.func.max(rows.c.best_1rm_kg),
            sa.func.sum(rows.c.volume_kg),
            sa.func.sum(rows.c.sets),
            sa.func.sum(rows.c.reps),
        )
        .group_by(period)
        .order_by(period)
    )
    return [_point(*row) for row in db.session.execute(stmt)]


def _point(period: date, max_weight: Any, best_1rm: Any, volume: Any, sets: Any, reps: Any) -> dict[str, Any]:
    return {
        "period": period,
        "max_weight_kg": _float(max_weight),
        "est_1rm_kg": _float(best_1rm),
        "volume_kg": _float(volume) or 0.0,
        "sets": int(sets),
        "reps": int(reps),
    }


def _series_in_python(conditions: list, bucket: str, tz_name: str) -> list[dict[str, Any]]:
    """SQLite only: bucket the per-session roll-up rows by local day in Python (no tz data in SQLite)."""
    stmt = select(
        SessionExercise.started_at,
        SessionExercise.max_weight_kg,
        SessionExercise.best_1rm_kg,
        SessionExercise.volume_kg,
        SessionExercise.sets,
        SessionExercise.reps,
    ).where(*conditions)
    buckets: dict[date, list] = {}
    for started_at, weight, best, volume, sets, reps in db.session.execute(stmt):
        acc = buckets.setdefault(bucket_start(local_date(started_at, tz_name), bucket), [None, None, 0.0, 0, 0])
        acc[0], acc[1] = _max(acc[0], weight), _max(acc[1], best)
        acc[2], acc[3], acc[4] = acc[2] + (volume or 0), acc[3] + sets, acc[4] + reps
    return [_point(period, *acc) for period, acc in sorted(buckets.items())]


def _max(a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else max(a, b)


def personal_records(athlete_id: int, exercise_id: int, tz_name: str) -> dict[str, Any]:
    """Heaviest weight, best e1RM, most reps at each weight and most volume in a session, with their sessions."""
    at_weight = _reps_at_weight(athlete_id, exercise_id, tz_name)
    heaviest = next((row for row in at_weight if row["weight_kg"] is not None), None)
    best = next((row for row in at_weight if row["est_1rm_rank"] == 1), None)
    return {
        "heaviest_weight": heaviest,
        "best_est_1rm": best,
        "most_reps_at_weight": at_weight,
        "most_volume_session": _most_volume(athlete_id, exercise_id, tz_name),
    }


def _reps_at_weight(athlete_id: int, exercise_id: int, tz_name: str) -> list[dict[str, Any]]:
    """For each weight, the most reps done at it (earliest session on ties), heaviest first; e1RM ranked."""
    best = select(
        RepBest.weight_kg,
        RepBest.reps,
        RepBest.session_id,
        RepBest.started_at,
        sa.func.row_number()
        .over(
            partition_by=RepBest.weight_kg,
            order_by=(RepBest.reps.desc(), RepBest.started_at, RepBest.session_id),
        )
        .label("rank"),
    ).where(RepBest.user_id == athlete_id, RepBest.exercise_id == exercise_id)
    best = best.subquery()
    est = epley(best.c.weight_kg, best.c.reps)
    stmt = (
        select(
            best.c.weight_kg,
            best.c.reps,
            best.c.session_id,
            best.c.started_at,
            est.label("est_1rm_kg"),
            sa.func.row_number()
            .over(order_by=(est.desc().nulls_last(), best.c.started_at, best.c.session_id))
            .label("est_1rm_rank"),
        )
        .where(best.c.rank == 1)
        .order_by(best.c.weight_kg.desc().nulls_last())
    )
    return [
        {
            "weight_kg": _float(row.weight_kg),
            "reps": row.reps,
            "est_1rm_kg": _float(row.est_1rm_kg),
            "est_1rm_rank": row.est_1rm_rank if row.weight_kg is not None else None,
            "session_id": row.session_id,
            "started_at": row.started_at,
            "date": local_date(row.started_at, tz_name),
        }
        for row in db.session.execute(stmt)
    ]


def _most_volume(athlete_id: int, exercise_id: int, tz_name: str) -> dict[str, Any] | None:
    stmt = (
        select(SessionExercise.volume_kg, SessionExercise.session_id, SessionExercise.started_at)
        .where(*_exercise_rows(athlete_id, exercise_id, None, None), SessionExercise.volume_kg > 0)
        .order_by(SessionExercise.volume_kg.desc(), SessionExercise.started_at, SessionExercise.session_id)
        .limit(1)
    )
    row = db.session.execute(stmt).first()
    if row is None:
        return None
    date_ = local_date(row.started_at, tz_name)
    return {
        "volume_kg": _float(row.volume_kg),
        "session_id": row.session_id,
        "started_at": row.started_at,
        "date": date_,
    }


# ---- personal records as events


def _earlier(later: Any, earlier: Any) -> sa.ColumnElement[bool]:
    """`earlier` is a session of the same athlete and exercise that started before `later` (id breaks ties)."""
    return sa.and_(
        earlier.user_id == later.user_id,
        earlier.exercise_id == later.exercise_id,
        sa.or_(
            earlier.started_at < later.started_at,
            sa.and_(earlier.started_at == later.started_at, earlier.session_id < later.session_id),
        ),
    )


def _records_of(rows: Iterable) -> list[dict[str, Any]]:
    records = []
    for row in rows:
        for kind, value, previous in (
            ("heaviest_weight", row.max_weight_kg, row.prev_weight),
            ("best_est_1rm", row.best_1rm_kg, row.prev_1rm),
        ):
            if value is not None and previous is not None and value > previous:
                records.append(
                    {
                        "exercise_id": row.exercise_id,
                        "kind": kind,
                        "value_kg": _float(value),
                        "previous_kg": _float(previous),
                        "session_id": row.session_id,
                        "started_at": row.started_at,
                    }
                )
    return records


def session_records(session_id: int) -> list[dict[str, Any]]:
    """The records one session set: per exercise, beating the best of every earlier session."""
    later, earlier = SessionExercise, aliased(SessionExercise)
    prev_weight = select(sa.func.max(earlier.max_weight_kg)).where(_earlier(later, earlier)).scalar_subquery()
    prev_1rm = select(sa.func.max(earlier.best_1rm_kg)).where(_earlier(later, earlier)).scalar_subquery()
    stmt = select(
        later.exercise_id,
        later.session_id,
        later.started_at,
        later.max_weight_kg,
        later.best_1rm_kg,
        prev_weight.label("prev_weight"),
        prev_1rm.label("prev_1rm"),
    ).where(later.session_id == session_id)
    return _records_of(db.session.execute(stmt))


def _greater(a: Any, b: Any) -> sa.ColumnElement:
    """The larger of two nullable values, NULL only when both are (portable GREATEST)."""
    return sa.case((a.is_(None), b), (b.is_(None), a), (a > b, a), else_=b)


def recent_records(athlete_id: int, since: datetime) -> list[dict[str, Any]]:
    """Records set since a moment, newest first.

    Each recent session-exercise is compared with the best before it: the best before `since`
    (one aggregate per exercise over the older roll-ups) and a running max over the recent rows
    (a window), so the window never sorts the athlete's whole history.
    """
    se = SessionExercise
    before = (
        select(
            se.exercise_id,
            sa.func.max(se.max_weight_kg).label("weight"),
            sa.func.max(se.best_1rm_kg).label("best_1rm"),
        )
        .where(se.user_id == athlete_id, se.started_at < since)
        .group_by(se.exercise_id)
        .subquery()
    )
    window = {"partition_by": se.exercise_id, "order_by": (se.started_at, se.session_id), "rows": (None, -1)}
    recent = select(
        se.exercise_id,
        se.session_id,
        se.started_at,
        se.max_weight_kg,
        se.best_1rm_kg,
        sa.func.max(se.max_weight_kg).over(**window).label("running_weight"),
        sa.func.max(se.best_1rm_kg).over(**window).label("running_1rm"),
    ).where(se.user_id == athlete_id, se.started_at >= since)
    recent = recent.subquery()
    prev_weight = _greater(recent.c.running_weight, before.c.weight)
    prev_1rm = _greater(recent.c.running_1rm, before.c.best_1rm)
    stmt = (
        select(
            recent.c.exercise_id,
            recent.c.session_id,
            recent.c.started_at,
            recent.c.max_weight_kg,
            recent.c.best_1rm_kg,
            prev_weight.label("prev_weight"),
            prev_1rm.label("prev_1rm"),
        )
        .select_from(recent.outerjoin(before, before.c.exercise_id == recent.c.exercise_id))
        .where(sa.or_(recent.c.max_weight_kg > prev_weight, recent.c.best_1rm_kg > prev_1rm))
        .order_by(recent.c.started_at.desc(), recent.c.session_id.desc(), recent.c.exercise_id)
    )
    return _records_of(db.session.execute(stmt))


# ---- stats


def stats(athlete: User, now: datetime | None = None) -> dict[str, Any]:
    """Sessions and volume this week vs last, streaks, records of the last 30 days, latest measurements."""
    now = now or utcnow()
    tz_name = athlete.timezone
    today = local_date(now, tz_name)
    this_monday = bucket_start(today, "week")
    last_monday = this_monday - timedelta(days=7)
    weeks = _week_figures(athlete.id, tz_name, last_monday)
    records = recent_records(athlete.id, now - timedelta(days=RECENT_RECORDS_DAYS))
    return {
        "user_id": athlete.id,
        "timezone": tz_name,
        "today": today,
        "this_week": {"start": this_monday, **weeks["this"]},
        "last_week": {"start": last_monday, **weeks["last"]},
        "streak": streaks(athlete.id, tz_name, today),
        "personal_records_30d": {"count": len(records), "items": records[:RECENT_RECORDS_SHOWN]},
        "measurements": latest_measurements(athlete.id),
    }


def _week_figures(athlete_id: int, tz_name: str, last_monday: date) -> dict[str, dict[str, Any]]:
    last_start = local_midnight(last_monday, tz_name)
    this_start = local_midnight(last_monday + timedelta(days=7), tz_name)
    next_start = local_midnight(last_monday + timedelta(days=14), tz_name)

    def split(model: Any, value: Any) -> sa.Select:
        this = sa.case((model.started_at >= this_start, value), else_=0)
        last = sa.case((model.started_at < this_start, value), else_=0)
        return select(sa.func.coalesce(sa.func.sum(this), 0), sa.func.coalesce(sa.func.sum(last), 0)).where(
            model.user_id == athlete_id, model.started_at >= last_start, model.started_at < next_start
        )

    sessions = db.session.execute(split(TrainingSession, 1)).one()
    volume = db.session.execute(split(SessionExercise, SessionExercise.volume_kg)).one()
    return {
        "this": {"sessions": int(sessions[0]), "volume_kg": _float(volume[0])},
        "last": {"sessions": int(sessions[1]), "volume_kg": _float(volume[1])},
    }


def streaks(athlete_id: int, tz_name: str, today: date) -> dict[str, Any]:
    """Current and longest runs of consecutive local days with a session (gaps and islands)."""
    if not _postgres():
        return _streaks_in_python(athlete_id, tz_name, today)
    local_day = sa.cast(sa.func.timezone(tz_name, TrainingSession.started_at), sa.Date)
    days = select(local_day.label("day")).where(TrainingSession.user_id == athlete_id).distinct().subquery()
    days = select(days.c.day).where(days.c.day <= today).subquery()
    rank = sa.cast(sa.func.row_number().over(order_by=days.c.day), sa.Integer)
    runs = select(days.c.day, (days.c.day - rank).label("run")).subquery()
    islands = select(sa.func.count().label("length"), sa.func.max(runs.c.day).label("last")).group_by(runs.c.run)
    islands = islands.subquery()
    yesterday = today - timedelta(days=1)
    stmt = select(
        sa.func.max(sa.case((islands.c.last >= yesterday, islands.c.length))),
        sa.func.max(islands.c.length),
        sa.func.max(islands.c.last),
    )
    current, longest, last_day = db.session.execute(stmt).one()
    return {"current_days": current or 0, "longest_days": longest or 0, "last_day": last_day}


def _streaks_in_python(athlete_id: int, tz_name: str, today: date) -> dict[str, Any]:
    """SQLite only: local days computed in Python from the session start times."""
    stmt = select(TrainingSession.started_at).where(TrainingSession.user_id == athlete_id)
    days = sorted({d for d in (local_date(s, tz_name) for s in db.session.scalars(stmt)) if d <= today})
    return streaks_of(days, today)


def streaks_of(days: Sequence[date], today: date) -> dict[str, Any]:
    """Current and longest streak of sorted distinct days (the plain reference of the SQL version)."""
    longest = run = 0
    for index, day in enumerate(days):
        run = run + 1 if index and days[index - 1] == day - timedelta(days=1) else 1
        longest = max(longest, run)
    alive = bool(days) and days[-1] >= today - timedelta(days=1)
    return {"current_days": run if alive else 0, "longest_days": longest, "last_day": days[-1] if days else None}


def latest_measurements(athlete_id: int) -> list[dict[str, Any]]:
    """The latest value of each measurement type with its change from the one before."""
    ordered = {"partition_by": Measurement.type, "order_by": (Measurement.measured_at, Measurement.id)}
    ranked = select(
        Measurement.type,
        Measurement.value,
        Measurement.measured_at,
        sa.func.lag(Measurement.value).over(**ordered).label("previous"),
        sa.func.row_number()
        .over(partition_by=Measurement.type, order_by=(Measurement.measured_at.desc(), Measurement.id.desc()))
        .label("rank"),
    ).where(Measurement.user_id == athlete_id)
    ranked = ranked.subquery()
    rows = db.session.execute(select(ranked).where(ranked.c.rank == 1)).all()
    order = list(MEASUREMENT_RULES)
    return [
        {
            "type": row.type,
            "value": _float(row.value),
            "unit": MEASUREMENT_RULES[row.type][2],
            "measured_at": row.measured_at,
            "previous_value": _float(row.previous),
            "change": None if row.previous is None else _float(float(row.value) - float(row.previous)),
        }
        for row in sorted(rows, key=lambda row: order.index(row.type))
    ]


# ---- trainer dashboard


def dashboard_rows(trainer: User, clients: list[User], now: datetime | None = None) -> list[dict[str, Any]]:
    """One row per client: last session, sessions this (their) week, open tasks, unread messages, adherence.

    Six queries whatever the client count; tasks and messages come from their domains' services, plan
    adherence from the `adherence_asked` signal (calendar answers it; calendar reads training's sessions).
    """
    if not clients:
        return []
    now = now or utcnow()
    ids = [client.id for client in clients]
    last = _last_sessions(ids)
    this_week = _sessions_this_week(clients, now)
    tasks = projects_services.open_task_counts(trainer.id, ids)
    unread = chat_services.unread_from(trainer, ids)
    adherence: dict[int, float | None] = {}
    for _receiver, figures in signals.adherence_asked.send(trainer.id, client_ids=ids):
        adherence |= figures
    return [
        {
            "client": client,
            "timezone": client.timezone,
            "last_session": last.get(client.id),
            "sessions_this_week": this_week.get(client.id, 0),
            "open_tasks": tasks.get(client.id, 0),
            "unread_messages": unread.get(client.id, 0),
            "adherence": adherence.get(client.id),
        }
        for client in clients
    ]


def _last_sessions(ids: list[int]) -> dict[int, dict[str, Any]]:
    """Each client's latest session: a correlated LIMIT 1 per client on (user_id, started_at, id)."""
    latest = (
        select(TrainingSession.id)
        .where(TrainingSession.user_id == User.id)
        .order_by(TrainingSession.started_at.desc(), TrainingSession.id.desc())
        .limit(1)
        .correlate(User)
        .scalar_subquery()
    )
    stmt = (
        select(User.id, TrainingSession.id, TrainingSession.started_at)
        .join(TrainingSession, TrainingSession.id == latest)
        .where(User.id.in_(ids))
    )
    return {user_id: {"id": sid, "started_at": started_at} for user_id, sid, started_at in db.session.execute(stmt)}


def _sessions_this_week(clients: list[User], now: datetime) -> dict[int, int]:
    """Sessions in each client's current week, their own time zone deciding where it starts."""
    windows = []
    for client in clients:
        monday = bucket_start(local_date(now, client.timezone), "week")
        start, end = (
            local_midnight(monday, client.timezone),
            local_midnight(monday + timedelta(days=7), client.timezone),
        )
        windows.append(
            sa.and_(
                TrainingSession.user_id == client.id,
                TrainingSession.started_at >= start,
                TrainingSession.started_at < end,
            )
        )
    stmt = select(TrainingSession.user_id, sa.func.count()).where(sa.or_(*windows)).group_by(TrainingSession.user_id)
    return dict(db.session.execute(stmt).all())
