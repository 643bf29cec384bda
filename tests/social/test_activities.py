"""Activities: detail, delete, a person's list, the feed, sharing; the permission matrix of each route."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.social import services as social_services
from app.social.models import Activity, Comment, FeedEntry, Kudos
from tests.conftest import sql_statements
from tests.factories import make_exercise, make_session, make_user, make_workout
from tests.social.conftest import VIEWERS, bearer, follow_row, make_activity, set_privacy

# Who sees a Followers activity of `me` (the default visibility): me, an accepted follower, my active trainer.
SEES_FOLLOWERS_ITEM = {"me", "follower", "trainer"}


def activity_ids() -> list[int]:
    return list(db.session.scalars(sa.select(Activity.id).order_by(Activity.id)))


# ---- GET /api/activities/{id}


@pytest.mark.parametrize("viewer", VIEWERS)
def test_detail_permission_matrix(client, cast, viewer):
    activity = make_activity(cast.me, "Followers", volume_kg=1200)
    response = client.get(f"/api/activities/{activity.id}", headers=bearer(cast.role(viewer)))
    if viewer in SEES_FOLLOWERS_ITEM:
        assert response.status_code == 200
        body = response.get_json()
        assert body["id"] == activity.id and body["type"] == "session_completed"
        assert body["user"] == {"id": cast.me.id, "username": "alice", "profile_image": None}
        assert body["data"] == {"volume_kg": 1200} and body["visibility"] == "Followers"
        assert (body["kudos_count"], body["comment_count"], body["kudoed_by_me"]) == (0, 0, False)
        assert body["created_at"].endswith("Z")
    else:
        assert response.status_code == 404
        assert response.get_json()["code"] == 404


@pytest.mark.parametrize(
    ("visibility", "setting", "seen_by"),
    [
        ("Public", "Public", set(VIEWERS) - {"blocked"}),
        ("Public", "Followers", SEES_FOLLOWERS_ITEM),  # the owner's stricter setting wins
        ("Followers", "Public", SEES_FOLLOWERS_ITEM),  # the activity's stricter visibility wins
        ("Private", "Public", {"me", "trainer"}),
        ("Public", "Private", {"me", "trainer"}),  # tightening hides old activities too
    ],
)
def test_the_stricter_of_activity_and_setting(client, cast, visibility, setting, seen_by):
    activity = make_activity(cast.me, visibility)
    set_privacy(cast.me, activities=setting)
    seen = {
        v
        for v in VIEWERS
        if client.get(f"/api/activities/{activity.id}", headers=bearer(cast.role(v))).status_code == 200
    }
    assert seen == seen_by


def test_detail_of_a_missing_activity_is_404(client, cast):
    assert client.get("/api/activities/999999", headers=bearer(cast.me)).status_code == 404
    assert client.get("/api/activities/0", headers=bearer(cast.me)).status_code == 404


def test_routes_need_a_token(client, cast):
    activity = make_activity(cast.me)
    for method, path in [
        ("get", "/api/feed"),
        ("get", f"/api/activities/{activity.id}"),
        ("delete", f"/api/activities/{activity.id}"),
        ("get", f"/api/users/{cast.me.id}/activities"),
        ("post", f"/api/activities/{activity.id}/kudos"),
        ("get", f"/api/activities/{activity.id}/comments"),
        ("post", f"/api/users/{cast.me.id}/follow"),
        ("get", "/api/users/me/privacy"),
        ("get", "/api/users/me/follow-requests"),
    ]:
        response = getattr(client, method)(path)
        assert response.status_code == 401, (method, path)
        assert response.get_json()["code"] == 401


# ---- DELETE /api/activities/{id}


@pytest.mark.parametrize("viewer", VIEWERS)
def test_delete_permission_matrix(client, cast, viewer):
    activity = make_activity(cast.me)
    db.session.add(Kudos(activity_id=activity.id, user_id=cast.follower.id))
    db.session.add(Comment(activity_id=activity.id, user_id=cast.follower.id, content="nice"))
    db.session.commit()
    response = client.delete(f"/api/activities/{activity.id}", headers=bearer(cast.role(viewer)))
    expected = 204 if viewer == "me" else 403 if viewer in SEES_FOLLOWERS_ITEM else 404
    assert response.status_code == expected
    if expected == 204:
        assert activity_ids() == []
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0  # its comments went too
    else:
        assert activity_ids() == [activity.id]


# ---- GET /api/users/{id}/activities


@pytest.mark.parametrize("viewer", VIEWERS)
def test_person_list_permission_matrix(client, cast, viewer):
    public = make_activity(cast.me, "Public")
    followers = make_activity(cast.me, "Followers")
    private = make_activity(cast.me, "Private")
    set_privacy(cast.me, activities="Public")
    response = client.get(f"/api/users/{cast.me.id}/activities", headers=bearer(cast.role(viewer)))
    expected = {
        "me": [private.id, followers.id, public.id],
        "trainer": [private.id, followers.id, public.id],
        "follower": [followers.id, public.id],
        "pending": [public.id],
        "stranger": [public.id],
        "owner": [public.id],
    }
    if viewer == "blocked":
        assert response.status_code == 404
    else:
        assert response.status_code == 200
        assert [a["id"] for a in response.get_json()] == expected[viewer]


def test_person_list_takes_me_and_404s_unknown_people(client, cast):
    make_activity(cast.me)
    assert len(client.get("/api/users/me/activities", headers=bearer(cast.me)).get_json()) == 1
    assert client.get("/api/users/999999/activities", headers=bearer(cast.me)).status_code == 404
    assert client.get("/api/users/abc/activities", headers=bearer(cast.me)).status_code == 404


def test_the_blocker_sees_nothing_of_the_blocked_either(client, cast):
    make_activity(cast.blocked, "Public")
    set_privacy(cast.blocked, activities="Public")
    assert client.get(f"/api/users/{cast.blocked.id}/activities", headers=bearer(cast.me)).status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("before=abc", "before"),
        ("before=1&after=1", "after"),
        ("x=1", "x"),
    ],
)
def test_cursor_lists_validate_their_query(client, cast, query, field):
    for path in ("/api/feed", f"/api/users/{cast.me.id}/activities"):
        response = client.get(f"{path}?{query}", headers=bearer(cast.me))
        assert response.status_code == 422, path
        assert field in response.get_json()["errors"]["query"]


# ---- GET /api/feed


@pytest.mark.parametrize("viewer", VIEWERS)
def test_feed_shows_followed_people_and_mine(client, cast, viewer):
    mine = make_activity(cast.me, "Followers")
    response = client.get("/api/feed", headers=bearer(cast.role(viewer)))
    assert response.status_code == 200
    # The trainer sees it on the detail, but the feed is of the people one follows (and oneself).
    assert [a["id"] for a in response.get_json()] == ([mine.id] if viewer in ("me", "follower") else [])


def test_feed_is_newest_first_and_follows_before_and_after(client, cast):
    other = make_user()
    follow_row(cast.me, other)
    made = [make_activity(user, "Followers") for user in (cast.me, other, cast.stranger, other, cast.me)]
    visible = [made[4].id, made[3].id, made[1].id, made[0].id]  # not the stranger's: I do not follow them
    headers = bearer(cast.me)
    assert [a["id"] for a in client.get("/api/feed", headers=headers).get_json()] == visible
    page = client.get(f"/api/feed?before={made[3].id}&limit=1", headers=headers).get_json()
    assert [a["id"] for a in page] == [made[1].id]
    after = client.get(f"/api/feed?after={made[0].id}", headers=headers).get_json()
    assert [a["id"] for a in after] == [made[1].id, made[3].id, made[4].id]  # oldest first


def test_feed_shows_kudoed_by_me_and_counts(client, cast):
    activity = make_activity(cast.me)
    client.post(f"/api/activities/{activity.id}/kudos", headers=bearer(cast.follower))
    body = client.get("/api/feed", headers=bearer(cast.follower)).get_json()
    assert (body[0]["kudos_count"], body[0]["kudoed_by_me"]) == (1, True)
    body = client.get("/api/feed", headers=bearer(cast.me)).get_json()
    assert (body[0]["kudos_count"], body[0]["kudoed_by_me"]) == (1, False)


def test_feed_is_one_statement_whatever_the_page_and_the_people(client, cast):
    headers = bearer(cast.me)
    client.get("/api/feed", headers=headers)  # warm: the login and the user row
    counts = []
    for n in (1, 6):
        for _ in range(n):
            someone = make_user()
            follow_row(cast.me, someone)
            for _ in range(5):
                make_activity(someone, "Public")
        with sql_statements() as seen:
            response = client.get(f"/api/feed?limit={5 * n}", headers=headers)
        assert len(response.get_json()) == 5 * n
        counts.append(len([s for s in seen if "SAVEPOINT" not in s]))  # the test's own transaction
    assert counts == [1, 1]  # the page, its owners and kudos in one statement; not even the viewer's row


def _entries(user) -> set[int]:
    """The activity ids that are candidates of the user's feed (`feed_entries`)."""
    return set(db.session.scalars(sa.select(FeedEntry.activity_id).where(FeedEntry.viewer_id == user.id)))


