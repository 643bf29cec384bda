"""REST endpoints of events, plan assignments, the iCalendar feed and calendar connections."""

from __future__ import annotations

from flask import Response, current_app
from flask.views import MethodView

from app.calendar import ical, schemas
from app.calendar import services as svc
from app.core.api import Blueprint
from app.core.auth import auth_required, current_user
from app.core.pagination import paginate
from app.core.replica import read_from_replica

blp = Blueprint("calendar", __name__, url_prefix="/api", description="Calendar, plan assignments, feed and sync.")

READERS = (
    "Readers: the calendar's owner, their active trainer and the event's creator (others: 404). "
    "Writers: the owner, and the creator while still the owner's active trainer (403)."
)
SPLIT = (
    "`scope=following&occurrence=<occurrence_start>` splits a series: the original ends before that occurrence "
    "and a new event (new `id`, returned) carries the changes from there on. Default `scope=all`: the whole series."
)


@blp.route("/events")
class Events(MethodView):
    @auth_required()
    @blp.arguments(schemas.EventCreateSchema)
    @blp.response(201, schemas.EventSchema)
    def post(self, data):
        """Create an event in your calendar or, as a Trainer, an active client's (`user_id`)."""
        return svc.create_event(current_user(), data)

    @auth_required()
    @blp.doc(description="Occurrences overlapping [from, to] (at most 366 days), series expanded in their zone.")
    @blp.arguments(schemas.EventQueryArgsSchema, location="query")
    @blp.response(200, schemas.OccurrenceSchema(many=True))
    @blp.paginate()
    @read_from_replica
    def get(self, args, pagination_parameters):
        """List the occurrences in a range of your calendar or an active client's, by start."""
        found = svc.list_occurrences(current_user(), args["from_"], args["to"], args.get("user_id"))
        pagination_parameters.item_count = len(found)
        first = pagination_parameters.first_item
        return found[first : first + pagination_parameters.page_size]


@blp.route("/events/<id:event_id>")
class EventById(MethodView):
    @auth_required()
    @blp.doc(description=READERS)
    @blp.response(200, schemas.EventSchema)
    def get(self, event_id):
        """Read an event (a series is one event)."""
        return svc.get_event(current_user(), event_id)

    @auth_required()
    @blp.doc(description=f"{READERS} {SPLIT}")
    @blp.arguments(schemas.EventScopeArgsSchema, location="query")
    @blp.arguments(schemas.EventUpdateSchema)
    @blp.response(200, schemas.EventSchema)
    def put(self, args, data, event_id):
        """Change an event or, with scope=following, the rest of its series."""
        return svc.update_event(current_user(), event_id, data, args["scope"], args.get("occurrence"))

    patch = put

    @auth_required()
    @blp.doc(description=f"{READERS} `scope=following&occurrence=` deletes that occurrence and those after it.")
    @blp.arguments(schemas.EventScopeArgsSchema, location="query")
    @blp.response(204)
    def delete(self, args, event_id):
        """Delete an event or, with scope=following, the rest of its series."""
        svc.delete_event(current_user(), event_id, args["scope"], args.get("occurrence"))


@blp.route("/plans/<id:plan_id>/assignments")
class PlanAssignments(MethodView):
    @auth_required()
    @blp.arguments(schemas.AssignmentCreateSchema)
    @blp.response(201, schemas.AssignmentSchema)
    def post(self, data, plan_id):
        """Assign your plan to an active client: its workouts become events in their calendar."""
        return svc.assign_plan(current_user(), plan_id, data)


@blp.route("/assignments")
class Assignments(MethodView):
    @auth_required()
    @blp.arguments(schemas.AssignmentQueryArgsSchema, location="query")
    @blp.response(200, schemas.AssignmentSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List my plan assignments (a trainer: also my active clients') with adherence."""
        page = paginate(svc.list_assignments(current_user(), **args), pagination_parameters)
        return svc.with_adherence(page)


@blp.route("/calendar/feed-token")
class FeedToken(MethodView):
    @auth_required()
    @blp.response(201, schemas.FeedTokenSchema)
    def post(self):
        """Get a secret iCalendar feed URL of your calendar; asking again rotates it (the old URL is a 404)."""
        token = svc.rotate_feed_token(current_user())
        return {"url": f"{current_app.config['PUBLIC_BASE_URL']}/api/calendar/feed/{token}.ics"}


@blp.route("/calendar/feed/<token>.ics")
class Feed(MethodView):
    @blp.doc(security=[])
    @blp.response(200, content_type="text/calendar")
    def get(self, token):
        """The calendar as RFC 5545 iCalendar, for subscribing from Google, Apple or Outlook (no auth)."""
        body = ical.to_ical(svc.feed_events(token))
        return Response(body, mimetype="text/calendar", headers={"Cache-Control": "private, max-age=300"})


@blp.route("/calendar/connections")
class Connections(MethodView):
    @auth_required()
    @blp.response(200, schemas.ConnectionSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """List my connected calendars with their last sync and last error."""
        return paginate(svc.list_connections(current_user()), pagination_parameters)

    @auth_required()
    @blp.arguments(schemas.ConnectionCreateSchema)
    @blp.response(201, schemas.ConnectionSchema)
    def post(self, data):
        """Connect a CalDAV calendar or Google Calendar; credentials are verified, then stored encrypted."""
        return svc.connect_calendar(current_user(), data)


@blp.route("/calendar/connections/<id:connection_id>")
class ConnectionById(MethodView):
    @auth_required()
    @blp.response(204)
    def delete(self, connection_id):
        """Disconnect a calendar."""
        svc.disconnect_calendar(current_user(), connection_id)
