"""Socket.IO handlers of projects: joining and leaving a project's room of task events."""

from __future__ import annotations

from app.accounts.models import User
from app.core import sockets
from app.core.api import Schema
from app.core.schemas import Id
from app.projects import services


class ProjectRoomSchema(Schema):
    project_id = Id(required=True)


@sockets.on_event("join_project", ProjectRoomSchema)
def join_project(user: User, data: dict) -> None:
    """Join the room of a project you belong to (else a 404 ack)."""
    services.ensure_member(user, data["project_id"])
    sockets.join(services.project_room(data["project_id"]))


@sockets.on_event("leave_project", ProjectRoomSchema)
def leave_project(user: User, data: dict) -> None:
    """Stop receiving a project's task events."""
    sockets.leave(services.project_room(data["project_id"]))


HANDLERS = [join_project, leave_project]  # registered by the factory (app/__init__.py)
