"""Fixtures for social: a cast around one person (follower, pending requester, stranger, blocked, trainer, Owner)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from app.accounts.models import User
from app.chat.models import Block
from app.extensions import db
from app.social import services as social_services
from app.social.models import Activity, ActivityType, Follow, FollowStatus, Privacy, PrivacySetting
from tests.chat.conftest import bearer
from tests.factories import make_coaching, make_user

__all__ = ["bearer", "follow_row", "make_activity", "set_privacy"]


def make_activity(user: User, visibility: str = "Followers", type: str = "session_completed", **data) -> Activity:
    """Store an activity as the product would have made it (the visibility chosen when it was made)."""
    activity = Activity(user_id=user.id, type=ActivityType(type), visibility=Privacy(visibility), data=data)
    db.session.add(activity)
    db.session.flush()
    social_services.fan_out(activity.id, user.id)  # into the feeds, as the product does when it makes one
    db.session.commit()
    return activity


def follow_row(follower: User, followee: User, status: str = "Accepted") -> None:
    """Store a follow (or a pending request) directly; an accepted one fills the feed as the product does."""
    db.session.add(Follow(follower_id=follower.id, followee_id=followee.id, status=FollowStatus(status)))
    db.session.flush()
    if status == "Accepted":
        social_services.backfill_feed(follower.id, followee.id)
    db.session.commit()


def set_privacy(user: User, profile: str = "Public", activities: str = "Followers") -> None:
    """Store a user's privacy settings directly."""
    db.session.merge(PrivacySetting(user_id=user.id, profile=Privacy(profile), activities=Privacy(activities)))
    db.session.commit()


@dataclass
class Cast:
    """`me` owns things; the others stand in every relation API.md §9 names."""

    me: User
    follower: User
    pending: User
    stranger: User
    blocked: User
    trainer: User
    owner: User  # the platform role: it gets no privileges over privacy

    def role(self, name: str) -> User:
        return getattr(self, name)


VIEWERS = ("me", "follower", "pending", "stranger", "blocked", "trainer", "owner")


@pytest.fixture
def cast() -> Cast:
    me = make_user(username="alice")
    cast = Cast(
        me=me,
        follower=make_user(),
        pending=make_user(),
        stranger=make_user(),
        blocked=make_user(),
        trainer=make_user(role="Trainer"),
        owner=make_user(role="Owner"),
    )
    follow_row(cast.follower, me)
    follow_row(cast.pending, me, "Pending")
    make_coaching(cast.trainer, me)
    db.session.add(Block(blocker_id=me.id, blocked_id=cast.blocked.id))
    db.session.commit()
    return cast
