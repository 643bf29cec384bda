"""Who may see and change training logs, measurements and the analytics built on them.

An athlete's logs are theirs to write. They are readable by the athlete, by their *active*
trainer (a pending, declined or ended relationship gives nothing) and by Owners. A single
object someone may not read is a 404; asking for the logs of an existing user you may not
read (`?user_id=`, `/users/{id}/progress`, `/users/{id}/stats`) is a 403, since a user's
existence is public (GET /api/users/{id}) and only the membership is missing.
"""

from __future__ import annotations

from app.accounts import services as accounts_services
from app.accounts.models import Role, User


def is_owner(actor: User) -> bool:
    """Tell whether the actor holds the platform Owner role."""
    return actor.role == Role.OWNER


def can_read_logs(actor: User, athlete_id: int) -> bool:
    """The athlete, their active trainer and Owners read an athlete's logs and analytics."""
    if actor.id == athlete_id or is_owner(actor):
        return True
    return actor.role == Role.TRAINER and accounts_services.is_active_client(actor.id, athlete_id)


def can_write_log(actor: User, athlete_id: int) -> bool:
    """Only the athlete writes (and deletes) their own logs."""
    return actor.id == athlete_id


def can_see_dashboard(actor: User) -> bool:
    """The trainer dashboard is for Trainers."""
    return actor.role == Role.TRAINER
