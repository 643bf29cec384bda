"""Hook for the workouts domain: a workout or plan assigned to a user is visible to them.

`app/workouts/policy.py` has `_assigned`/`_assigned_clause` placeholders for this; they can delegate here
(this module imports only calendar models, so there is no import cycle).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.calendar.models import Event, PlanAssignment
from app.extensions import db


def assigned_clause(model: Any, user_id: int) -> sa.ColumnElement[bool]:
    """SQL: the Plan (or Workout) row was assigned to the user (a workout: through an assignment's events)."""
    if model.__tablename__ == "plans":
        return model.id.in_(sa.select(PlanAssignment.plan_id).where(PlanAssignment.user_id == user_id))
    assigned_workouts = sa.select(Event.workout_id).where(Event.user_id == user_id, Event.assignment_id.is_not(None))
    return model.id.in_(assigned_workouts)


def is_assigned(obj: Any, user_id: int) -> bool:
    """Tell whether a Plan or Workout was assigned to the user."""
    model = type(obj)
    return (
        db.session.execute(sa.select(model.id).where(model.id == obj.id, assigned_clause(model, user_id))).first()
        is not None
    )
