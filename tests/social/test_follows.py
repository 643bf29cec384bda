"""Follows, requests, followers/following lists, privacy settings, and what a block ends."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.notifications.models import Notification
from app.social.models import Follow
from tests.factories import make_user
from tests.social.conftest import VIEWERS, bearer, follow_row, set_privacy


def follows() -> set[tuple[int, int, str]]:
    rows = db.session.execute(sa.select(Follow.follower_id, Follow.followee_id, Follow.status)).all()
    return {(a, b, s.value) for a, b, s in rows}


def notifications_of(user) -> list[tuple[str, dict]]:
    stmt = (
        sa.select(Notification.type, Notification.data).where(Notification.user_id == user.id).order_by(Notification.id)
    )
    return [(t, d) for t, d in db.session.execute(stmt)]


# ---- POST/DELETE /api/users/{id}/follow


def test_follow_a_public_profile_is_accepted_and_notified(client):
    me, them = make_user(), make_user()
    response = client.post(f"/api/users/{them.id}/follow", headers=bearer(me))
    assert response.status_code == 204
    assert follows() == {(me.id, them.id, "Accepted")}
    assert notifications_of(them) == [("new_follower", {"user_id": me.id})]


def test_follow_a_private_profile_is_a_request(client):
    me, them = make_user(), make_user()
    set_privacy(them, profile="Private")
    assert client.post(f"/api/users/{them.id}/follow", headers=bearer(me)).status_code == 204
    assert follows() == {(me.id, them.id, "Pending")}
    assert notifications_of(them) == [("follow_request", {"user_id": me.id})]


def test_follow_is_idempotent(client):
    me, them = make_user(), make_user()
    for _ in range(3):
        assert client.post(f"/api/users/{them.id}/follow", headers=bearer(me)).status_code == 204
    assert follows() == {(me.id, them.id, "Accepted")}
    assert len(notifications_of(them)) == 1


def test_following_yourself_is_422(client):
    me = make_user()
    for path in (f"/api/users/{me.id}/follow", "/api/users/me/follow"):
        response = client.post(path, headers=bearer(me))
        assert response.status_code == 422
        assert "id" in response.get_json()["errors"]["path"]
    assert follows() == set()


@pytest.mark.parametrize("who", ["blocker", "blocked"])
def test_following_across_a_block_is_404(client, cast, who):
    actor, target = (cast.me, cast.blocked) if who == "blocker" else (cast.blocked, cast.me)
    assert client.post(f"/api/users/{target.id}/follow", headers=bearer(actor)).status_code == 404
    assert (actor.id, target.id) not in {(a, b) for a, b, _ in follows()}


def test_following_a_missing_user_is_404(client):
    me = make_user()
    assert client.post("/api/users/999999/follow", headers=bearer(me)).status_code == 404
    assert client.post("/api/users/x1/follow", headers=bearer(me)).status_code == 404


def test_unfollow_and_withdraw(client, cast):
    assert client.delete(f"/api/users/{cast.me.id}/follow", headers=bearer(cast.follower)).status_code == 204
    assert client.delete(f"/api/users/{cast.me.id}/follow", headers=bearer(cast.pending)).status_code == 204
    assert client.delete(f"/api/users/{cast.me.id}/follow", headers=bearer(cast.stranger)).status_code == 204
    assert follows() == set()


def test_follow_floods_are_rate_limited(app, client):
    me = make_user()
    targets = [make_user() for _ in range(3)]
    app.config["SOCIAL_FOLLOW_RATE"] = "2 per hour"
    try:
        codes = [client.post(f"/api/users/{t.id}/follow", headers=bearer(me)).status_code for t in targets]
        last = client.post(f"/api/users/{targets[2].id}/follow", headers=bearer(me))
    finally:
        app.config["SOCIAL_FOLLOW_RATE"] = "30 per hour"
    assert codes == [204, 204, 429]
    assert int(last.headers["Retry-After"]) >= 1 and last.get_json()["code"] == 429
    assert len(follows()) == 2  # the refused one stored nothing


# ---- follow requests


def test_requests_list_accept_decline(client):
    me, asker, other = make_user(), make_user(), make_user()
    set_privacy(me, profile="Private")
    follow_row(asker, me, "Pending")
    follow_row(other, me, "Pending")
    response = client.get("/api/users/me/follow-requests", headers=bearer(me))
    assert response.status_code == 200
    body = response.get_json()
    assert [r["user"]["id"] for r in body] == [other.id, asker.id]
    assert body[0]["status"] == "Pending" and body[0]["user"]["username"] == other.username
    assert '"total": 2' in response.headers["X-Pagination"]
    assert client.post(f"/api/users/me/follow-requests/{asker.id}/accept", headers=bearer(me)).status_code == 204
    assert client.post(f"/api/users/me/follow-requests/{other.id}/decline", headers=bearer(me)).status_code == 204
    assert follows() == {(asker.id, me.id, "Accepted")}
    # Nothing pending any more: both are 404, the accepted follow untouched.
    assert client.post(f"/api/users/me/follow-requests/{asker.id}/decline", headers=bearer(me)).status_code == 404
    assert client.post(f"/api/users/me/follow-requests/{other.id}/accept", headers=bearer(me)).status_code == 404
    assert follows() == {(asker.id, me.id, "Accepted")}


def test_a_request_is_only_mine_to_answer(client, cast):
    # The pending requester asked `me`; the stranger cannot answer it (it is not a request to them).
    response = client.post(f"/api/users/me/follow-requests/{cast.pending.id}/accept", headers=bearer(cast.stranger))
    assert response.status_code == 404
    assert (cast.pending.id, cast.me.id, "Pending") in follows()


def test_requests_list_is_page_numbered(client):
    me = make_user()
    for _ in range(3):
        follow_row(make_user(), me, "Pending")
    response = client.get("/api/users/me/follow-requests?page=2&page_size=2", headers=bearer(me))
    assert len(response.get_json()) == 1
    assert client.get("/api/users/me/follow-requests?page_size=0", headers=bearer(me)).status_code == 422
    assert client.get("/api/users/me/follow-requests?status=x", headers=bearer(me)).status_code == 422


# ---- followers / following


@pytest.mark.parametrize("profile", ["Public", "Followers", "Private"])
@pytest.mark.parametrize("viewer", VIEWERS)
def test_follower_lists_permission_matrix(client, cast, viewer, profile):
    set_privacy(cast.me, profile=profile)
    seen_by = {
        "Public": set(VIEWERS) - {"blocked"},
        "Followers": {"me", "follower", "trainer"},
        "Private": {"me", "trainer"},
    }[profile]
    for path in ("followers", "following"):
        response = client.get(f"/api/users/{cast.me.id}/{path}", headers=bearer(cast.role(viewer)))
        assert response.status_code == (200 if viewer in seen_by else 404), path
    if viewer in seen_by:
        body = client.get(f"/api/users/{cast.me.id}/followers", headers=bearer(cast.role(viewer))).get_json()
        assert [p["id"] for p in body] == [cast.follower.id]  # accepted only, never the pending request
        assert body[0]["followed_at"].endswith("Z") and body[0]["username"] == cast.follower.username


def test_follower_lists_leave_out_people_across_a_block(client, cast):
    other = make_user()
    follow_row(other, cast.follower)
    follow_row(cast.blocked, cast.follower)
    body = client.get(f"/api/users/{cast.follower.id}/followers", headers=bearer(cast.me)).get_json()
    assert [p["id"] for p in body] == [other.id]
    body = client.get(f"/api/users/{cast.follower.id}/followers", headers=bearer(cast.stranger)).get_json()
    assert [p["id"] for p in body] == [cast.blocked.id, other.id]


def test_following_list(client, cast):
    body = client.get(f"/api/users/{cast.follower.id}/following", headers=bearer(cast.stranger)).get_json()
    assert [p["id"] for p in body] == [cast.me.id]
    assert client.get("/api/users/999999/following", headers=bearer(cast.me)).status_code == 404


# ---- a block ends follows both ways


def test_a_block_ends_follows_and_requests_both_ways(client, cast):
    other = make_user()
    follow_row(other, cast.follower)
    follow_row(cast.follower, other, "Pending")
    keep = (cast.stranger.id, other.id, "Accepted")
    follow_row(cast.stranger, other)
    assert client.post(f"/api/users/{cast.follower.id}/block", headers=bearer(other)).status_code == 204
    assert {f for f in follows() if other.id in f[:2]} == {keep}


# ---- privacy


def test_privacy_defaults_and_update(client):
    me = make_user()
    assert client.get("/api/users/me/privacy", headers=bearer(me)).get_json() == {
        "profile": "Public",
        "activities": "Followers",
    }
    response = client.put("/api/users/me/privacy", json={"activities": "Private"}, headers=bearer(me))
    assert response.status_code == 200
    assert response.get_json() == {"profile": "Public", "activities": "Private"}
    response = client.patch("/api/users/me/privacy", json={"profile": "Private"}, headers=bearer(me))
    assert response.get_json() == {"profile": "Private", "activities": "Private"}
    assert client.get("/api/users/me/privacy", headers=bearer(me)).get_json() == response.get_json()


@pytest.mark.parametrize(
    ("body", "field"),
    [({"profile": "private"}, "profile"), ({"activities": "Friends"}, "activities"), ({"user_id": 1}, "user_id")],
)
def test_privacy_validation(client, body, field):
    me = make_user()
    response = client.put("/api/users/me/privacy", json=body, headers=bearer(me))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]
    assert client.get("/api/users/me/privacy", headers=bearer(me)).get_json()["activities"] == "Followers"
