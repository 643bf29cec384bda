"""The rules of social: privacy settings, follows and requests, activities and the feed, kudos, comments."""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_smorest.pagination import PaginationParameters
from sqlalchemy import select

from app.accounts import services as accounts_services
from app.accounts.models import User
from app.chat import services as chat_services
from app.core.columns import utcnow
from app.core.direct_sql import DirectStatement
from app.core.engine import conflict_insert
from app.core.errors import Forbidden, Invalid, NotFound
from app.core.pagination import paginate
from app.core.unit_of_work import bind_of
from app.extensions import db
from app.notifications import services as notifications_services
from app.social import policy
from app.social.models import (
    DEFAULT_ACTIVITY_PRIVACY,
    DEFAULT_PROFILE_PRIVACY,
    Activity,
    ActivityType,
    Comment,
    FeedEntry,
    Follow,
    FollowStatus,
    Kudos,
    Privacy,
    PrivacySetting,
)
from app.workouts import services as workouts_services

# ---- privacy


def get_privacy(user_id: int) -> dict[str, Privacy]:
    """Return a user's privacy settings (the defaults when never set)."""
    setting = db.session.get(PrivacySetting, user_id)
    if setting is None:
        return {"profile": DEFAULT_PROFILE_PRIVACY, "activities": DEFAULT_ACTIVITY_PRIVACY}
    return {"profile": setting.profile, "activities": setting.activities}


def update_privacy(user: User, changes: dict[str, Privacy]) -> dict[str, Privacy]:
    """Change a user's privacy settings; tightening them hides older activities too (the rule reads them live)."""
    values = {**get_privacy(user.id), **changes}
    setting = db.session.get(PrivacySetting, user.id)
    if setting is None:
        db.session.add(PrivacySetting(user_id=user.id, **values))
    else:
        setting.profile, setting.activities = values["profile"], values["activities"]
    db.session.flush()
    return values


# ---- follows


def _other_user(actor: User, user_id: int, field: str = "id") -> User:
    """The user an action is about: 422 for yourself, 404 when missing or across a block."""
    if user_id == actor.id:
        raise Invalid("You cannot do this to yourself.", field=field, location="path")
    if policy.is_blocked(actor.id, user_id):
        raise NotFound("No such user.")
    return accounts_services.get_user(user_id)


def follow(actor: User, user_id: int) -> FollowStatus:
    """Follow a user, or ask to when their profile is Private (idempotent); notify them of what is new."""
    target = _other_user(actor, user_id)
    existing = db.session.get(Follow, (actor.id, target.id))
    if existing is not None:
        return existing.status
    chat_services.check_rate(
        actor.id, "social-follow", current_app.config["SOCIAL_FOLLOW_RATE"], "Too many follows; slow down."
    )
    pending = policy.needs_approval(get_privacy(target.id)["profile"])
    status = FollowStatus.PENDING if pending else FollowStatus.ACCEPTED
    inserted = _insert_ignoring_duplicates(
        Follow, {"follower_id": actor.id, "followee_id": target.id, "status": status, "created_at": utcnow()}
    )
    if inserted and not pending:
        backfill_feed(actor.id, target.id)
    if inserted:
        kind, title = (
            ("follow_request", f"{actor.username} asks to follow you")
            if pending
            else ("new_follower", f"{actor.username} now follows you")
        )
        notifications_services.notify(target.id, kind, title, None, {"user_id": actor.id})
    return status


def unfollow(actor: User, user_id: int) -> None:
    """Stop following a user, or withdraw a request (idempotent)."""
    _other_user(actor, user_id)
    db.session.execute(sa.delete(Follow).where(Follow.follower_id == actor.id, Follow.followee_id == user_id))
    drop_from_feed(actor.id, user_id)


