"""Who may do what with accounts and coaching relationships."""

from __future__ import annotations

from app.accounts.models import CoachingRelationship, CoachingStatus, Role, User


def is_owner(user: User) -> bool:
    """Tell whether the user holds the platform Owner role."""
    return user.role == Role.OWNER


def can_edit_user(actor: User, user: User) -> bool:
    """Self and Owners may edit a user."""
    return actor.id == user.id or is_owner(actor)


def can_change_role(actor: User) -> bool:
    """Only an Owner may set anyone's role."""
    return is_owner(actor)


def may_link_by_email(provider: str, provider_verified_email: bool, user: User) -> bool:
    """A new sign-in identity joins an account by email only when its provider (never Facebook) and the account
    both verified that address: anything less lets whoever registered the address first capture the other."""
    return provider != "facebook" and provider_verified_email and user.email_verified


def may_unlink(has_password: bool, other_identities: int) -> bool:
    """An identity may be unlinked unless it is the last way to sign in."""
    return has_password or other_identities > 0


def is_party(actor: User, relationship: CoachingRelationship) -> bool:
    """Tell whether the actor is the trainer or the client of a relationship."""
    return actor.id in (relationship.trainer_id, relationship.client_id)


def can_respond(actor: User, relationship: CoachingRelationship) -> bool:
    """The party that did not ask may accept or decline a pending request."""
    return is_party(actor, relationship) and actor.id != relationship.requested_by_id


def may_request_trainer(actor: User, trainer: User) -> bool:
    """A User or Trainer may ask a trainer who accepts clients to coach them."""
    return actor.role in (Role.USER, Role.TRAINER) and trainer.trainer is not None and trainer.trainer.accepting_clients


def may_invite(actor: User) -> bool:
    """Only trainers invite clients."""
    return actor.role == Role.TRAINER


def is_open(relationship: CoachingRelationship) -> bool:
    """Tell whether a relationship is Pending or Active."""
    return relationship.status in (CoachingStatus.PENDING, CoachingStatus.ACTIVE)
