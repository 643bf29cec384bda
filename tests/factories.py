"""Test data builders that go through the services, as the API would."""

from __future__ import annotations

import itertools

from app.accounts import services as accounts_services
from app.accounts.models import CoachingRelationship, CoachingStatus, Role, User
from app.extensions import db

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


def make_user(role: str = "User", username: str | None = None, email: str | None = None, **profile) -> User:
    """Create a committed-for-the-test user with the shared test password."""
    n = next(_seq)
    username = username or f"{role.lower()}{n}"
    user = accounts_services.create_user(email or f"{username}@example.com", username, PASSWORD, Role(role))
    for field, value in profile.items():
        setattr(user.profile, field, value)
    db.session.commit()
    return user


def make_coaching(trainer: User, client: User, status: str = "Active") -> CoachingRelationship:
    """Create a coaching relationship in the given state."""
    relationship = CoachingRelationship(
        trainer_id=trainer.id, client_id=client.id, requested_by_id=client.id, status=CoachingStatus(status)
    )
    db.session.add(relationship)
    db.session.commit()
    return relationship
