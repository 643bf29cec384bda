"""The rules of calendars: events and their series, occurrence lists, plan assignments, the feed token, connections.

Every event change refreshes the event's pending reminders (`reminders.refill`) and, once committed,
enqueues the push of the event to the owner's connected calendars (`tasks.push_event`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import select

from app.accounts import services as accounts_services
from app.accounts.models import User
from app.calendar import adherence, policy, recurrence, reminders
from app.calendar.models import CalendarConnection, Event, FeedToken, PlanAssignment, Provider
from app.core.columns import utcnow
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.security import new_token, token_digest
from app.core.time import time_range, zone
from app.core.unit_of_work import after_commit
from app.extensions import db
from app.workouts import services as workouts_services
from app.workouts.models import Plan

EVENT_FIELDS = ("title", "description", "start_time", "end_time", "timezone", "location", "workout_id", "rrule")
MAX_RANGE = timedelta(days=366)
MAX_DURATION = timedelta(days=31)

# ---- reading


def get_event(actor: User, event_id: int) -> Event:
    """Return an event the actor may read, else NotFound."""
    event = db.session.get(Event, event_id)
    if event is None or not policy.can_read_event(actor, event):
        raise NotFound("No such event.")
    return event


def _editable_event(actor: User, event_id: int) -> Event:
    event = get_event(actor, event_id)
    if not policy.can_edit_event(actor, event):
        raise Forbidden("Only the calendar's owner, or the trainer who created the event, may change it.")
    return event


def _calendar_owner_id(actor: User, user_id: int | None) -> int:
    """Whose calendar is read: the actor's, or (403) one they may not read; 404 for no such user."""
    if user_id is None or user_id == actor.id:
        return actor.id
    owner = accounts_services.get_user(user_id)
    if not policy.can_read_calendar(actor, owner.id):
        raise Forbidden("You may only see your own calendar or your active clients'.")
    return owner.id


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of an event: the event's fields plus `occurrence_start`/`occurrence_end`."""

    event: Event
    occurrence_start: datetime
    occurrence_end: datetime

    def __getattr__(self, name: str) -> Any:
        return getattr(self.event, name)


def _range(start: date | datetime, end: date | datetime, tz_name: str) -> tuple[datetime, datetime]:
    """Turn `from`/`to` into an inclusive UTC range of at most 366 days; plain dates are days in `tz_name`."""
    start, end_exclusive = time_range(start, end, tz_name)
    start, end = start.astimezone(UTC), (end_exclusive - timedelta(microseconds=1)).astimezone(UTC)
    if end - start > MAX_RANGE:
        raise Invalid("The range spans at most 366 days.", field="to", location="query")
    return start, end


def list_occurrences(
    actor: User, start: date | datetime, end: date | datetime, user_id: int | None = None
) -> list[Occurrence]:
    """Return the occurrences overlapping [from, to] in a calendar, recurrences expanded, by start."""
    owner_id = _calendar_owner_id(actor, user_id)
    window_from, window_to = _range(start, end, actor.timezone)
    stmt = select(Event).where(
        Event.user_id == owner_id,
        Event.start_time <= window_to,
        sa.or_(Event.series_end.is_(None), Event.series_end > window_from),
    )
    try:
        found = [
            Occurrence(event, occ_start, occ_end)
            for event in db.session.execute(stmt).scalars()
            for occ_start, occ_end in recurrence.overlapping(
                event.start_time, event.end_time, event.rrule, event.timezone, window_from, window_to
            )
        ]
    except recurrence.TooManyOccurrences as error:
        raise Invalid(f"{error} Ask for a shorter range.", field="to", location="query") from error
    return sorted(found, key=lambda occurrence: (occurrence.occurrence_start, occurrence.event.id))


# ---- writing


def _check_workout(actor: User, workout_id: int) -> None:
    try:
        workouts_services.get_workout(actor, workout_id)
    except NotFound as error:
        raise Invalid("No such workout, or you may not see it.", field="workout_id") from error


