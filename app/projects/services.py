"""The rules of projects: membership and roles, tasks, their filters, and the events they push."""

from __future__ import annotations

from datetime import date, datetime
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.accounts.models import User
from app.core import response_cache, sockets
from app.core.columns import escape_like, utcnow
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.time import local_today
from app.core.unit_of_work import after_commit
from app.extensions import db
from app.notifications import services as notifications_services
from app.projects import policy
from app.projects.models import STATUS_ORDER, MemberRole, Project, ProjectMember, Task, TaskStatus
from app.projects.schemas import TaskSchema


def project_room(project_id: int) -> str:
    """Name the Socket.IO room of a project's members."""
    return f"project:{project_id}"


# ---- projects


def get_project(actor: User, project_id: int) -> Project:
    """Return a project the actor belongs to, with their role as `my_role`, else NotFound."""
    row = db.session.execute(
        select(Project, ProjectMember.role)
        .join(ProjectMember, ProjectMember.project_id == Project.id)
        .where(Project.id == project_id, ProjectMember.user_id == actor.id)
    ).first()
    if row is None or not policy.can_view(row.role):
        raise NotFound("No such project.")
    row.Project.my_role = row.role
    return row.Project


def list_projects(actor: User, q: str | None = None) -> sa.Select:
    """Select the projects the actor belongs to, oldest first."""
    mine = select(ProjectMember.project_id).where(ProjectMember.user_id == actor.id)
    stmt = select(Project).where(Project.id.in_(mine)).order_by(Project.id)
    if q:
        stmt = stmt.where(Project.name.ilike(f"%{escape_like(q)}%", escape="\\"))
    return stmt


def with_my_role(actor: User, projects: list[Project]) -> list[Project]:
    """Set the actor's role on each project of a page (one query for the page)."""
    roles = dict(
        db.session.execute(
            select(ProjectMember.project_id, ProjectMember.role).where(
                ProjectMember.user_id == actor.id, ProjectMember.project_id.in_([p.id for p in projects])
            )
        ).all()
    )
    for project in projects:
        project.my_role = roles.get(project.id)
    return projects


def create_project(actor: User, name: str, description: str | None = None) -> Project:
    """Create a project owned by the actor, who becomes its first Admin."""
    project = Project(name=name, description=description, owner_id=actor.id)
    db.session.add(project)
    db.session.flush()
    db.session.add(ProjectMember(project_id=project.id, user_id=actor.id, role=MemberRole.ADMIN))
    db.session.flush()
    return get_project(actor, project.id)


def update_project(actor: User, project_id: int, changes: dict[str, Any]) -> Project:
    """Rename or describe a project (Admins)."""
    project = get_project(actor, project_id)
    if not policy.can_manage(project.my_role):
        raise Forbidden("Only project Admins may edit the project.")
    for field, value in changes.items():
        setattr(project, field, value)
    db.session.flush()
    return project


def delete_project(actor: User, project_id: int) -> None:
    """Delete a project and its tasks (the owner only); tell its room once committed."""
    project = get_project(actor, project_id)
    if not policy.can_delete_project(actor.id, project):
        raise Forbidden("Only the project's owner may delete it.")
    invalidate_task_lists(project.id)
    db.session.execute(sa.delete(Task).where(Task.project_id == project.id))
    db.session.execute(sa.delete(ProjectMember).where(ProjectMember.project_id == project.id))
    db.session.delete(project)
    db.session.flush()
    room = project_room(project_id)
    sockets.emit_to_room(room, "project_deleted", {"id": project_id})
    after_commit(db.session, partial(_close_room, room))


def _close_room(room: str) -> None:
    from app.extensions import socketio

    if socketio.server is not None:
        socketio.close_room(room)


# ---- members


def _membership(project_id: int, user_id: int) -> ProjectMember | None:
    return db.session.get(ProjectMember, (project_id, user_id))


def ensure_member(actor: User, project_id: int) -> None:
    """Raise NotFound unless the actor belongs to the project."""
    if _membership(project_id, actor.id) is None:
        raise NotFound("No such project.")


def _member(project_id: int, user_id: int) -> ProjectMember:
    member = _membership(project_id, user_id)
    if member is None:
        raise NotFound("No such member.")
    return member


def list_members(actor: User, project_id: int) -> sa.Select:
    """Select a project's members with their usernames, in joining order."""
    get_project(actor, project_id)
    return (
        select(ProjectMember)
        .where(ProjectMember.project_id == project_id)
        .options(joinedload(ProjectMember.user))
        .order_by(ProjectMember.joined_at, ProjectMember.user_id)
    )


def get_member(actor: User, project_id: int, user_id: int) -> ProjectMember:
    """Return one member of a project the actor belongs to."""
    get_project(actor, project_id)
    return _member(project_id, user_id)


