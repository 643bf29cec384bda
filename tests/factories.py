"""Test data builders that go through the services, as the API would."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

from app.accounts import services as accounts_services
from app.accounts.models import CoachingRelationship, CoachingStatus, Role, User
from app.extensions import db

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


def make_user(role: str = "User", username: str | None = None, email: str | None = None, **profile) -> User:
    """Create a committed-for-the-test user with the shared test password."""
    n = next(_seq)
    username = username or f"{role.lower()}{n}"
    user = accounts_services.create_user(email or f"{username}@example.com", username, PASSWORD, Role(role))
    for field, value in profile.items():
        setattr(user.profile, field, value)
    db.session.commit()
    return user


def make_coaching(trainer: User, client: User, status: str = "Active") -> CoachingRelationship:
    """Create a coaching relationship in the given state."""
    relationship = CoachingRelationship(
        trainer_id=trainer.id, client_id=client.id, requested_by_id=client.id, status=CoachingStatus(status)
    )
    db.session.add(relationship)
    db.session.commit()
    return relationship


def make_trainer_circle(make_user, trainer: User, owner: User, client_timezone: str | None = None):
    """The trainer, an active client, a pending and a former client, a stranger, another trainer, an Owner."""
    client = make_user(timezone=client_timezone) if client_timezone else make_user()
    pending, former = make_user(), make_user()
    make_coaching(trainer, client, "Active")
    make_coaching(trainer, pending, "Pending")
    make_coaching(trainer, former, "Ended")
    return SimpleNamespace(
        trainer=trainer,
        author=trainer,  # what the library's tests call them
        client=client,
        pending=pending,
        former=former,
        stranger=make_user(),
        other_trainer=make_user(role="Trainer"),
        owner=owner,
    )


def make_project(owner: User, name: str | None = None, members=(), admins=()):
    """Create a project owned by `owner` with extra Members and Admins, through the services."""
    from app.projects import services as projects_services
    from app.projects.models import MemberRole

    project = projects_services.create_project(owner, name or f"project{next(_seq)}")
    for member in members:
        projects_services.add_member(owner, project.id, member.id, MemberRole.MEMBER)
    for admin in admins:
        projects_services.add_member(owner, project.id, admin.id, MemberRole.ADMIN)
    db.session.commit()
    return project


def make_task(project, creator: User, title: str | None = None, **fields):
    """Create a task from API-style fields (strings for dates and statuses) through the schema and the services."""
    from app.projects import services as projects_services
    from app.projects.schemas import TaskCreateSchema

    data = TaskCreateSchema().load({"title": title or f"task{next(_seq)}", **fields})
    task = projects_services.create_task(creator, project.id, data)
    db.session.commit()
    return task


def make_exercise(creator: User | None = None, name: str | None = None, **fields):
    """Create an exercise (no creator: a starter-library one); defaults to a beginner strength exercise."""
    from app.exercises.models import Category, Difficulty, Exercise

    values = {"category": Category.STRENGTH, "difficulty_level": Difficulty.BEGINNER, "muscles": [], "equipment": []}
    values.update(fields)
    exercise = Exercise(name=name or f"Exercise {next(_seq)}", created_by_id=creator.id if creator else None, **values)
    db.session.add(exercise)
    db.session.commit()
    return exercise


def make_workout(author: User, exercises=(), visibility: str = "Private", title: str | None = None, **fields):
    """Create a workout through the services, one item per exercise (a fresh exercise when none given)."""
    from app.workouts import services as workouts_services
    from app.workouts.models import Visibility

    exercises = list(exercises) or [make_exercise()]
    items = [{"exercise_id": ex.id, "position": i + 1, "sets": 3, "reps": 10} for i, ex in enumerate(exercises)]
    data = {"title": title or f"workout{next(_seq)}", "visibility": Visibility(visibility), "items": items, **fields}
    workout = workouts_services.create_workout(author, data)
    db.session.commit()
    return workout


def make_plan(author: User, schedule=(), visibility: str = "Private", weeks: int = 4, title: str | None = None):
    """Create a plan through the services; `schedule` is a list of (week, day, workout)."""
    from app.workouts import services as workouts_services
    from app.workouts.models import Visibility

    entries = [{"week": week, "day": day, "workout_id": workout.id} for week, day, workout in schedule]
    data = {
        "title": title or f"plan{next(_seq)}",
        "weeks": weeks,
        "visibility": Visibility(visibility),
        "schedule": entries,
    }
    plan = workouts_services.create_plan(author, data)
    db.session.commit()
    return plan


def make_session(user: User, started_at, sets=(), **fields):
    """Log a training session through the services; `sets` are dicts (exercise_id, reps, weight_kg...)."""
    from app.training import services as training_services

    numbered, counts = [], {}
    for item in sets:
        counts[item["exercise_id"]] = counts.get(item["exercise_id"], 0) + 1
        numbered.append({"set_number": counts[item["exercise_id"]], **item})
    session = training_services.create_session(user, {"started_at": started_at, "sets": numbered, **fields})
    db.session.commit()
    return session


def make_measurement(user: User, type: str, value: float, measured_at):
    """Record a body measurement through the services."""
    from app.training import services as training_services
    from app.training.models import MeasurementType

    data = {"type": MeasurementType(type), "value": value, "measured_at": measured_at}
    measurement = training_services.create_measurement(user, data)
    db.session.commit()
    return measurement


def make_event(owner: User, start, minutes: int = 60, creator: User | None = None, **fields):
    """Create a calendar event through the services (`start` aware; `fields` as the API takes them)."""
    from datetime import timedelta

    from app.calendar import services as calendar_services

    data = {"title": f"event{next(_seq)}", "start_time": start, "end_time": start + timedelta(minutes=minutes)}
    data.update(fields)
    if creator is not None and creator.id != owner.id:
        data["user_id"] = owner.id
    event = calendar_services.create_event(creator or owner, data)
    db.session.commit()
    return event