def _feed(client, user) -> list[int]:
    response = client.get("/api/feed", headers=bearer(user))
    assert response.status_code == 200
    return [a["id"] for a in response.get_json()]


def test_the_feed_follows_every_write_at_once(client, cast):
    """Fan-out on write: a follow fills the feed, a new activity arrives, an unfollow and a block empty it;
    privacy is read live (the candidates stay, the rule hides them)."""
    set_privacy(cast.me, profile="Private")
    old = make_activity(cast.me, "Followers")
    fan = make_user()
    assert client.post(f"/api/users/{cast.me.id}/follow", headers=bearer(fan)).status_code == 204
    assert _feed(client, fan) == [] and _entries(fan) == set()  # a pending request: nothing yet
    assert client.post(f"/api/users/me/follow-requests/{fan.id}/accept", headers=bearer(cast.me)).status_code == 204
    assert _feed(client, fan) == [old.id] and _entries(fan) == {old.id}  # accepted: what I made so far
    workout = make_workout(cast.trainer, visibility="Public")
    shared = client.post(f"/api/workouts/{workout.id}/share", json={}, headers=bearer(cast.me)).get_json()
    assert _feed(client, fan) == [shared["id"], old.id] == _feed(client, cast.me)[:2]
    assert _entries(fan) == {old.id, shared["id"]}

    set_privacy(cast.me, profile="Private", activities="Private")  # tightened: hidden at once
    assert _feed(client, fan) == [] and _entries(fan) == {old.id, shared["id"]}
    set_privacy(cast.me, profile="Private", activities="Followers")
    assert _feed(client, fan) == [shared["id"], old.id]

    assert client.delete(f"/api/users/{cast.me.id}/follow", headers=bearer(fan)).status_code == 204
    assert _feed(client, fan) == [] and _entries(fan) == set()
    assert _feed(client, cast.follower) == [shared["id"], old.id]
    assert client.post(f"/api/users/{cast.follower.id}/block", headers=bearer(cast.me)).status_code == 204
    assert _feed(client, cast.follower) == [] and _entries(cast.follower) == set()
    assert _entries(cast.me) == {old.id, shared["id"]}  # my own stay mine