def add_member(actor: User, project_id: int, user_id: int, role: MemberRole = MemberRole.MEMBER) -> ProjectMember:
    """Add a user to a project with a role (Admins)."""
    project = get_project(actor, project_id)
    if not policy.can_manage(project.my_role):
        raise Forbidden("Only project Admins may add members.")
    user = db.session.get(User, user_id)
    if user is None:
        raise Invalid("No such user.", field="user_id")
    if _membership(project_id, user_id) is not None:
        raise Conflict("That user is already a member.")
    member = ProjectMember(project_id=project_id, user_id=user_id, role=role)
    db.session.add(member)
    db.session.flush()
    response_cache.invalidate(task_list_scope(user_id))  # the project's tasks join their lists
    return member


def change_member_role(actor: User, project_id: int, user_id: int, role: MemberRole) -> ProjectMember:
    """Make a member an Admin or a Member (Admins); the owner stays an Admin."""
    project = get_project(actor, project_id)
    if not policy.can_manage(project.my_role):
        raise Forbidden("Only project Admins may change roles.")
    member = _member(project_id, user_id)
    if policy.is_owner_membership(project, user_id) and role != MemberRole.ADMIN:
        raise Forbidden("The project owner is always an Admin.")
    member.role = role
    db.session.flush()
    return member


def remove_member(actor: User, project_id: int, user_id: int) -> None:
    """Remove a member (Admins, or a member leaving) and unassign their open tasks, in one transaction."""
    project = get_project(actor, project_id)
    if not policy.can_remove_member(actor.id, project.my_role, user_id):
        raise Forbidden("Only project Admins may remove other members.")
    member = _member(project_id, user_id)
    if policy.is_owner_membership(project, user_id):
        raise Forbidden("The project owner cannot be removed.")
    invalidate_task_lists(project_id)  # the leaver loses the project's tasks; open ones lose their assignee
    # Delete first: it waits for assignments in flight (they share-lock the membership), and the select below
    # then sees the tasks they committed.
    db.session.delete(member)
    db.session.flush()
    open_tasks = db.session.scalars(
        select(Task)
        .where(Task.project_id == project_id, Task.assignee_id == user_id, Task.status != TaskStatus.COMPLETED)
        .with_for_update()
    ).all()
    for task in open_tasks:
        task.assignee_id = None
    db.session.flush()
    for task in open_tasks:
        _announce(task, "task_updated")
    after_commit(db.session, partial(sockets.remove_user_from_room, user_id, project_room(project_id)))


# ---- tasks

STATUS_RANK = sa.case({status.value: rank for status, rank in STATUS_ORDER.items()}, value=Task.status)

TASK_ORDER = {
    None: (Task.id.asc(),),
    "due_date": (Task.due_date.asc().nulls_last(), Task.id.asc()),
    "-due_date": (Task.due_date.desc().nulls_last(), Task.id.desc()),
    "status": (STATUS_RANK.asc(), Task.due_date.asc().nulls_last(), Task.id.asc()),
    "-status": (STATUS_RANK.desc(), Task.due_date.asc().nulls_last(), Task.id.asc()),
}


def list_tasks(
    actor: User,
    timezone: str,
    *,
    in_project: int | None = None,
    status: list[TaskStatus] | None = None,
    due: str | None = None,
    assignee: int | str | None = None,
    project_id: int | None = None,
    q: str | None = None,
    sort: str | None = None,
) -> sa.Select:
    """Select the tasks of the actor's projects, filtered; `due` counts days in `timezone`."""
    for scope in (in_project, project_id):
        if scope is not None:
            ensure_member(actor, scope)
    mine = select(ProjectMember.project_id).where(ProjectMember.user_id == actor.id)
    stmt = select(Task).where(Task.project_id.in_(mine)).order_by(*TASK_ORDER[sort])
    stmt = stmt.where(*(Task.project_id == scope for scope in (in_project, project_id) if scope is not None))
    if status:
        stmt = stmt.where(Task.status.in_(status))
    if due:
        stmt = stmt.where(*_due_filter(due, local_today(timezone)))
    if assignee is not None:
        stmt = stmt.where(Task.assignee_id == (actor.id if assignee == "me" else assignee))
    if q:
        pattern = f"%{escape_like(q)}%"
        stmt = stmt.where(sa.or_(Task.title.ilike(pattern, escape="\\"), Task.description.ilike(pattern, escape="\\")))
    return stmt


def _due_filter(due: str, today: date) -> tuple[sa.ColumnElement[bool], ...]:
    if due == "overdue":
        return (Task.due_date < today, Task.status != TaskStatus.COMPLETED)
    if due == "today":
        return (Task.due_date == today,)
    return (Task.due_date > today,)


