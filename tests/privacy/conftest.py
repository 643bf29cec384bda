"""Fixtures for privacy: a storage folder of the test's own, and a person with data in every domain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from app.accounts.models import User
from app.chat import services as chat_services
from app.core.storage import LocalStorage
from app.extensions import db
from app.notifications import devices
from app.notifications.models import Platform
from app.privacy import services as privacy_services
from app.privacy.models import ConsentType
from app.social import services as social_services
from app.social.models import Activity, ActivityType, Privacy
from tests.factories import (
    make_coaching,
    make_event,
    make_exercise,
    make_measurement,
    make_project,
    make_session,
    make_task,
    make_user,
    make_workout,
)


@pytest.fixture
def store(app, tmp_path):
    """The app's storage, a local folder of this test's own."""
    saved = app.extensions.get("storage")
    app.extensions["storage"] = LocalStorage(tmp_path / "media")
    yield app.extensions["storage"]
    if saved is None:
        app.extensions.pop("storage", None)
    else:
        app.extensions["storage"] = saved


@dataclass
class World:
    """`me` (to be erased, a trainer) and the people who share things with them."""

    me: User
    client: User
    friend: User
    email: str
    username: str
    workout_id: int
    client_session_id: int
    friend_activity_id: int


def make_world(store) -> World:
    """A trainer with data in every domain, a client who uses their workout, a friend they talk to."""
    me = make_user("Trainer", username="zelda_erase", email="zelda.erase@example.com", bio="I am zelda_erase")
    me.profile.fitness_goals = "write to zelda.erase@example.com"
    client = make_user(username="client_keep")
    friend = make_user(username="friend_keep")
    make_coaching(me, client)
    exercise = make_exercise(me, name="zelda_erase press")
    workout = make_workout(me, [exercise], visibility="Public", title="zelda_erase circuit")
    start = datetime(2026, 11, 2, 8, tzinfo=UTC)
    set_ = {"exercise_id": exercise.id, "reps": 5, "weight_kg": 60}
    make_session(me, start, sets=[set_], workout_id=workout.id, notes="felt great, zelda_erase")
    client_session = make_session(client, start, sets=[set_], workout_id=workout.id, notes="coach zelda_erase rocks")
    make_measurement(me, "Weight", 70.5, start)
    make_event(me, start + timedelta(days=1), title="zelda_erase gym")
    make_event(client, start + timedelta(days=2), creator=me, title="with zelda_erase")
    project = make_project(me, name="zelda_erase club", members=[friend])
    make_task(project, me, title="ask zelda.erase@example.com", assignee_id=friend.id)
    chat_services.send_message(me, client.id, "hi, it's zelda_erase")
    chat_services.send_message(client, me.id, "hello zelda_erase")
    friend_activity = Activity(
        user_id=friend.id, type=ActivityType.SESSION_COMPLETED, visibility=Privacy.PUBLIC, data={}
    )
    db.session.add(friend_activity)
    db.session.flush()
    social_services.follow(me, friend.id)
    social_services.follow(friend, me.id)
    social_services.give_kudos(me, friend_activity.id)
    social_services.add_comment(me, friend_activity.id, "nice one from zelda_erase")
    devices.register_device(me, Platform.ANDROID, "device-token-of-zelda")
    privacy_services.record_consent(me, ConsentType.MARKETING, True)
    store.put(f"avatars/{me.id}/upload-abc", b"zelda_erase image", "application/octet-stream")
    me.profile_image_upload_key = f"avatars/{me.id}/upload-abc"
    db.session.commit()
    return World(me, client, friend, me.email, me.username, workout.id, client_session.id, friend_activity.id)