def _apply(actor: User, event: Event, changes: dict[str, Any], current_workout_id: int | None = None) -> None:
    """Set validated fields on an event and check what needs the whole event: times, rule, workout."""
    workout_id = changes.get("workout_id")
    if workout_id is not None and workout_id != current_workout_id:
        _check_workout(actor, workout_id)
    for field, value in changes.items():
        setattr(event, field, value)
    if "reminders" in changes:
        event.reminders = sorted(set(changes["reminders"]), reverse=True)
    event.start_time = event.start_time.replace(microsecond=0)
    event.end_time = event.end_time.replace(microsecond=0)
    if event.end_time <= event.start_time:
        raise Invalid("Must be after start_time.", field="end_time")
    if event.end_time - event.start_time >= MAX_DURATION:
        raise Invalid("An event lasts less than 31 days.", field="end_time")
    if event.rrule:
        try:
            event.rrule = recurrence.normalise(event.rrule, event.start_time, event.timezone)
        except recurrence.RuleError as error:
            raise Invalid(str(error), field="rrule") from error
    event.series_end = recurrence.series_end(event.start_time, event.end_time, event.rrule, event.timezone)


def _saved(event: Event) -> Event:
    """Flush, refresh the event's reminders and push it to connected calendars once committed."""
    db.session.flush()
    reminders.refill(event)
    _push_after_commit(event.user_id, event.id, event.uid)
    return event


def _push_after_commit(user_id: int, event_id: int, uid: str) -> None:
    from app.calendar import tasks

    after_commit(db.session, lambda: tasks.push_event.delay(user_id, event_id, uid))


def create_event(actor: User, data: dict[str, Any]) -> Event:
    """Create an event in your calendar or, as a Trainer, in an active client's."""
    data = dict(data)
    owner_id = data.pop("user_id", None) or actor.id
    owner = actor if owner_id == actor.id else accounts_services.get_user(owner_id)
    if not policy.can_add_to_calendar(actor, owner.id):
        raise Forbidden("Trainers add events only to their active clients' calendars.")
    data.setdefault("timezone", owner.timezone)
    event = Event(user_id=owner.id, created_by_id=actor.id, reminders=[])
    _apply(actor, event, data)
    db.session.add(event)
    return _saved(event)


def update_event(
    actor: User, event_id: int, changes: dict[str, Any], scope: str = "all", occurrence: datetime | None = None
) -> Event:
    """Change an event (the whole series), or split the series at `occurrence` and change what follows."""
    event = _editable_event(actor, event_id)
    if scope == "following" and occurrence != event.start_time:
        return _split(actor, event, changes, occurrence)
    _apply(actor, event, changes, current_workout_id=event.workout_id)
    _bump(event)
    return _saved(event)


def _bump(event: Event) -> None:
    event.sequence += 1
    event.updated_at = utcnow()


def _check_occurrence(event: Event, occurrence: datetime | None) -> datetime:
    if not event.rrule:
        raise Invalid("Only a recurring event has occurrences to split at.", field="occurrence", location="query")
    occurrence = occurrence.replace(microsecond=0)
    if not recurrence.is_occurrence(event.start_time, event.rrule, event.timezone, occurrence):
        raise Invalid("Not the occurrence_start of an occurrence of this event.", field="occurrence", location="query")
    return occurrence


def _end_series_before(event: Event, occurrence: datetime) -> None:
    event.rrule = recurrence.ending_before(event.rrule, occurrence)
    event.series_end = recurrence.series_end(event.start_time, event.end_time, event.rrule, event.timezone)
    _bump(event)
    _saved(event)


def _split(actor: User, event: Event, changes: dict[str, Any], occurrence: datetime | None) -> Event:
    """End the series before `occurrence` and start a new one there with the changes; return the new one."""
    occurrence = _check_occurrence(event, occurrence)
    data = {field: getattr(event, field) for field in EVENT_FIELDS}
    data.update(
        start_time=occurrence,
        end_time=occurrence + (event.end_time - event.start_time),
        rrule=recurrence.continuing_from(event.rrule, event.start_time, event.timezone, occurrence),
        reminders=list(event.reminders),
    )
    data.update(changes)
    following = Event(user_id=event.user_id, created_by_id=event.created_by_id, assignment_id=event.assignment_id)
    _apply(actor, following, data, current_workout_id=event.workout_id)
    _end_series_before(event, occurrence)
    db.session.add(following)
    return _saved(following)


