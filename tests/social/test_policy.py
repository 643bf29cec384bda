"""The one visibility rule: a Hypothesis differential test against a plain Python spec, and cursor pages.

The spec (`may_see`) is the rule of API.md §9 in ten lines. Random small worlds of users, follows (pending
and accepted), blocks, coaching pairs, privacy settings and activities are stored; then for every viewer the
SQL predicate, the feed (its candidates made by fan-out, or every activity a stale candidate), each person's
list and the profile rule must agree with the spec.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.accounts.models import CoachingRelationship, CoachingStatus
from app.chat.models import Block
from app.extensions import db
from app.social import policy
from app.social import services as social_services
from app.social.models import Activity, ActivityType, FeedEntry, Follow, FollowStatus, Privacy, PrivacySetting
from tests.factories import make_user
from tests.social.conftest import bearer, follow_row, make_activity

N = 5  # people in a world
RANK = {"Public": 1, "Followers": 2, "Private": 3}
LEVELS = list(RANK)


def may_see(viewer, owner, level, world) -> bool:
    """The spec: may `viewer` see a thing of `owner` whose own visibility is `level` (activities' setting)?"""
    if (viewer, owner) in world["blocks"] or (owner, viewer) in world["blocks"]:
        return False
    if viewer == owner or world["coaching"].get((viewer, owner)) == "Active":
        return True
    strictest = max(RANK[level], RANK[world["settings"].get(owner, ("Public", "Followers"))[1]])
    if strictest == 1:
        return True
    return strictest == 2 and world["follows"].get((viewer, owner)) == "Accepted"


pairs = st.tuples(st.integers(0, N - 1), st.integers(0, N - 1)).filter(lambda p: p[0] != p[1])
worlds = st.fixed_dictionaries(
    {
        "follows": st.dictionaries(pairs, st.sampled_from(["Pending", "Accepted"]), max_size=12),
        "blocks": st.sets(pairs, max_size=3),
        "coaching": st.dictionaries(pairs, st.sampled_from(["Active", "Pending", "Ended"]), max_size=3),
        "settings": st.dictionaries(
            st.integers(0, N - 1), st.tuples(st.sampled_from(LEVELS), st.sampled_from(LEVELS)), max_size=N
        ),
        "activities": st.lists(st.tuples(st.integers(0, N - 1), st.sampled_from(LEVELS)), max_size=14),
    }
)


@pytest.fixture
def people():
    return [make_user(role="Trainer" if i < 2 else "User") for i in range(N)]


def _store(world, people, stale: bool = False) -> list[tuple[int, int, str]]:
    """Store a world over `people`; return its activities as (id, owner index, visibility).

    The feed's candidates are made by the product's fan-out (each activity into its owner's and their accepted
    followers' feeds), or, `stale`, every activity is a candidate of everyone's feed: the feed's rule alone
    must then keep out what the spec hides.
    """
    uid = [p.id for p in people]
    for (a, b), status in world["follows"].items():
        db.session.add(Follow(follower_id=uid[a], followee_id=uid[b], status=FollowStatus(status)))
    for a, b in world["blocks"]:
        db.session.add(Block(blocker_id=uid[a], blocked_id=uid[b]))
    for (t, c), status in world["coaching"].items():
        db.session.add(
            CoachingRelationship(
                trainer_id=uid[t], client_id=uid[c], requested_by_id=uid[c], status=CoachingStatus(status)
            )
        )
    for who, (profile, activities) in world["settings"].items():
        db.session.add(PrivacySetting(user_id=uid[who], profile=Privacy(profile), activities=Privacy(activities)))
    stored = []
    for owner, level in world["activities"]:
        activity = Activity(user_id=uid[owner], type=ActivityType.SESSION_COMPLETED, visibility=Privacy(level), data={})
        db.session.add(activity)
        db.session.flush()
        if not stale:
            social_services.fan_out(activity.id, uid[owner])
        stored.append((activity.id, owner, level))
    if stale:
        entries = [{"viewer_id": v, "activity_id": aid} for v in uid for aid, _, _ in stored]
        if entries:
            db.session.execute(sa.insert(FeedEntry), entries)
    db.session.flush()
    return stored


def _clear(people) -> None:
    ids = [p.id for p in people]
    for model, column in (
        (Activity, Activity.user_id),
        (Follow, Follow.follower_id),
        (Block, Block.blocker_id),
        (CoachingRelationship, CoachingRelationship.trainer_id),
        (PrivacySetting, PrivacySetting.user_id),
    ):
        db.session.execute(sa.delete(model).where(column.in_(ids)))
    db.session.flush()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=worlds, stale=st.booleans())
