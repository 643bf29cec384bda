"""Who may see and change workouts and plans (both carry `visibility` and `created_by_id`).

A caller sees a workout or plan when they are an Owner, wrote it, it is Public, or it is
`Clients` and they are an active client of its author. Hidden objects are a 404 everywhere.
Plan assignments (app/calendar) make a plan and its workouts visible to the client they were assigned to:
calendar answers the `assigned_clause` signal (connected in the factory), so workouts imports no calendar.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.accounts import services as accounts_services
from app.accounts.models import Role, User
from app.extensions import db
from app.workouts import signals
from app.workouts.models import Visibility


def is_owner(actor: User) -> bool:
    """Tell whether the actor holds the platform Owner role."""
    return actor.role == Role.OWNER


def can_author(actor: User) -> bool:
    """Trainers and Owners create workouts and plans."""
    return actor.role in (Role.TRAINER, Role.OWNER)


def can_edit(actor: User, obj: Any) -> bool:
    """The author and Owners may change or delete a workout or plan."""
    return is_owner(actor) or obj.created_by_id == actor.id


def can_see(actor: User, obj: Any) -> bool:
    """Tell whether the actor may read a workout or plan."""
    if is_owner(actor) or obj.created_by_id == actor.id or obj.visibility == Visibility.PUBLIC:
        return True
    if obj.visibility == Visibility.CLIENTS and accounts_services.is_active_client(obj.created_by_id, actor.id):
        return True
    return _assigned(actor, obj)


def visible_clause(model: Any, actor: User) -> sa.ColumnElement[bool]:
    """SQL for `can_see` over a Workout or Plan table, for lists and bulk checks."""
    return sa.true() if is_owner(actor) else visible_to(model, actor.id)


def visible_to(model: Any, user_id: int | sa.BindParameter) -> sa.ColumnElement[bool]:
    """SQL for `can_see` of a user who is not an Owner (`user_id` may be a parameter bound per request)."""
    # Uncorrelated (the user's trainers, selected once), not "the user among the author's clients" per row.
    of_my_trainer = model.created_by_id.in_(accounts_services.active_trainer_ids(user_id))
    return sa.or_(
        model.visibility == Visibility.PUBLIC,
        model.created_by_id == user_id,
        sa.and_(model.visibility == Visibility.CLIENTS, of_my_trainer),
        _assigned_clause(model, user_id),
    )


def _assigned(actor: User, obj: Any) -> bool:
    """The workout or plan was assigned to the actor (a plan assignment, app/calendar)."""
    model = type(obj)
    found = sa.select(model.id).where(model.id == obj.id, _assigned_clause(model, actor.id))
    return db.session.execute(found).first() is not None


def _assigned_clause(model: Any, user_id: int | sa.BindParameter) -> sa.ColumnElement[bool]:
    """SQL form of `_assigned`: what the `assigned_clause` signal's receivers (calendar) answer, or false."""
    return sa.or_(sa.false(), *(clause for _receiver, clause in signals.assigned_clause.send(model, user_id=user_id)))