def _task_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Accept a status by its API spelling too (callers such as jobs pass JSON values)."""
    if data.get("status") is not None:
        return {**data, "status": TaskStatus(data["status"])}
    return data


def get_task(actor: User, task_id: int) -> Task:
    """Return a task of a project the actor belongs to, else NotFound."""
    task = db.session.get(Task, task_id)
    if task is None or _membership(task.project_id, actor.id) is None:
        raise NotFound("No such task.")
    return task


def create_task(actor: User, project_id: int, data: dict[str, Any]) -> Task:
    """Create a task in a project the actor belongs to; push it to the project (and the assignee)."""
    ensure_member(actor, project_id)
    data = _task_fields(data)
    if data.get("assignee_id") is not None:
        _check_assignee(project_id, data["assignee_id"])
    now = utcnow()
    task = Task(project_id=project_id, created_by=actor.id, created_at=now, updated_at=now, **data)
    _keep_completed_at(task, now)
    db.session.add(task)
    db.session.flush()
    invalidate_task_lists(project_id)
    _announce(task, "task_created", assigned_by=actor if task.assignee_id else None)
    return task


def update_task(actor: User, task_id: int, changes: dict[str, Any]) -> Task:
    """Change a task (any member); push the change, and the assignment when the assignee changed."""
    task = get_task(actor, task_id)
    changes = _task_fields(changes)
    previous_assignee = task.assignee_id
    if changes.get("assignee_id") is not None and changes["assignee_id"] != previous_assignee:
        _check_assignee(task.project_id, changes["assignee_id"])
    for field, value in changes.items():
        setattr(task, field, value)
    _keep_completed_at(task)
    if not db.session.is_modified(task):
        return task
    db.session.flush()
    invalidate_task_lists(task.project_id)
    newly_assigned = task.assignee_id is not None and task.assignee_id != previous_assignee
    _announce(task, "task_updated", assigned_by=actor if newly_assigned else None)
    return task


def delete_task(actor: User, task_id: int) -> None:
    """Delete a task (Admins or its creator); tell the project once committed."""
    task = get_task(actor, task_id)
    role = _membership(task.project_id, actor.id).role
    if not policy.can_delete_task(actor.id, role, task):
        raise Forbidden("Only project Admins and the task's creator may delete it.")
    payload = {"id": task.id, "project_id": task.project_id}
    db.session.delete(task)
    db.session.flush()
    invalidate_task_lists(payload["project_id"])
    sockets.emit_to_room(project_room(payload["project_id"]), "task_deleted", payload)


def task_list_scope(user_id: int) -> str:
    """The response-cache scope of a user's task lists (every project of theirs)."""
    return f"tasks:{user_id}"


def invalidate_task_lists(project_id: int) -> None:
    """Make the cached task lists of everyone in the project stale once the transaction commits.

    Call it on every change to the project's tasks or members (a user deleted with their tasks' assignee set
    to NULL by the database must call it too, for each of their projects).
    """
    members = db.session.scalars(select(ProjectMember.user_id).where(ProjectMember.project_id == project_id))
    response_cache.invalidate(*(task_list_scope(user_id) for user_id in members))


def on_profile_updated(sender: Any, user_id: int, fields: set[str]) -> None:
    """A new time zone moves the user's "today": their cached task lists go stale."""
    if "timezone" in fields:
        response_cache.invalidate(task_list_scope(user_id))


def _check_assignee(project_id: int, user_id: int) -> None:
    """The assignee must be a member; the membership stays locked (shared) until this transaction ends."""
    stmt = (
        select(ProjectMember.user_id)
        .where(ProjectMember.project_id == project_id, ProjectMember.user_id == user_id)
        .with_for_update(read=True)
    )
    if db.session.execute(stmt).first() is None:
        raise Invalid("The assignee must be a member of the project.", field="assignee_id")


def _keep_completed_at(task: Task, now: datetime | None = None) -> None:
    """Completed tasks carry the time they were completed; any other status clears it."""
    if task.status == TaskStatus.COMPLETED:
        task.completed_at = task.completed_at or now or utcnow()
    else:
        task.completed_at = None


def _announce(task: Task, event: str, assigned_by: User | None = None) -> None:
    """Push a task change to its project room (and an assignment to the assignee) once committed."""
    payload = TaskSchema().dump(task)
    sockets.emit_to_room(project_room(task.project_id), event, payload)
    if assigned_by is None:
        return
    sockets.emit_to_user(task.assignee_id, "task_assigned", payload)
    if task.assignee_id != assigned_by.id:
        notifications_services.notify(
            task.assignee_id,
            "task_assigned",
            f"New task: {task.title}",
            f"{assigned_by.username} assigned you a task.",
            {"task_id": task.id, "project_id": task.project_id},
        )


def open_task_counts(member_id: int, assignee_ids: list[int]) -> dict[int, int]:
    """Tasks not Completed assigned to each of `assignee_ids`, in projects `member_id` belongs to (one query)."""
    mine = select(ProjectMember.project_id).where(ProjectMember.user_id == member_id)
    stmt = (
        select(Task.assignee_id, sa.func.count())
        .where(Task.assignee_id.in_(assignee_ids), Task.status != TaskStatus.COMPLETED, Task.project_id.in_(mine))
        .group_by(Task.assignee_id)
    )
    return dict(db.session.execute(stmt).all())