def test_sql_rule_equals_the_spec(app, people, world, stale):
    """`stale`: the feed's candidates as fan-out makes them, or every activity a candidate of every feed."""
    stored = _store(world, people, stale)
    try:
        for v, viewer in enumerate(people):
            expected = {aid for aid, owner, level in stored if may_see(v, owner, level, world)}
            stmt = sa.select(Activity.id).where(
                Activity.user_id.in_([p.id for p in people]), policy.activity_visible(viewer.id)
            )
            assert set(db.session.scalars(stmt)) == expected, (v, world)
            followed = {o for (f, o), s in world["follows"].items() if f == v and s == "Accepted"} | {v}
            feed = [a["id"] for a in social_services.feed(viewer.id, limit=100)]
            assert feed == sorted(
                (aid for aid, owner, _ in stored if aid in expected and owner in followed), reverse=True
            )
            for o, owner in enumerate(people):
                blocked = (v, o) in world["blocks"] or (o, v) in world["blocks"]
                if not blocked:
                    listed = [a["id"] for a in social_services.user_activities(viewer.id, owner.id, limit=100)]
                    assert listed == sorted((aid for aid, ow, _ in stored if ow == o and aid in expected), reverse=True)
                # The profile rule is the same rule over the profile setting, for a Public thing.
                profile = world["settings"].get(o, ("Public", "Followers"))[0]
                spec = may_see(v, o, "Public", {**world, "settings": {o: (None, profile)}})
                assert policy.may_see_profile(viewer.id, owner.id) == spec, (v, o, world)
    finally:
        _clear(people)


@pytest.mark.parametrize("stale", [False, True])
def test_cursor_pages_are_full_and_exact(app, cast, stale):
    """With most activities hidden, `before=` pages return exactly the visible set: no gaps, no repeats, full pages.

    `stale`: a stranger's Public activities are candidates of the viewer's feed too (an entry left behind):
    the feed's rule skips them inside the statement, and the pages stay full.
    """
    friend, quiet, unfollowed = make_user(), make_user(), make_user()
    follow_row(cast.follower, friend)
    follow_row(cast.follower, quiet)
    visible = []
    for i in range(90):
        owner = (cast.me, friend, quiet)[i % 3]
        level = ("Private", "Followers", "Private", "Private", "Public")[i % 5]
        activity = make_activity(owner, level)
        if level != "Private":
            visible.append(activity.id)
        if stale and i % 2:
            left_behind = make_activity(unfollowed, "Public")
            db.session.add(FeedEntry(viewer_id=cast.follower.id, activity_id=left_behind.id))
    db.session.commit()
    visible.reverse()
    seen, before, pages = [], None, []
    while True:
        page = social_services.feed(cast.follower.id, before=before, limit=7)
        pages.append(len(page))
        seen.extend(a["id"] for a in page)
        if len(page) < 7:
            break
        before = page[-1]["id"]
    assert seen == visible  # exactly the visible set, newest first, no duplicates
    assert all(n == 7 for n in pages[:-1]) and pages[-1] < 7


def test_cursor_pages_through_the_api(client, cast):
    for i in range(12):
        make_activity(cast.me, "Private" if i % 2 else "Followers")
    headers, seen, before = bearer(cast.follower), [], None
    while True:
        query = "limit=4" + (f"&before={before}" if before else "")
        page = client.get(f"/api/feed?{query}", headers=headers).get_json()
        seen.extend(a["id"] for a in page)
        if len(page) < 4:
            break
        before = page[-1]["id"]
    assert len(seen) == 6 and len(set(seen)) == 6
    assert seen == sorted(seen, reverse=True)