def test_a_deleted_activity_leaves_every_feed(client, cast):
    activity = make_activity(cast.me, "Public")
    assert activity.id in _entries(cast.follower)
    assert client.delete(f"/api/activities/{activity.id}", headers=bearer(cast.me)).status_code == 204
    assert _entries(cast.follower) == set() and _feed(client, cast.follower) == []


# ---- made by the product


def test_logging_a_session_makes_an_activity_with_my_current_setting(client, cast):
    from datetime import UTC, datetime

    squat = make_exercise()
    make_session(cast.me, datetime(2026, 11, 1, 9, tzinfo=UTC), [{"exercise_id": squat.id, "reps": 5, "weight_kg": 90}])
    set_privacy(cast.me, activities="Public")
    heavier = [{"exercise_id": squat.id, "reps": 5, "weight_kg": 100}]
    session = make_session(cast.me, datetime(2026, 11, 3, 9, tzinfo=UTC), heavier)
    rows = db.session.execute(
        sa.select(Activity.type, Activity.visibility).where(Activity.session_id == session.id)
    ).all()
    kinds = sorted((t.value, v.value) for t, v in rows)
    assert kinds[-1] == ("session_completed", "Public")
    assert kinds[:-1] and set(kinds[:-1]) == {("personal_record", "Public")}
    feed = client.get(f"/api/users/{cast.me.id}/activities", headers=bearer(cast.stranger)).get_json()
    assert {a["type"] for a in feed} == {"session_completed", "personal_record"}


