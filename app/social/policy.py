"""Who may see what in social (API.md §9): one rule, written once, in SQL.

`allowed_rank(viewer, owner)` is the rule: the strictest privacy rank of the owner's things the viewer may
see — 0 nothing (a block either way, or not allowed), 1 Public things, 2 Followers things too, 3 everything
(the owner themselves, or their active trainer). A thing with its own visibility is visible when the stricter
of its rank and the owner's current setting is allowed, which is `rank(thing) <= allowed_rank(...)` because
`allowed_rank` already folds the owner's setting in. The feed, an activity's detail, a person's activities,
comments and kudos, follower lists all filter with these expressions inside their SQL, so a cursor page is
built from visible rows only. The Python functions here ask the same SQL; nothing re-implements the rule.
"""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa

from app.accounts import services as accounts_services
from app.chat import policy as chat_policy
from app.extensions import db
from app.social.models import (
    DEFAULT_ACTIVITY_PRIVACY,
    DEFAULT_PROFILE_PRIVACY,
    PRIVACY_RANK,
    Activity,
    Follow,
    FollowStatus,
    Privacy,
    PrivacySetting,
)

Which = Literal["profile", "activities"]
NOTHING, PUBLIC, FOLLOWERS, EVERYTHING = 0, 1, 2, 3
Ref = int | sa.ColumnElement | sa.BindParameter


def rank(level: sa.ColumnElement) -> sa.ColumnElement[int]:
    """SQL: the rank of a privacy column (1 Public, 2 Followers, 3 Private)."""
    return sa.case({privacy.value: n for privacy, n in PRIVACY_RANK.items()}, value=level, else_=EVERYTHING)


def setting_of(owner_id: Ref, which: Which) -> sa.ColumnElement:
    """SQL: the owner's current privacy setting for their profile or their activities (defaults when unset)."""
    column = PrivacySetting.profile if which == "profile" else PrivacySetting.activities
    default = DEFAULT_PROFILE_PRIVACY if which == "profile" else DEFAULT_ACTIVITY_PRIVACY
    chosen = sa.select(column).where(PrivacySetting.user_id == owner_id).scalar_subquery()
    return sa.func.coalesce(chosen, default.value)


def follows_accepted(viewer_id: Ref, owner_id: Ref) -> sa.ColumnElement[bool]:
    """SQL: the viewer follows the owner (an accepted follow, not a pending request).

    A scalar lookup by primary key rather than an EXISTS: PostgreSQL may answer an EXISTS by hashing all the
    viewer's follows first, which costs a list of 20 as much as the viewer follows people.
    """
    accepted = sa.select(Follow.status).where(Follow.follower_id == viewer_id, Follow.followee_id == owner_id)
    return accepted.scalar_subquery() == FollowStatus.ACCEPTED.value


def allowed_rank(viewer_id: Ref, owner_id: Ref, which: Which = "activities") -> sa.ColumnElement[int]:
    """SQL: the strictest rank of the owner's things the viewer may see (0 nothing ... 3 everything): THE rule."""
    viewer_id, owner_id = _sql(viewer_id), _sql(owner_id)
    setting = setting_of(owner_id, which)
    return sa.case(
        (chat_policy.blocked_between(viewer_id, owner_id), NOTHING),
        (viewer_id == owner_id, EVERYTHING),
        (owner_id.in_(accounts_services.active_client_ids(viewer_id)), EVERYTHING),  # the owner's active trainer
        (setting == Privacy.PRIVATE.value, NOTHING),
        (follows_accepted(viewer_id, owner_id), FOLLOWERS),
        (setting == Privacy.PUBLIC.value, PUBLIC),
        else_=NOTHING,
    )


def _sql(value: Ref) -> sa.ColumnElement:
    return sa.literal(value, sa.Integer) if isinstance(value, int) else value