def delete_event(actor: User, event_id: int, scope: str = "all", occurrence: datetime | None = None) -> None:
    """Delete an event (the whole series), or the occurrences from `occurrence` on."""
    event = _editable_event(actor, event_id)
    if scope == "following" and occurrence != event.start_time:
        _end_series_before(event, _check_occurrence(event, occurrence))
        return
    _push_after_commit(event.user_id, event.id, event.uid)
    db.session.delete(event)
    db.session.flush()


# ---- plan assignments


def default_reminders() -> list[int]:
    """The reminders given to the events of an assigned plan (config CALENDAR_DEFAULT_REMINDERS)."""
    values = current_app.config["CALENDAR_DEFAULT_REMINDERS"].split(",")
    return sorted({int(value) for value in values if value.strip()}, reverse=True)


def assign_plan(actor: User, plan_id: int, data: dict[str, Any]) -> PlanAssignment:
    """Assign a plan to an active client: its schedule becomes events in the client's calendar and zone."""
    plan = workouts_services.get_plan(actor, plan_id)
    if not policy.can_assign_plan(actor, plan.created_by_id):
        raise Forbidden("Only the plan's trainer assigns it.")
    if plan.archived_at is not None:
        raise Conflict("The plan has been deleted.")
    client = accounts_services.get_user(data["user_id"])
    if not policy.is_trainer_of(actor, client.id):
        raise Forbidden("Plans are assigned to active clients only.")
    assignment = PlanAssignment(
        plan_id=plan.id,
        user_id=client.id,
        assigned_by_id=actor.id,
        start_date=data["start_date"],
        start_time=data["start_time"].replace(microsecond=0),
        duration_minutes=data["duration_minutes"],
        timezone=client.timezone,
    )
    db.session.add(assignment)
    db.session.flush()
    reminder_minutes = data["reminders"] if "reminders" in data else default_reminders()
    events = [_assigned_event(assignment, entry, plan.title, reminder_minutes) for entry in plan.schedule]
    db.session.add_all(events)
    db.session.flush()
    for event in events:
        reminders.refill(event)
        _push_after_commit(event.user_id, event.id, event.uid)
    return with_adherence([assignment])[0]


def _assigned_event(assignment: PlanAssignment, entry: Any, plan_title: str, minutes: list[int]) -> Event:
    day = assignment.start_date + timedelta(days=(entry.week - 1) * 7 + entry.day - 1)
    start = datetime.combine(day, assignment.start_time, tzinfo=zone(assignment.timezone)).astimezone(UTC)
    end = start + timedelta(minutes=assignment.duration_minutes)
    return Event(
        user_id=assignment.user_id,
        created_by_id=assignment.assigned_by_id,
        assignment_id=assignment.id,
        title=entry.workout.title,
        description=f"{plan_title}: week {entry.week}, day {entry.day}",
        start_time=start,
        end_time=end,
        series_end=end,
        timezone=assignment.timezone,
        workout_id=entry.workout_id,
        reminders=sorted(set(minutes), reverse=True),
    )


def list_assignments(actor: User, user_id: int | None = None, plan_id: int | None = None) -> sa.Select:
    """Select my assignments and, for a trainer, those of my active clients; newest first."""
    mine = PlanAssignment.user_id == actor.id
    clients = PlanAssignment.user_id.in_(accounts_services.active_client_ids(actor.id))
    stmt = select(PlanAssignment).where(sa.or_(mine, clients) if policy.is_trainer(actor) else mine)
    if user_id is not None:
        stmt = stmt.where(PlanAssignment.user_id == user_id)
    if plan_id is not None:
        stmt = stmt.where(PlanAssignment.plan_id == plan_id)
    return stmt.order_by(PlanAssignment.created_at.desc(), PlanAssignment.id.desc())