# ---- POST /api/workouts/{id}/share


@pytest.mark.parametrize("viewer", VIEWERS)
def test_share_permission_matrix(client, cast, viewer):
    workout = make_workout(cast.trainer, visibility="Clients")  # visible to the trainer and their client (me)
    response = client.post(f"/api/workouts/{workout.id}/share", json={}, headers=bearer(cast.role(viewer)))
    if viewer in ("me", "trainer", "owner"):  # an Owner sees every workout (API.md §3)
        assert response.status_code == 201
        body = response.get_json()
        assert body["type"] == "workout_shared" and body["user"]["id"] == cast.role(viewer).id
        assert body["data"] == {"workout": {"id": workout.id, "title": workout.title}, "caption": None}
        assert body["visibility"] == "Followers"  # the default activities setting
        assert activity_ids() == [body["id"]]
    else:
        assert response.status_code == 404
        assert activity_ids() == []


def test_share_with_caption_and_visibility(client, cast):
    workout = make_workout(cast.trainer, visibility="Public")
    body = {"caption": "  Leg day!  ", "visibility": "Public"}
    response = client.post(f"/api/workouts/{workout.id}/share", json=body, headers=bearer(cast.me))
    assert response.status_code == 201
    assert response.get_json()["data"]["caption"] == "Leg day!"
    assert db.session.get(Activity, response.get_json()["id"]).visibility.value == "Public"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"visibility": "public"}, "visibility"),
        ({"visibility": "Friends"}, "visibility"),
        ({"caption": "x" * 501}, "caption"),
        ({"caption": 5}, "caption"),
        ({"user_id": 3}, "user_id"),
    ],
)
def test_share_validation(client, cast, body, field):
    workout = make_workout(cast.trainer, visibility="Public")
    response = client.post(f"/api/workouts/{workout.id}/share", json=body, headers=bearer(cast.me))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]
    assert activity_ids() == []


def test_share_a_missing_workout_is_404(client, cast):
    assert client.post("/api/workouts/999999/share", json={}, headers=bearer(cast.me)).status_code == 404


def test_the_feed_reads_each_candidates_follow_by_key():
    """The membership is an IN correlated with the candidate's owner (`policy.in_feed`): one follow read by key
    per candidate. Uncorrelated, PostgreSQL hashes all the viewer's follows on every page (a small test
    database plans it per row either way, so the shape is what is held here)."""
    sql = " ".join(str(social_services._feed_statement(True, False).stmt).split())
    membership = sql[sql.index("activities.user_id IN (") :]
    membership = membership[: membership.index(")")]
    assert "FROM follows WHERE" in membership and "follows.followee_id = activities.user_id" in membership
