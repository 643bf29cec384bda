"""A workout or plan assigned to a user is visible to them: calendar's answer to workouts' `assigned_clause`.

Connected in the factory (`app/__init__.py`), so workouts never imports calendar.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.calendar.models import Event, PlanAssignment


def assigned_clause(model: Any, user_id: int | sa.ColumnElement) -> sa.ColumnElement[bool]:
    """SQL: the Plan (or Workout) row was assigned to the user (a workout: through an assignment's events).

    A receiver of `app.workouts.signals.assigned_clause` (sender: the model).
    """
    if model.__tablename__ == "plans":
        return model.id.in_(sa.select(PlanAssignment.plan_id).where(PlanAssignment.user_id == user_id))
    assigned_workouts = sa.select(Event.workout_id).where(Event.user_id == user_id, Event.assignment_id.is_not(None))
    return model.id.in_(assigned_workouts)