def with_adherence(assignments: list[PlanAssignment]) -> list[PlanAssignment]:
    """Attach plan titles and adherence figures to a page of assignments, in two queries."""
    if not assignments:
        return assignments
    figures = adherence.figures([a.id for a in assignments], utcnow())
    titles = _plan_titles(assignments)
    for assignment in assignments:
        total, to_date, completed = figures.get(assignment.id, (0, 0, 0))
        assignment.plan_title = titles.get(assignment.plan_id)
        assignment.scheduled_total, assignment.scheduled_to_date, assignment.completed = total, to_date, completed
        assignment.adherence = round(100 * completed / to_date, 1) if to_date else None
    return assignments


def adherence_by_client(trainer_id: int, client_ids: list[int]) -> dict[int, float | None]:
    """Adherence % of each client to the plans this trainer assigned them (None: nothing due yet); 2 queries."""
    stmt = select(PlanAssignment.id, PlanAssignment.user_id).where(
        PlanAssignment.assigned_by_id == trainer_id, PlanAssignment.user_id.in_(client_ids)
    )
    owners = dict(db.session.execute(stmt).all())
    figures = adherence.figures(list(owners), utcnow()) if owners else {}
    due: dict[int, int] = {}
    done: dict[int, int] = {}
    for assignment_id, (_total, to_date, completed) in figures.items():
        client_id = owners[assignment_id]
        due[client_id] = due.get(client_id, 0) + to_date
        done[client_id] = done.get(client_id, 0) + completed
    return {cid: (round(100 * done[cid] / due[cid], 1) if due.get(cid) else None) for cid in client_ids}


def _plan_titles(assignments: list[PlanAssignment]) -> dict[int, str]:
    ids = {assignment.plan_id for assignment in assignments}
    return dict(db.session.execute(select(Plan.id, Plan.title).where(Plan.id.in_(ids))).tuples().all())


# ---- feed


def rotate_feed_token(actor: User) -> str:
    """Issue a new secret feed token for the actor; the previous URL stops working."""
    token = new_token()
    feed = db.session.get(FeedToken, actor.id)
    if feed is None:
        db.session.add(FeedToken(user_id=actor.id, token_hash=token_digest(token)))
    else:
        feed.token_hash, feed.created_at = token_digest(token), utcnow()
    db.session.flush()
    return token


def feed_events(token: str) -> list[Event]:
    """Return the events of the calendar a feed token opens, else NotFound."""
    user_id = db.session.scalar(select(FeedToken.user_id).where(FeedToken.token_hash == token_digest(token)))
    if user_id is None:
        raise NotFound("No such calendar feed.")
    return list(db.session.execute(select(Event).where(Event.user_id == user_id).order_by(Event.id)).scalars())


# ---- connections


def list_connections(actor: User) -> sa.Select:
    """Select the actor's connected calendars."""
    return select(CalendarConnection).where(CalendarConnection.user_id == actor.id).order_by(CalendarConnection.id)


def connect_calendar(actor: User, data: dict[str, Any]) -> CalendarConnection:
    """Verify and store a connection to an external calendar, then push every event to it."""
    from app.calendar import sync, tasks

    provider = data["provider"]
    _check_not_connected(actor, provider, data.get("url"))
    credentials = sync.verify(provider, data)
    connection = CalendarConnection(user_id=actor.id, provider=provider, url=data.get("url"), credentials=credentials)
    db.session.add(connection)
    db.session.flush()
    connection_id = connection.id
    after_commit(db.session, lambda: tasks.push_all_events.delay(connection_id))
    return connection


def _check_not_connected(actor: User, provider: Provider, url: str | None) -> None:
    stmt = select(CalendarConnection.id).where(
        CalendarConnection.user_id == actor.id, CalendarConnection.provider == provider
    )
    if provider == Provider.CALDAV:
        stmt = stmt.where(CalendarConnection.url == url)
    if db.session.execute(stmt).first():
        raise Conflict("This calendar is already connected.")


def disconnect_calendar(actor: User, connection_id: int) -> None:
    """Forget a connection (events already pushed stay in the external calendar)."""
    connection = db.session.get(CalendarConnection, connection_id)
    if connection is None or connection.user_id != actor.id:
        raise NotFound("No such calendar connection.")
    db.session.delete(connection)
    db.session.flush()
