"""REST endpoints of social (API.md §9): follows, requests, privacy, the feed, activities, kudos, comments."""

from __future__ import annotations

from flask.views import MethodView

from app.core.api import MAX_ID, Blueprint
from app.core.auth import auth_required, current_identity, current_user
from app.core.errors import NotFound
from app.core.replica import read_from_replica
from app.social import announcements, schemas
from app.social import services as svc

blp = Blueprint("social", __name__, url_prefix="/api", description="Follows, the activity feed, kudos and comments.")


def _user_id(value: str) -> int:
    """A user id from a path segment: `me` or a database id (anything else is a 404)."""
    if value == "me":
        return int(current_identity())
    if not value.isdigit() or not 0 < int(value) <= MAX_ID:
        raise NotFound("No such user.")
    return int(value)


# ---- follows


@blp.route("/users/<user_id>/follow")
class UserFollow(MethodView):
    @auth_required()
    @blp.response(204)
    def post(self, user_id):
        """Follow a user; a Private profile gets a pending request instead (they are notified)."""
        svc.follow(current_user(), _user_id(user_id))

    @auth_required()
    @blp.response(204)
    def delete(self, user_id):
        """Unfollow a user, or withdraw your pending request."""
        svc.unfollow(current_user(), _user_id(user_id))