def activity_visible(viewer_id: Ref, activity: type[Activity] | sa.FromClause = Activity) -> sa.ColumnElement[bool]:
    """SQL: the viewer may see this activity (the stricter of its visibility and its owner's setting)."""
    columns = activity if activity is Activity else activity.c
    return rank(columns.visibility) <= allowed_rank(viewer_id, columns.user_id, "activities")


def in_feed(viewer_id: Ref, activity: type[Activity] = Activity) -> sa.ColumnElement[bool]:
    """SQL: the activity belongs in the viewer's feed: it is theirs or of someone they follow, and it is visible.

    The feed tests each of its candidates (`feed_entries`, written on fan-out) with this, so a candidate
    that is stale (an unfollow, a block, a privacy change) never shows anything the rule hides.

    The membership is one follow read by key per candidate: an IN correlated with the candidate's owner.
    Uncorrelated (or as an EXISTS) PostgreSQL hashes all the viewer's follows first, a fifth of the feed's
    time in PostgreSQL for a viewer following 500; a scalar `(SELECT status ...) = 'Accepted'` reads by key
    too, but its guessed selectivity (0.5%) prices the page's custom plans past `jit_above_cost`.
    """
    viewer_id = _sql(viewer_id)
    followed = sa.select(Follow.followee_id).where(
        Follow.follower_id == viewer_id, Follow.followee_id == activity.user_id, Follow.status == FollowStatus.ACCEPTED
    )
    mine_or_followed = sa.or_(activity.user_id == viewer_id, activity.user_id.in_(followed))
    return sa.and_(mine_or_followed, activity_visible(viewer_id, activity))


def profile_visible(viewer_id: Ref, owner_id: Ref) -> sa.ColumnElement[bool]:
    """SQL: the viewer may see the owner's social profile (followers and following lists)."""
    return allowed_rank(viewer_id, owner_id, "profile") >= PUBLIC


def audience(viewer_id: Ref, author_ids: sa.Select) -> sa.CTE:
    """Rows `(author_id, allowed)`: the authors among `author_ids` the viewer may see something of, and how much.

    A person's list walks the author's activities with `rank(visibility) <= allowed`, the same rule as
    `activity_visible` computed once per author instead of once per row. MATERIALIZED: otherwise
    PostgreSQL inlines it and evaluates the rule again inside every author's walk. Users must skip the rows
    with `allowed = 0` (NOTHING) themselves: filtering here would evaluate the rule twice per author.
    """
    authors = author_ids.subquery("authors")
    author_id = authors.c[0]
    allowed = allowed_rank(viewer_id, author_id, "activities")
    rows = sa.select(author_id.label("author_id"), allowed.label("allowed"))
    return rows.cte("audience").prefix_with("MATERIALIZED")


# ---- the same rule, asked for one object


def may_see_activity(viewer_id: int, activity_id: int) -> bool:
    """Tell whether the viewer may see an activity (False when it does not exist)."""
    stmt = sa.select(Activity.id).where(Activity.id == activity_id, activity_visible(viewer_id))
    return db.session.execute(stmt).first() is not None


def may_see_profile(viewer_id: int, owner_id: int) -> bool:
    """Tell whether the viewer may see the owner's followers and following."""
    return bool(db.session.scalar(sa.select(profile_visible(viewer_id, owner_id))))


def blocked_between(a_id: Ref, b_id: Ref) -> sa.Exists:
    """SQL: either user has blocked the other (chat's rule: blocks are one relation for every domain)."""
    return chat_policy.blocked_between(a_id, b_id)


def is_blocked(a_id: int, b_id: int) -> bool:
    """Tell whether either user has blocked the other."""
    return chat_policy.is_blocked(a_id, b_id)


def can_delete_comment(actor_id: int, comment_author_id: int, activity_owner_id: int) -> bool:
    """The comment's author and the activity's owner may delete a comment."""
    return actor_id in (comment_author_id, activity_owner_id)


def needs_approval(profile_setting: Privacy) -> bool:
    """A follow of a Private profile waits for the owner's approval."""
    return profile_setting == Privacy.PRIVATE
