"""The embedded mode (`make run`): follows, the feed, kudos, comments and announcements work on SQLite too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from app.social import announcements
from tests import factories


@pytest.mark.live
def test_social_on_sqlite(tmp_path):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'social.sqlite'}")
    with app.app_context():
        upgrade(revision="heads")
        me, friend, coach = factories.make_user(), factories.make_user(), factories.make_user(role="Trainer")
        factories.make_coaching(coach, me)
        client = app.test_client()

        def headers(user):
            token = client.post("/api/login", json={"email": user.email, "password": factories.PASSWORD}).get_json()
            return {"Authorization": f"Bearer {token['access_token']}"}

        mine, theirs = headers(me), headers(friend)
        assert client.post(f"/api/users/{friend.id}/follow", headers=mine).status_code == 204
        workout = factories.make_workout(coach, visibility="Public")
        shared = client.post(f"/api/workouts/{workout.id}/share", json={"caption": "Try it"}, headers=theirs)
        assert shared.status_code == 201
        activity_id = shared.get_json()["id"]
        feed = client.get("/api/feed", headers=mine).get_json()
        assert [a["id"] for a in feed] == [activity_id]
        older = client.get(f"/api/feed?before={activity_id + 1}&limit=5", headers=mine)
        assert [a["id"] for a in older.get_json()] == [activity_id], older.get_json()
        assert client.post(f"/api/activities/{activity_id}/kudos", headers=mine).status_code == 204
        assert client.post(f"/api/activities/{activity_id}/kudos", headers=mine).status_code == 204
        comment = client.post(f"/api/activities/{activity_id}/comments", json={"content": "Nice"}, headers=mine)
        assert comment.status_code == 201
        detail = client.get(f"/api/activities/{activity_id}", headers=mine).get_json()
        assert (detail["kudos_count"], detail["comment_count"], detail["kudoed_by_me"]) == (1, 1, True)
        at = datetime.now(UTC) + timedelta(hours=1)
        body = {"title": "Hi", "target": "clients", "send_at": at.isoformat()}
        assert client.post("/api/announcements", json=body, headers=headers(coach)).status_code == 201
        assert announcements.run_due(at) == 1
        db.session.commit()
        assert announcements.run_due(at) == 0
        db.session.remove()
        db.engine.dispose()