def follow_requests(me: User, pagination: PaginationParameters) -> list[dict[str, Any]]:
    """One page of the pending requests to follow me, newest first."""
    stmt = (
        select(Follow, User.username)
        .join(User, User.id == Follow.follower_id)
        .where(Follow.followee_id == me.id, Follow.status == FollowStatus.PENDING)
        .order_by(Follow.created_at.desc(), Follow.follower_id.desc())
    )
    return [
        {
            "user": _person(row.Follow.follower_id, row.username),
            "status": row.Follow.status,
            "created_at": row[0].created_at,
        }
        for row in paginate(stmt, pagination)
    ]


def respond_to_request(me: User, user_id: int, accept: bool) -> None:
    """Accept (the requester becomes a follower) or decline (the request goes) a pending request; 404 if none."""
    request = db.session.get(Follow, (user_id, me.id))
    if request is None or request.status != FollowStatus.PENDING:
        raise NotFound("No pending follow request from this user.")
    if not accept:
        db.session.delete(request)
        db.session.flush()
        return
    request.status = FollowStatus.ACCEPTED
    db.session.flush()
    backfill_feed(user_id, me.id)


def _follow_list(viewer: User, user_id: int, pagination: PaginationParameters, *, of_followers: bool) -> list:
    """Followers (or followees) of a user, newest first, as far as the user's profile privacy lets the viewer see."""
    accounts_services.get_user(user_id)
    if not policy.may_see_profile(viewer.id, user_id):
        raise NotFound("No such user, or you may not see whom they follow.")
    listed, anchor = (
        (Follow.follower_id, Follow.followee_id) if of_followers else (Follow.followee_id, Follow.follower_id)
    )
    stmt = (
        select(User.id, User.username, Follow.created_at)
        .join(Follow, listed == User.id)
        .where(
            anchor == user_id,
            Follow.status == FollowStatus.ACCEPTED,
            policy.profile_visible(viewer.id, user_id),
            ~policy.blocked_between(viewer.id, User.id),
        )
        .order_by(Follow.created_at.desc(), User.id.desc())
    )
    rows = paginate(stmt, pagination)
    return [{**_person(row.id, row.username), "followed_at": row.created_at} for row in rows]


def followers(viewer: User, user_id: int, pagination: PaginationParameters) -> list[dict[str, Any]]:
    """One page of a user's followers (accepted), newest first."""
    return _follow_list(viewer, user_id, pagination, of_followers=True)


def following(viewer: User, user_id: int, pagination: PaginationParameters) -> list[dict[str, Any]]:
    """One page of the people a user follows (accepted), newest first."""
    return _follow_list(viewer, user_id, pagination, of_followers=False)


def on_user_blocked(sender: Any, blocker_id: int, blocked_id: int) -> None:
    """A block ends follows and pending requests both ways."""
    pair = sa.or_(
        sa.and_(Follow.follower_id == blocker_id, Follow.followee_id == blocked_id),
        sa.and_(Follow.follower_id == blocked_id, Follow.followee_id == blocker_id),
    )
    db.session.execute(sa.delete(Follow).where(pair).execution_options(synchronize_session=False))
    drop_from_feed(blocker_id, blocked_id)
    drop_from_feed(blocked_id, blocker_id)


# ---- the feed's candidates (fan-out on write)


def fan_out(activity_id: int, owner_id: int) -> None:
    """Put a new activity in its owner's feed and in the feed of each of the owner's accepted followers."""
    followers = select(Follow.follower_id, sa.literal(activity_id, sa.Integer)).where(
        Follow.followee_id == owner_id, Follow.status == FollowStatus.ACCEPTED
    )
    rows = sa.union_all(select(sa.literal(owner_id, sa.Integer), sa.literal(activity_id, sa.Integer)), followers)
    db.session.execute(sa.insert(FeedEntry).from_select(["viewer_id", "activity_id"], rows))


