"""Who may do what in the exercise library."""

from __future__ import annotations

from app.accounts.models import Role, User
from app.exercises.models import Exercise


def can_create_exercise(actor: User) -> bool:
    """Trainers and Owners add exercises to the library."""
    return actor.role in (Role.TRAINER, Role.OWNER)


def can_edit_exercise(actor: User, exercise: Exercise) -> bool:
    """The creator and Owners may change or delete an exercise (the starter library: Owners only)."""
    return actor.role == Role.OWNER or (exercise.created_by_id is not None and exercise.created_by_id == actor.id)
