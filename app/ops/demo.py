"""`flask seed demo`: a small coaching practice to try the API with (idempotent; never part of `seed all`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import click
import sqlalchemy as sa

from app.accounts import services as accounts_services
from app.accounts.models import Role, User
from app.calendar import schemas as calendar_schemas
from app.calendar import services as calendar_services
from app.chat import services as chat_services
from app.core.columns import utcnow
from app.exercises import services as exercises_services
from app.exercises.models import Exercise
from app.extensions import db
from app.projects import schemas as projects_schemas
from app.projects import services as projects_services
from app.training import schemas as training_schemas
from app.training import services as training_services
from app.workouts import schemas as workouts_schemas
from app.workouts import services as workouts_services

PASSWORD = "spotter-demo"
# (role, username, email); the first is the marker: when it exists, the demo is there.
ACCOUNTS = (
    ("Owner", "demo_owner", "owner@demo.spotter.local"),
    ("Trainer", "coach_casey", "coach@demo.spotter.local"),
    ("User", "alex_lifts", "alex@demo.spotter.local"),
    ("User", "sam_runs", "sam@demo.spotter.local"),
)
EXERCISES = ("Barbell Squat", "Barbell Bench Press - Medium Grip", "Barbell Deadlift")
CHAT = (
    (2, 1, "Hi Casey! Looking forward to the new plan."),
    (1, 2, "Welcome aboard, Alex. Monday's session is in your calendar."),
    (2, 1, "Squats felt heavy today but I hit all my sets."),
    (1, 2, "Great work: that's a new best. Rest well tomorrow."),
)
TASKS = (
    ("Log three sessions this week", "In Progress", 2),
    ("Send your weekly check-in photo", "Pending", 3),
    ("Book the spring assessment", "Completed", None),
)


@click.command("demo")
def seed_demo() -> None:
    """Create the demo practice (an Owner, a trainer, two clients and their data) unless it exists."""
    created = load_demo()
    db.session.commit()
    click.echo("Demo data created." if created else "Demo data already there.")
    for role, username, email in ACCOUNTS:
        click.echo(f"  {role:<8} {email:<28} password: {PASSWORD}   ({username})")


def load_demo() -> bool:
    """Create the demo data unless its Owner exists; return whether it was created."""
    if accounts_services.find_user_by_email(ACCOUNTS[0][2]) is not None:
        return False
    exercises_services.seed_starter_library()
    owner, trainer, *clients = _accounts()
    for client in clients:
        relationship = accounts_services.request_coaching(trainer, client_id=client.id)
        accounts_services.respond_to_coaching(client, relationship.id, accept=True)
    exercises = _exercises()
    workout, plan = _workout_and_plan(trainer, exercises)
    for client in clients:
        _assign(trainer, plan, client)
        _sessions(client, workout, exercises)
    for sender, receiver, content in CHAT:
        people = (owner, trainer, *clients)
        chat_services.send_message(people[sender], people[receiver].id, content)
    _project(trainer, clients)
    db.session.flush()
    return True


def _accounts() -> list[User]:
    users = []
    for role, username, email in ACCOUNTS:
        if role == "Owner":
            users.append(accounts_services.create_owner(email, username, PASSWORD))
        else:
            users.append(accounts_services.create_user(email, username, PASSWORD, Role(role)))
    return users


def _exercises() -> list[Exercise]:
    found = db.session.scalars(sa.select(Exercise).where(Exercise.name.in_(EXERCISES))).all()
    by_name = {exercise.name: exercise for exercise in found}
    if len(by_name) < len(EXERCISES):  # a library without those names: any three starters will do
        return list(db.session.scalars(sa.select(Exercise).order_by(Exercise.id).limit(len(EXERCISES))))
    return [by_name[name] for name in EXERCISES]


def _workout_and_plan(trainer: User, exercises: list[Exercise]) -> tuple[Any, Any]:
    items = [
        {"exercise_id": exercise.id, "position": n, "sets": 3, "reps": 8, "rest_s": 120}
        for n, exercise in enumerate(exercises, start=1)
    ]
    workout = workouts_services.create_workout(
        trainer,
        workouts_schemas.WorkoutCreateSchema().load(
            {"title": "Full body A", "description": "The three big lifts.", "visibility": "Clients", "items": items}
        ),
    )
    db.session.flush()
    schedule = [{"week": week, "day": day, "workout_id": workout.id} for week in (1, 2, 3, 4) for day in (1, 3, 5)]
    plan = workouts_services.create_plan(
        trainer,
        workouts_schemas.PlanCreateSchema().load(
            {"title": "Strength foundations", "weeks": 4, "visibility": "Clients", "schedule": schedule}
        ),
    )
    db.session.flush()
    return workout, plan


def _assign(trainer: User, plan: Any, client: User) -> None:
    start = (utcnow() - timedelta(days=2)).date().isoformat()
    data = calendar_schemas.AssignmentCreateSchema().load({"user_id": client.id, "start_date": start})
    calendar_services.assign_plan(trainer, plan.id, data)


def _sessions(client: User, workout: Any, exercises: list[Exercise]) -> None:
    """Three sessions over the last week, a little heavier each time (so there are records)."""
    for days_ago, weight in ((6, 60.0), (4, 62.5), (2, 65.0)):
        started = (utcnow() - timedelta(days=days_ago)).replace(microsecond=0)
        sets = [
            {"exercise_id": exercise.id, "set_number": n, "reps": 8, "weight_kg": weight + 20 * i}
            for i, exercise in enumerate(exercises)
            for n in (1, 2, 3)
        ]
        data = {
            "workout_id": workout.id,
            "started_at": started.isoformat(),
            "ended_at": (started + timedelta(minutes=55)).isoformat(),
            "perceived_exertion": 7,
            "sets": sets,
        }
        training_services.create_session(client, training_schemas.SessionCreateSchema().load(data))
        db.session.flush()


def _project(trainer: User, clients: list[User]) -> None:
    project = projects_services.create_project(trainer, "Spring challenge", "Eight weeks to the spring assessment.")
    db.session.flush()
    for client in clients:
        projects_services.add_member(trainer, project.id, client.id)
    today = utcnow().date()
    for title, status, due_in_days in TASKS:
        fields: dict[str, Any] = {"title": title, "status": status, "assignee_id": clients[0].id}
        if due_in_days is not None:
            fields["due_date"] = (today + timedelta(days=due_in_days)).isoformat()
        projects_services.create_task(trainer, project.id, projects_schemas.TaskCreateSchema().load(fields))