def backfill_feed(follower_id: int, followee_id: int) -> None:
    """Put the followee's activities so far in the follower's feed: a follow just became accepted (idempotent)."""
    rows = select(sa.literal(follower_id, sa.Integer), Activity.id).where(Activity.user_id == followee_id)
    insert = conflict_insert(FeedEntry, bind_of(db.session).dialect.name)
    stmt = insert.from_select(["viewer_id", "activity_id"], rows).on_conflict_do_nothing()
    db.session.execute(stmt)


def drop_from_feed(follower_id: int, followee_id: int) -> None:
    """Take the followee's activities out of the follower's feed: an unfollow, a block."""
    authored = select(Activity.id).where(Activity.user_id == followee_id)
    stmt = sa.delete(FeedEntry).where(FeedEntry.viewer_id == follower_id, FeedEntry.activity_id.in_(authored))
    db.session.execute(stmt.execution_options(synchronize_session=False))


# ---- activities: made by the product


def on_session_logged(sender: Any, session: Any) -> None:
    """A session logged as completed becomes a `session_completed` activity."""
    volume = sum((s.weight_kg or 0) * (s.reps or 0) for s in session.sets)
    data = {
        "started_at": session.started_at.isoformat().replace("+00:00", "Z"),
        "sets": len(session.sets),
        "exercises": len({s.exercise_id for s in session.sets}),
        "volume_kg": round(volume, 2),
    }
    _add_activity(
        session.user_id, ActivityType.SESSION_COMPLETED, data, session_id=session.id, workout_id=session.workout_id
    )


def on_records_found(sender: Any, session: Any, records: list[dict[str, Any]]) -> None:
    """(Re)make the `personal_record` activities of a session: one per record it set when it happened."""
    db.session.execute(
        sa.delete(Activity).where(Activity.session_id == session.id, Activity.type == ActivityType.PERSONAL_RECORD)
    )
    for record in records:
        data = {key: record[key] for key in ("kind", "value_kg", "previous_kg")}
        _add_activity(
            session.user_id,
            ActivityType.PERSONAL_RECORD,
            data,
            session_id=session.id,
            exercise_id=record["exercise_id"],
        )
    db.session.flush()


def _add_activity(
    user_id: int, type: ActivityType, data: dict[str, Any], visibility: Privacy | None = None, **subjects: Any
) -> Activity:
    """Store an activity with the visibility chosen now (default: the owner's current activities setting)."""
    visibility = visibility or get_privacy(user_id)["activities"]
    activity = Activity(user_id=user_id, type=type, data=data, visibility=visibility, **subjects)
    db.session.add(activity)
    db.session.flush()
    fan_out(activity.id, user_id)
    return activity


def share_workout(actor: User, workout_id: int, caption: str | None, visibility: Privacy | None) -> dict[str, Any]:
    """Share a workout the actor may see as a `workout_shared` activity (404 for one they may not see)."""
    workout = workouts_services.get_workout(actor, workout_id)
    data = {"workout": {"id": workout.id, "title": workout.title}, "caption": caption or None}
    activity = _add_activity(actor.id, ActivityType.WORKOUT_SHARED, data, visibility, workout_id=workout.id)
    db.session.flush()
    return _view(activity, actor.username, kudoed_by_me=False)


# ---- activities: reading


def _person(user_id: int, username: str) -> dict[str, Any]:
    return {"id": user_id, "username": username, "profile_image": None}


def _view(activity: Activity, username: str, kudoed_by_me: bool) -> dict[str, Any]:
    """An activity as API.md §9 shows it."""
    return {
        "id": activity.id,
        "user": _person(activity.user_id, username),
        "type": activity.type,
        "data": activity.data,
        "visibility": activity.visibility,
        "kudos_count": activity.kudos_count,
        "comment_count": activity.comment_count,
        "kudoed_by_me": kudoed_by_me,
        "created_at": activity.created_at,
    }


