"""Kudos and comments: the permission matrix, idempotence, counters under concurrency, notifications, blocks."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.notifications.models import Notification
from app.social.models import Activity, Comment, Kudos
from tests.factories import make_user
from tests.social.conftest import VIEWERS, bearer, make_activity

SEES = {"me", "follower", "trainer"}  # who sees a Followers activity of `me`


def counters(activity_id: int) -> tuple[int, int]:
    row = db.session.execute(
        sa.select(Activity.kudos_count, Activity.comment_count).where(Activity.id == activity_id)
    ).one()
    return tuple(row)


def kinds_notified(user) -> list[str]:
    stmt = sa.select(Notification.type).where(Notification.user_id == user.id).order_by(Notification.id)
    return list(db.session.scalars(stmt))


# ---- kudos


@pytest.mark.parametrize("viewer", VIEWERS)
def test_kudos_permission_matrix(client, cast, viewer):
    activity = make_activity(cast.me)
    response = client.post(f"/api/activities/{activity.id}/kudos", headers=bearer(cast.role(viewer)))
    if viewer in SEES:
        assert response.status_code == 204
        assert counters(activity.id) == (1, 0)
        assert db.session.get(Kudos, (activity.id, cast.role(viewer).id)) is not None
        assert kinds_notified(cast.me) == ([] if viewer == "me" else ["kudos"])  # not for your own
    else:
        assert response.status_code == 404
        assert counters(activity.id) == (0, 0) and kinds_notified(cast.me) == []
    response = client.delete(f"/api/activities/{activity.id}/kudos", headers=bearer(cast.role(viewer)))
    assert response.status_code == (204 if viewer in SEES else 404)
    assert counters(activity.id) == (0, 0)


def test_kudos_are_idempotent_both_ways(client, cast):
    activity = make_activity(cast.me)
    for _ in range(3):
        assert client.post(f"/api/activities/{activity.id}/kudos", headers=bearer(cast.follower)).status_code == 204
    assert counters(activity.id) == (1, 0) and kinds_notified(cast.me) == ["kudos"]
    for _ in range(2):
        assert client.delete(f"/api/activities/{activity.id}/kudos", headers=bearer(cast.follower)).status_code == 204
    assert counters(activity.id) == (0, 0)


def test_kudos_list(client, cast):
    activity = make_activity(cast.me)
    db.session.add_all([Kudos(activity_id=activity.id, user_id=u.id) for u in (cast.follower, cast.trainer)])
    db.session.add(Kudos(activity_id=activity.id, user_id=cast.blocked.id))  # given before the block
    db.session.commit()
    body = client.get(f"/api/activities/{activity.id}/kudos", headers=bearer(cast.me)).get_json()
    assert {p["id"] for p in body} == {cast.follower.id, cast.trainer.id}  # not the blocked one, to me
    assert client.get(f"/api/activities/{activity.id}/kudos", headers=bearer(cast.stranger)).status_code == 404


@pytest.mark.live
def test_concurrent_kudos_add_up(app):
    """Twelve people give kudos at once, each in its own transaction, twice: the counter ends at twelve."""
    from app.accounts.models import User
    from app.social import services as social_services
    from tests.social.conftest import set_privacy

    owner = make_user()
    set_privacy(owner, activities="Public")
    activity_id, owner_id = make_activity(owner, "Public").id, owner.id
    giver_ids = [make_user().id for _ in range(12)]
    db.session.remove()
    barrier = threading.Barrier(len(giver_ids))
    errors: list = []

    def give(user_id):
        with app.app_context():
            try:
                user = db.session.get(User, user_id)
                barrier.wait(timeout=10)
                for _ in range(2):  # a repeat changes nothing
                    social_services.give_kudos(user, activity_id)
                    db.session.commit()
            except Exception as error:  # pragma: no cover - reported by the assertion
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=give, args=(uid,)) for uid in giver_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert counters(activity_id) == (12, 0)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Kudos)) == 12
    notified = sa.select(Notification.type).where(Notification.user_id == owner_id)
    assert list(db.session.scalars(notified)) == ["kudos"] * 12


# ---- comments


@pytest.mark.parametrize("viewer", VIEWERS)
def test_comment_permission_matrix(client, cast, viewer):
    activity = make_activity(cast.me)
    response = client.post(
        f"/api/activities/{activity.id}/comments", json={"content": "  Strong!  "}, headers=bearer(cast.role(viewer))
    )
    stored = db.session.scalars(sa.select(Comment)).all()
    if viewer in SEES:
        assert response.status_code == 201
        body = response.get_json()
        assert body["content"] == "Strong!" and body["activity_id"] == activity.id
        assert body["user"]["id"] == cast.role(viewer).id and body["created_at"].endswith("Z")
        assert [c.id for c in stored] == [body["id"]]
        assert counters(activity.id) == (0, 1)
        assert kinds_notified(cast.me) == ([] if viewer == "me" else ["comment"])
    else:
        assert response.status_code == 404
        assert stored == [] and counters(activity.id) == (0, 0)
    listing = client.get(f"/api/activities/{activity.id}/comments", headers=bearer(cast.role(viewer)))
    assert listing.status_code == (200 if viewer in SEES else 404)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "content"),
        ({"content": "   "}, "content"),
        ({"content": "x" * 1001}, "content"),
        ({"content": 3}, "content"),
        ({"content": "ok", "user_id": 1}, "user_id"),
    ],
)
def test_comment_validation(client, cast, body, field):
    activity = make_activity(cast.me)
    response = client.post(f"/api/activities/{activity.id}/comments", json=body, headers=bearer(cast.follower))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]
    assert db.session.scalars(sa.select(Comment)).all() == []


def test_a_thousand_characters_is_fine(client, cast):
    activity = make_activity(cast.me)
    body = {"content": "x" * 1000}
    assert (
        client.post(f"/api/activities/{activity.id}/comments", json=body, headers=bearer(cast.follower)).status_code
        == 201
    )


def test_comments_are_oldest_first_and_page_numbered(client, cast):
    activity = make_activity(cast.me)
    ids = [
        client.post(
            f"/api/activities/{activity.id}/comments", json={"content": f"c{i}"}, headers=bearer(cast.follower)
        ).get_json()["id"]
        for i in range(3)
    ]
    response = client.get(f"/api/activities/{activity.id}/comments?page_size=2", headers=bearer(cast.me))
    assert [c["id"] for c in response.get_json()] == ids[:2]
    assert '"total": 3' in response.headers["X-Pagination"]
    page2 = client.get(f"/api/activities/{activity.id}/comments?page=2&page_size=2", headers=bearer(cast.me))
    assert [c["id"] for c in page2.get_json()] == ids[2:]


def test_comments_across_a_block_are_hidden_only_from_the_two(client, cast):
    """The peer product's bug: a blocker's comments vanished for everyone. Here only the pair loses sight."""
    other = make_user()
    from tests.social.conftest import follow_row, set_privacy

    set_privacy(other, activities="Public")
    activity = make_activity(other, "Public")
    follow_row(cast.me, other)
    mine = client.post(f"/api/activities/{activity.id}/comments", json={"content": "mine"}, headers=bearer(cast.me))
    theirs = client.post(
        f"/api/activities/{activity.id}/comments", json={"content": "theirs"}, headers=bearer(cast.blocked)
    )
    both = [mine.get_json()["id"], theirs.get_json()["id"]]

    def seen_by(user):
        return [c["id"] for c in client.get(f"/api/activities/{activity.id}/comments", headers=bearer(user)).get_json()]

    assert seen_by(cast.me) == both[:1]  # I blocked them: I do not see theirs
    assert seen_by(cast.blocked) == both[1:]  # and they do not see mine
    assert seen_by(cast.stranger) == both  # everyone else sees both
    assert seen_by(other) == both


def test_commenting_across_a_block_is_404(client, cast):
    activity = make_activity(cast.me, "Public")
    from tests.social.conftest import set_privacy

    set_privacy(cast.me, activities="Public")
    response = client.post(
        f"/api/activities/{activity.id}/comments", json={"content": "hi"}, headers=bearer(cast.blocked)
    )
    assert response.status_code == 404
    assert db.session.scalars(sa.select(Comment)).all() == []


def test_comment_floods_are_rate_limited(app, client, cast):
    activity = make_activity(cast.me)
    app.config["SOCIAL_COMMENT_RATE"] = "2 per minute"
    try:
        codes = [
            client.post(f"/api/activities/{activity.id}/comments", json={"content": "x"}, headers=bearer(cast.follower))
            for _ in range(3)
        ]
    finally:
        app.config["SOCIAL_COMMENT_RATE"] = "20 per minute"
    assert [r.status_code for r in codes] == [201, 201, 429]
    assert "Retry-After" in codes[2].headers
    assert counters(activity.id) == (0, 2)


@pytest.mark.parametrize(
    ("actor", "expected"),
    [("author", 204), ("me", 204), ("trainer", 403), ("stranger", 404), ("blocked", 404), ("owner", 404)],
)
def test_delete_comment_matrix(client, cast, actor, expected):
    activity = make_activity(cast.me)
    comment = Comment(activity_id=activity.id, user_id=cast.follower.id, content="nice")
    db.session.add(comment)
    db.session.execute(sa.update(Activity).where(Activity.id == activity.id).values(comment_count=1))
    db.session.commit()
    who = cast.follower if actor == "author" else cast.role(actor)
    response = client.delete(f"/api/comments/{comment.id}", headers=bearer(who))
    assert response.status_code == expected
    left = db.session.scalars(sa.select(Comment.id)).all()
    assert left == ([] if expected == 204 else [comment.id])
    assert counters(activity.id) == (0, 0 if expected == 204 else 1)


def test_delete_a_missing_comment_is_404(client, cast):
    assert client.delete("/api/comments/999999", headers=bearer(cast.me)).status_code == 404
