"""Who may do what in a project: decided by the caller's member role (None when not a member)."""

from __future__ import annotations

from app.projects.models import MemberRole, Project, Task


def can_view(role: MemberRole | None) -> bool:
    """Members see a project, its members and its tasks; to anyone else it does not exist."""
    return role is not None


def can_manage(role: MemberRole | None) -> bool:
    """Admins edit the project and its member list."""
    return role == MemberRole.ADMIN


def can_delete_project(user_id: int, project: Project) -> bool:
    """Only the owner deletes a project."""
    return user_id == project.owner_id


def can_remove_member(user_id: int, role: MemberRole | None, member_user_id: int) -> bool:
    """Admins remove members; any member may leave."""
    return can_manage(role) or user_id == member_user_id


def is_owner_membership(project: Project, member_user_id: int) -> bool:
    """The owner's membership is fixed: never removed, never demoted."""
    return member_user_id == project.owner_id


def can_delete_task(user_id: int, role: MemberRole | None, task: Task) -> bool:
    """Admins and the task's creator delete a task."""
    return can_manage(role) or task.created_by == user_id