def _with_owner(viewer_id: int) -> sa.Select:
    """Activities with their owner's name and whether the viewer gave kudos (one statement, no lazy loads)."""
    kudoed = sa.exists().where(Kudos.activity_id == Activity.id, Kudos.user_id == viewer_id)
    stmt = select(Activity, User.username, kudoed.label("kudoed")).join(User, User.id == Activity.user_id)
    return stmt.execution_options(populate_existing=True)  # counters move by UPDATE: read them as stored


_STREAM_COLUMNS = (
    Activity.id,
    Activity.user_id,
    Activity.type,
    Activity.data,
    Activity.visibility,
    Activity.kudos_count,
    Activity.comment_count,
    Activity.created_at,
)


def _stream_view(statement: DirectStatement, params: dict[str, Any]) -> list[dict]:
    return [_row_view(row) for row in statement.rows(db.session, params)]


def _row_view(row: sa.Row) -> dict[str, Any]:
    """An activity as API.md §9 shows it, from a stream row."""
    view = {name: getattr(row, name) for name in ("id", "type", "data", "visibility", "kudos_count", "comment_count")}
    view.update(user=_person(row.user_id, row.username), kudoed_by_me=row.kudoed, created_at=row.created_at)
    return view


def _stream_select(viewer: sa.BindParameter) -> sa.Select:
    """The columns of a stream's page: the activity, its owner's name, whether the viewer gave kudos."""
    kudoed = sa.exists().where(Kudos.activity_id == Activity.id, Kudos.user_id == viewer).label("kudoed")
    return select(*_STREAM_COLUMNS, User.username, kudoed).join(User, User.id == Activity.user_id)


def _cursor(column: Any, newest_first: bool, has_before: bool) -> tuple[list, Any]:
    """The cursor condition and the order of a stream on `column` (`before=` newest first, `after=` oldest first)."""
    if has_before:
        cursor = [column < sa.bindparam("before", type_=sa.Integer)]
    else:
        cursor = [] if newest_first else [column > sa.bindparam("after", type_=sa.Integer)]
    return cursor, column.desc() if newest_first else column.asc()


@functools.cache
def _feed_statement(newest_first: bool, has_before: bool) -> DirectStatement:
    """Build the feed's statement once per shape (direction, cursor), with bound parameters.

    One walk of the viewer's candidates (`feed_entries`' primary key, newest first past the cursor), each
    tested with `policy.in_feed` (theirs or of someone they follow, and visible by THE rule) until the page
    is full: hidden and stale candidates are skipped inside the statement, so every page but the last is
    full. The same statement on PostgreSQL and SQLite.
    """
    viewer, limit = sa.bindparam("viewer_id", type_=sa.Integer), sa.bindparam("limit", type_=sa.Integer)
    cursor, order = _cursor(FeedEntry.activity_id, newest_first, has_before)
    stmt = _stream_select(viewer).join(FeedEntry, FeedEntry.activity_id == Activity.id)
    stmt = stmt.where(FeedEntry.viewer_id == viewer, *cursor, policy.in_feed(viewer))
    return DirectStatement(stmt.order_by(order).limit(limit), driver_values=True)


@functools.cache
def _person_statement(dialect: str, newest_first: bool, has_before: bool) -> DirectStatement:
    """Build the statement of one person's list once per shape (dialect, direction, cursor), with bound parameters.

    THE rule once for the person (`policy.audience` of one author), then one bounded backward (or forward)
    walk of `ix_activities_user_id_id` keeps the first `limit` visible ids past the cursor. On SQLite (the
    embedded demo: no LATERAL) one plain ordered join.
    """
    viewer, limit = sa.bindparam("viewer_id", type_=sa.Integer), sa.bindparam("limit", type_=sa.Integer)
    audience = policy.audience(viewer, select(sa.bindparam("who", type_=sa.Integer)))
    seen = audience.c.allowed > policy.NOTHING  # before the walk: a person hidden from the viewer costs nothing
    visible = policy.rank(Activity.visibility) <= audience.c.allowed
    cursor, order = _cursor(Activity.id, newest_first, has_before)
    if dialect == "postgresql":
        walk = select(Activity.id).where(Activity.user_id == audience.c.author_id, visible, *cursor)
        walk = walk.order_by(order).limit(limit).lateral("walk")
        ids = select(walk.c.id).select_from(audience).join(walk, sa.true()).where(seen)
    else:
        page = select(Activity.id).join(audience, audience.c.author_id == Activity.user_id)
        ids = page.where(seen, visible, *cursor).order_by(order).limit(limit)
    page = _stream_select(viewer).where(Activity.id.in_(ids.scalar_subquery())).order_by(order)
    return DirectStatement(page, driver_values=True)


