"""Seed the task benchmark: 100,000 tasks in 1,000 projects of 50 members each, with bulk inserts.

    python bench/seed_tasks.py postgresql://postgres@127.0.0.1:5432/spotter_bench [--migrate]

Users `bench0..bench999@bench.spotter.local` share one password; each is a member of 50 projects, so the
benchmark user sees 5,000 tasks and is assigned about 90 of them. Due dates spread over +-60 days around
today, statuses 50% Pending / 20% In Progress / 30% Completed, 10% without due date or assignee.
Prints one JSON line at the end: the login, and ids of tasks the benchmark user may update.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa

from app import create_app
from app.accounts.models import Profile, User
from app.core.columns import utcnow
from app.core.security import hash_password
from app.extensions import db
from app.projects.models import Project, ProjectMember, Task
from config import database_url

PASSWORD = "bench-password-1"
EMAIL = "bench{}@bench.spotter.local"
TIMEZONES = ["UTC", "Europe/Berlin", "America/Los_Angeles", "Pacific/Auckland", "Asia/Kolkata"]
CHUNK = 5000


def main() -> None:
    """Parse arguments, build the app on the given database, and seed it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url")
    parser.add_argument("--migrate", action="store_true", help="run `db upgrade heads` first")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    if args.users % args.members or args.members > args.users:
        parser.error("--users must be a multiple of --members (members are spread evenly)")

    app = create_app("development", SQLALCHEMY_DATABASE_URI=database_url(args.database_url), LOG_LEVEL="WARNING")
    with app.app_context():
        if args.migrate:
            from flask_migrate import upgrade

            upgrade(revision="heads")
        if db.session.scalar(sa.select(User.id).where(User.email == EMAIL.format(0))):
            print(json.dumps(summary(), indent=None))
            print("already seeded; drop the database to seed again", file=sys.stderr)
            return
        started = time.monotonic()
        seed(random.Random(args.seed), args.users, args.projects, args.members, args.tasks)
        print(f"seeded in {time.monotonic() - started:.1f}s", file=sys.stderr)
        print(json.dumps(summary()))


def insert(table: sa.Table, rows: list[dict], returning: sa.Column | None = None) -> list:
    """Bulk-insert rows in chunks; return the generated ids in row order when asked."""
    ids: list = []
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        if returning is None:
            db.session.execute(sa.insert(table), chunk)
        else:
            stmt = sa.insert(table).returning(returning, sort_by_parameter_order=True)
            ids.extend(db.session.scalars(stmt, chunk).all())
    return ids


def seed(rng: random.Random, n_users: int, n_projects: int, n_members: int, n_tasks: int) -> None:
    """Insert users, projects, memberships and tasks, then analyze the tables."""
    password_hash = hash_password(PASSWORD)
    users = insert(
        User.__table__,
        [{"email": EMAIL.format(i), "username": f"bench{i}", "password_hash": password_hash} for i in range(n_users)],
        returning=User.__table__.c.id,
    )
    insert(
        Profile.__table__, [{"user_id": uid, "timezone": TIMEZONES[i % len(TIMEZONES)]} for i, uid in enumerate(users)]
    )

    # Project p's members: users p, p + s, p + 2s... (mod n_users) with s = n_users / n_members, so every user
    # is in the same number of projects; the first is the owner (Admin), the next two are Admins too.
    stride = n_users // n_members
    rosters = [[users[(p + j * stride) % n_users] for j in range(n_members)] for p in range(n_projects)]
    projects = insert(
        Project.__table__,
        [{"name": f"Bench project {p}", "owner_id": roster[0]} for p, roster in enumerate(rosters)],
        returning=Project.__table__.c.id,
    )
    insert(
        ProjectMember.__table__,
        [
            {"project_id": pid, "user_id": uid, "role": "Admin" if j < 3 else "Member"}
            for pid, roster in zip(projects, rosters, strict=True)
            for j, uid in enumerate(roster)
        ],
    )
    insert(Task.__table__, list(task_rows(rng, projects, rosters, n_tasks)))
    db.session.commit()
    with db.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("ANALYZE users, profiles, projects, project_members, tasks"))


def task_rows(rng: random.Random, projects: list[int], rosters: list[list[int]], n_tasks: int):
    """Yield task rows spread evenly over the projects."""
    now = utcnow()
    today = now.date()
    statuses = ["Pending"] * 5 + ["In Progress"] * 2 + ["Completed"] * 3
    for n in range(n_tasks):
        p = n % len(projects)
        status = rng.choice(statuses)
        yield {
            "project_id": projects[p],
            "title": f"Task {n}: {rng.choice(['Squat', 'Log weight', 'Stretch', 'Run 5k', 'Plan week'])}",
            "description": None,
            "status": status,
            "due_date": None if rng.random() < 0.1 else today + timedelta(days=rng.randint(-60, 60)),
            "assignee_id": None if rng.random() < 0.1 else rng.choice(rosters[p]),
            "created_by": rosters[p][0],
            "completed_at": now if status == "Completed" else None,
            "created_at": now,
            "updated_at": now,
        }


def summary() -> dict:
    """The benchmark login and a few facts about what it sees."""
    user_id = db.session.scalar(sa.select(User.id).where(User.email == EMAIL.format(0)))
    mine = sa.select(ProjectMember.project_id).where(ProjectMember.user_id == user_id)
    task_ids = db.session.scalars(
        sa.select(Task.id).where(Task.project_id.in_(mine)).order_by(Task.id).limit(200)
    ).all()
    counts = {
        "tasks": db.session.scalar(sa.select(sa.func.count()).select_from(Task)),
        "projects": db.session.scalar(sa.select(sa.func.count()).select_from(Project)),
        "visible_tasks": db.session.scalar(sa.select(sa.func.count()).where(Task.project_id.in_(mine))),
        "assigned_tasks": db.session.scalar(
            sa.select(sa.func.count()).where(Task.project_id.in_(mine), Task.assignee_id == user_id)
        ),
    }
    return {"email": EMAIL.format(0), "password": PASSWORD, "user_id": user_id, "task_ids": task_ids, **counts}


if __name__ == "__main__":
    main()


def bench_seed(app, out) -> None:
    """bench/prepare.py hook: seed once into the bench database; write the task user's token and a task id."""
    from app.accounts import services as accounts_services

    if not db.session.scalar(sa.select(User.id).where(User.email == EMAIL.format(0))):
        seed(random.Random(4), 1000, 1000, 50, 100_000)
        db.session.commit()
    facts = summary()
    user = accounts_services.get_user(facts["user_id"])
    (out / "tasks_token").write_text(accounts_services.issue_tokens(user)["access_token"])
    (out / "tasks_task_id").write_text(str(facts["task_ids"][0]))
    db.session.commit()