@blp.route("/users/me/follow-requests")
class FollowRequests(MethodView):
    @auth_required()
    @blp.arguments(schemas.FollowListQueryArgsSchema, location="query")
    @blp.response(200, schemas.FollowRequestSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List the pending requests to follow you, newest first."""
        return svc.follow_requests(current_user(), pagination_parameters)


@blp.route("/users/me/follow-requests/<id:user_id>/accept")
class FollowRequestAccept(MethodView):
    @auth_required()
    @blp.response(204)
    def post(self, user_id):
        """Accept a user's request to follow you."""
        svc.respond_to_request(current_user(), user_id, accept=True)


@blp.route("/users/me/follow-requests/<id:user_id>/decline")
class FollowRequestDecline(MethodView):
    @auth_required()
    @blp.response(204)
    def post(self, user_id):
        """Decline a user's request to follow you."""
        svc.respond_to_request(current_user(), user_id, accept=False)


@blp.route("/users/<user_id>/followers")
class UserFollowers(MethodView):
    @auth_required()
    @blp.arguments(schemas.FollowListQueryArgsSchema, location="query")
    @blp.response(200, schemas.FollowSchema(many=True))
    @blp.paginate()
    def get(self, args, user_id, pagination_parameters):
        """List a user's followers, newest first, as far as their profile privacy lets you see."""
        return svc.followers(current_user(), _user_id(user_id), pagination_parameters)


@blp.route("/users/<user_id>/following")
class UserFollowing(MethodView):
    @auth_required()
    @blp.arguments(schemas.FollowListQueryArgsSchema, location="query")
    @blp.response(200, schemas.FollowSchema(many=True))
    @blp.paginate()
    def get(self, args, user_id, pagination_parameters):
        """List whom a user follows, newest first, as far as their profile privacy lets you see."""
        return svc.following(current_user(), _user_id(user_id), pagination_parameters)


# ---- privacy


@blp.route("/users/me/privacy")
class MyPrivacy(MethodView):
    @auth_required()
    @blp.response(200, schemas.PrivacySchema)
    def get(self):
        """Read your privacy settings (defaults: profile Public, activities Followers)."""
        return svc.get_privacy(current_user().id)

    @auth_required()
    @blp.arguments(schemas.PrivacyUpdateSchema)
    @blp.response(200, schemas.PrivacySchema)
    def put(self, data):
        """Change your privacy settings; tightening them hides older activities too."""
        return svc.update_privacy(current_user(), data)

    patch = put


# ---- activities


@blp.route("/feed")
class Feed(MethodView):
    @auth_required()
    @blp.arguments(schemas.ActivityQueryArgsSchema, location="query")
    @blp.response(200, schemas.ActivitySchema(many=True))
    @read_from_replica
    def get(self, args):
        """Your feed: activities of the people you follow and yours, newest first (cursor list)."""
        return svc.feed(int(current_identity()), **args)


@blp.route("/users/<user_id>/activities")
class UserActivities(MethodView):
    @auth_required()
    @blp.arguments(schemas.ActivityQueryArgsSchema, location="query")
    @blp.response(200, schemas.ActivitySchema(many=True))
    def get(self, args, user_id):
        """One person's activities that you may see, newest first (cursor list)."""
        return svc.user_activities(int(current_identity()), _user_id(user_id), **args)


@blp.route("/activities/<id:activity_id>")
class ActivityById(MethodView):
    @auth_required()
    @blp.response(200, schemas.ActivitySchema)
    def get(self, activity_id):
        """Read an activity you may see."""
        return svc.get_activity(current_user(), activity_id)

    @auth_required()
    @blp.response(204)
    def delete(self, activity_id):
        """Delete one of your activities."""
        svc.delete_activity(current_user(), activity_id)


@blp.route("/workouts/<id:workout_id>/share")
class WorkoutShare(MethodView):
    @auth_required()
    @blp.arguments(schemas.ShareSchema)
    @blp.response(201, schemas.ActivitySchema)
    def post(self, data, workout_id):
        """Share a workout you may see: a `workout_shared` activity (visibility defaults to your setting)."""
        return svc.share_workout(current_user(), workout_id, data["caption"], data["visibility"])


# ---- kudos and comments


@blp.route("/activities/<id:activity_id>/kudos")
class ActivityKudos(MethodView):
    @auth_required()
    @blp.arguments(schemas.FollowListQueryArgsSchema, location="query")
    @blp.response(200, schemas.KudosSchema(many=True))
    @blp.paginate()
    def get(self, args, activity_id, pagination_parameters):
        """List who gave kudos to an activity you may see, newest first."""
        return svc.list_kudos(current_user(), activity_id, pagination_parameters)

    @auth_required()
    @blp.response(204)
    def post(self, activity_id):
        """Give kudos (once; repeating it changes nothing)."""
        svc.give_kudos(current_user(), activity_id)

    @auth_required()
    @blp.response(204)
    def delete(self, activity_id):
        """Take your kudos back."""
        svc.take_back_kudos(current_user(), activity_id)


@blp.route("/activities/<id:activity_id>/comments")
class ActivityComments(MethodView):
    @auth_required()
    @blp.arguments(schemas.CommentQueryArgsSchema, location="query")
    @blp.response(200, schemas.CommentSchema(many=True))
    @blp.paginate()
    def get(self, args, activity_id, pagination_parameters):
        """List the comments on an activity you may see, oldest first."""
        return svc.list_comments(current_user(), activity_id, pagination_parameters)

    @auth_required()
    @blp.arguments(schemas.CommentCreateSchema)
    @blp.response(201, schemas.CommentSchema)
    def post(self, data, activity_id):
        """Comment on an activity you may see (1 to 1000 characters); its owner is notified."""
        return svc.add_comment(current_user(), activity_id, data["content"])


@blp.route("/comments/<id:comment_id>")
class CommentById(MethodView):
    @auth_required()
    @blp.response(204)
    def delete(self, comment_id):
        """Delete a comment: its author or the activity's owner."""
        svc.delete_comment(current_user(), comment_id)


# ---- scheduled announcements


@blp.route("/announcements")
class Announcements(MethodView):
    @auth_required("Trainer", "Owner")
    @blp.arguments(schemas.AnnouncementQueryArgsSchema, location="query")
    @blp.response(200, schemas.AnnouncementSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List your announcements, newest first, with how many recipients they reached."""
        return announcements.list_mine(current_user(), pagination_parameters)

    @auth_required()
    @blp.arguments(schemas.AnnouncementCreateSchema)
    @blp.response(201, schemas.AnnouncementSchema)
    def post(self, data):
        """Schedule an announcement to your clients, a plan's assignees, one client, or (Owner) everyone."""
        return announcements.create(current_user(), data)


@blp.route("/announcements/<id:announcement_id>")
class AnnouncementById(MethodView):
    @auth_required()
    @blp.response(204)
    def delete(self, announcement_id):
        """Cancel your announcement: recipients it has not reached yet will not get it."""
        announcements.cancel(current_user(), announcement_id)