def feed(viewer_id: int, before: int | None = None, after: int | None = None, limit: int = 50) -> list[dict]:
    """Activities of the people I follow (accepted) and mine that I may see, newest first (cursor list).

    Takes the viewer's id, not their row: the feed needs nothing else of them (one query less per request).
    One statement whatever the page size and whoever is followed (`_feed_statement`).
    """
    params = {"viewer_id": viewer_id, "before": before, "after": after, "limit": limit}
    return _stream_view(_feed_statement(after is None, before is not None), params)


def user_activities(
    viewer_id: int, user_id: int, before: int | None = None, after: int | None = None, limit: int = 50
) -> list[dict]:
    """One person's activities the viewer may see (404 for no such user, or across a block)."""
    if policy.is_blocked(viewer_id, user_id):
        raise NotFound("No such user.")
    accounts_services.get_user(user_id)
    params = {"viewer_id": viewer_id, "who": user_id, "before": before, "after": after, "limit": limit}
    dialect = bind_of(db.session).dialect.name
    return _stream_view(_person_statement(dialect, after is None, before is not None), params)


def get_activity(viewer: User, activity_id: int) -> dict[str, Any]:
    """Return an activity the viewer may see, else 404."""
    stmt = _with_owner(viewer.id).where(Activity.id == activity_id, policy.activity_visible(viewer.id))
    row = db.session.execute(stmt).first()
    if row is None:
        raise NotFound("No such activity.")
    return _view(row.Activity, row.username, row.kudoed)


def _visible_activity(viewer: User, activity_id: int) -> Activity:
    stmt = select(Activity).where(Activity.id == activity_id, policy.activity_visible(viewer.id))
    activity = db.session.execute(stmt).scalar_one_or_none()
    if activity is None:
        raise NotFound("No such activity.")
    return activity


def delete_activity(actor: User, activity_id: int) -> None:
    """Delete one of your activities (its kudos and comments go with it); others' are 403, hidden ones 404."""
    activity = _visible_activity(actor, activity_id)
    if activity.user_id != actor.id:
        raise Forbidden("Only its owner may delete an activity.")
    db.session.delete(activity)
    db.session.flush()


# ---- kudos


