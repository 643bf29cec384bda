"""`flask seed demo`: the demo practice, created once, through the services (and never by `seed all`)."""

from __future__ import annotations

import sqlalchemy as sa

from app.accounts.models import CoachingRelationship, CoachingStatus, User
from app.calendar.models import Event, PlanAssignment
from app.chat.models import Message
from app.extensions import db
from app.ops import demo
from app.projects.models import Project, ProjectMember, Task
from app.social.models import Activity
from app.training.models import TrainingSession


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_seed_demo_creates_the_practice_and_prints_the_logins(app):
    result = app.test_cli_runner().invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output
    assert "Demo data created." in result.output
    for _role, _username, email in demo.ACCOUNTS:
        assert f"{email}" in result.output
    assert f"password: {demo.PASSWORD}" in result.output

    users = {u.username: u for u in db.session.scalars(sa.select(User))}
    assert {name: users[name].role.value for _r, name, _e in demo.ACCOUNTS} == {
        "demo_owner": "Owner",
        "coach_casey": "Trainer",
        "alex_lifts": "User",
        "sam_runs": "User",
    }
    trainer, alex, sam = users["coach_casey"], users["alex_lifts"], users["sam_runs"]
    active = CoachingRelationship.status == CoachingStatus.ACTIVE
    assert count(CoachingRelationship, active, CoachingRelationship.trainer_id == trainer.id) == 2
    for client in (alex, sam):
        assert count(PlanAssignment, PlanAssignment.user_id == client.id) == 1
        assert count(Event, Event.user_id == client.id) == 12  # 4 weeks x 3 days
        assert count(TrainingSession, TrainingSession.user_id == client.id) == 3
        assert count(Activity, Activity.user_id == client.id, Activity.type == "personal_record") >= 1
    assert count(Message) == len(demo.CHAT)
    project = db.session.scalar(sa.select(Project).where(Project.name == "Spring challenge"))
    assert count(ProjectMember, ProjectMember.project_id == project.id) == 3
    assert count(Task, Task.project_id == project.id) == len(demo.TASKS)


def test_seed_demo_again_changes_nothing(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    before = [count(model) for model in (User, Event, TrainingSession, Message, Task)]
    again = runner.invoke(args=["seed", "demo"])
    assert again.exit_code == 0 and "Demo data already there." in again.output
    assert [count(model) for model in (User, Event, TrainingSession, Message, Task)] == before


def test_seed_all_loads_no_demo_data(app):
    result = app.test_cli_runner().invoke(args=["seed", "all"])
    assert result.exit_code == 0, result.output
    assert count(User) == 0
    assert count(sa.table("exercises")) > 100
