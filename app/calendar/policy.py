"""Who may see and change calendars, events and plan assignments.

A calendar is its owner's. Their *active* trainer reads it and may add events to it; the user who
created an event reads it. Writing an event is for the calendar's owner, and for its creator while
they are still the owner's active trainer. Events someone may not read are a 404; asking for the
calendar of an existing user you may not read is a 403 (a user's existence is public).
"""

from __future__ import annotations

from app.accounts import services as accounts_services
from app.accounts.models import Role, User
from app.calendar.models import Event


def is_trainer(actor: User) -> bool:
    """Tell whether the actor holds the Trainer role."""
    return actor.role == Role.TRAINER


def is_trainer_of(actor: User, user_id: int) -> bool:
    """Tell whether the actor is a Trainer with `user_id` as an active client."""
    return actor.role == Role.TRAINER and accounts_services.is_active_client(actor.id, user_id)


def can_read_calendar(actor: User, user_id: int) -> bool:
    """The owner and their active trainer read (list) a calendar."""
    return actor.id == user_id or is_trainer_of(actor, user_id)


def can_add_to_calendar(actor: User, user_id: int) -> bool:
    """The owner, and their active trainer, add events to a calendar."""
    return can_read_calendar(actor, user_id)


def can_read_event(actor: User, event: Event) -> bool:
    """The calendar's owner, their active trainer, and the event's creator read an event."""
    return actor.id in (event.user_id, event.created_by_id) or is_trainer_of(actor, event.user_id)


def can_edit_event(actor: User, event: Event) -> bool:
    """The calendar's owner, and the creator while still the owner's active trainer, change an event."""
    if actor.id == event.user_id:
        return True
    return actor.id == event.created_by_id and is_trainer_of(actor, event.user_id)


def can_assign_plan(actor: User, plan_author_id: int) -> bool:
    """Only the plan's trainer assigns it."""
    return actor.role == Role.TRAINER and actor.id == plan_author_id