def _insert_ignoring_duplicates(model: Any, values: dict[str, Any]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING (one statement, safe under concurrency); tell whether a row was stored."""
    key = sa.inspect(model).primary_key[0]
    insert = conflict_insert(model, bind_of(db.session).dialect.name)
    stmt = insert.values(**values).on_conflict_do_nothing().returning(key)
    return db.session.execute(stmt).first() is not None


def _count(activity_id: int, column: str, delta: int) -> None:
    """Move a counter in one UPDATE, so concurrent kudos and comments add up."""
    counter = getattr(Activity, column)
    stmt = sa.update(Activity).where(Activity.id == activity_id).values({counter: counter + delta})
    db.session.execute(stmt.execution_options(synchronize_session=False))


def give_kudos(actor: User, activity_id: int) -> None:
    """Give kudos to an activity you may see (idempotent); its owner is notified of new kudos."""
    activity = _visible_activity(actor, activity_id)
    values = {"activity_id": activity.id, "user_id": actor.id, "created_at": utcnow()}
    if not _insert_ignoring_duplicates(Kudos, values):
        return
    _count(activity.id, "kudos_count", 1)
    if activity.user_id != actor.id:
        title = f"{actor.username} gave you kudos"
        notifications_services.notify(
            activity.user_id, "kudos", title, None, {"activity_id": activity.id, "user_id": actor.id}
        )


def take_back_kudos(actor: User, activity_id: int) -> None:
    """Take your kudos back (idempotent)."""
    activity = _visible_activity(actor, activity_id)
    deleted = db.session.execute(
        sa.delete(Kudos).where(Kudos.activity_id == activity.id, Kudos.user_id == actor.id).returning(Kudos.user_id)
    ).first()
    if deleted is not None:
        _count(activity.id, "kudos_count", -1)


def list_kudos(viewer: User, activity_id: int, pagination: PaginationParameters) -> list[dict[str, Any]]:
    """Who gave kudos to an activity the viewer may see, newest first (people across a block left out)."""
    activity = _visible_activity(viewer, activity_id)
    stmt = (
        select(User.id, User.username, Kudos.created_at)
        .join(Kudos, Kudos.user_id == User.id)
        .join(Activity, Activity.id == Kudos.activity_id)
        .where(
            Kudos.activity_id == activity.id,
            policy.activity_visible(viewer.id),
            ~policy.blocked_between(viewer.id, User.id),
        )
        .order_by(Kudos.created_at.desc(), User.id.desc())
    )
    return [{**_person(row.id, row.username), "given_at": row.created_at} for row in paginate(stmt, pagination)]


# ---- comments


def _comment_view(comment: Comment, username: str) -> dict[str, Any]:
    return {
        "id": comment.id,
        "activity_id": comment.activity_id,
        "user": _person(comment.user_id, username),
        "content": comment.content,
        "created_at": comment.created_at,
    }


def list_comments(viewer: User, activity_id: int, pagination: PaginationParameters) -> list[dict[str, Any]]:
    """Comments on an activity the viewer may see, oldest first; comments across a block are left out."""
    activity = _visible_activity(viewer, activity_id)
    stmt = (
        select(Comment, User.username)
        .join(User, User.id == Comment.user_id)
        .join(Activity, Activity.id == Comment.activity_id)
        .where(
            Comment.activity_id == activity.id,
            policy.activity_visible(viewer.id),
            ~policy.blocked_between(viewer.id, Comment.user_id),
        )
        .order_by(Comment.id)
    )
    return [_comment_view(row.Comment, row.username) for row in paginate(stmt, pagination)]


def add_comment(actor: User, activity_id: int, content: str) -> dict[str, Any]:
    """Comment on an activity you may see; its owner is notified."""
    activity = _visible_activity(actor, activity_id)
    chat_services.check_rate(
        actor.id, "social-comment", current_app.config["SOCIAL_COMMENT_RATE"], "Too many comments; slow down."
    )
    comment = Comment(activity_id=activity.id, user_id=actor.id, content=content, created_at=utcnow())
    db.session.add(comment)
    db.session.flush()
    _count(activity.id, "comment_count", 1)
    if activity.user_id != actor.id:
        title = f"{actor.username} commented on your activity"
        data = {"activity_id": activity.id, "comment_id": comment.id, "user_id": actor.id}
        notifications_services.notify(activity.user_id, "comment", title, content[:200], data)
    return _comment_view(comment, actor.username)


def delete_comment(actor: User, comment_id: int) -> None:
    """Delete a comment: its author or the activity's owner (others who can see it: 403; hidden: 404)."""
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        raise NotFound("No such comment.")
    activity = _visible_activity(actor, comment.activity_id)
    if activity.user_id != actor.id and policy.is_blocked(actor.id, comment.user_id):
        raise NotFound("No such comment.")
    if not policy.can_delete_comment(actor.id, comment.user_id, activity.user_id):
        raise Forbidden("Only the comment's author or the activity's owner may delete it.")
    db.session.delete(comment)
    db.session.flush()
    _count(activity.id, "comment_count", -1)
