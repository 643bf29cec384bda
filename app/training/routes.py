"""REST endpoints of sessions, measurements, progress, stats and the trainer dashboard."""

from __future__ import annotations

from flask.views import MethodView

from app.accounts.models import User
from app.core.api import Blueprint, parse_id
from app.core.auth import auth_required, current_identity, current_user, current_viewer
from app.core.errors import NotFound
from app.core.pagination import paginate
from app.core.replica import read_from_replica
from app.core.response_cache import cached_response
from app.core.time import local_today
from app.exercises import services as exercises_services
from app.training import analytics, schemas
from app.training import services as svc

blp = Blueprint("training", __name__, url_prefix="/api", description="Sessions, measurements and progress.")

READ = (
    "Readable by the athlete, their active trainer and Owners; written only by the athlete. "
    "A session you may not read is a 404; `user_id` naming someone whose logs you may not read is a 403."
)
UNITS = "Weights are always kg and distances m, whatever `profile.units` says (a display preference for clients)."


def _athlete(user_id: str) -> User:
    """The athlete named in the path (`me` or an id): 404 if unknown, 403 if not yours to read."""
    if user_id != "me" and parse_id(user_id) is None:
        raise NotFound("No such user.")
    return svc.athlete_for(current_user(), user_id)


@blp.route("/sessions")
class Sessions(MethodView):
    @auth_required()
    @blp.doc(description=UNITS)
    @blp.arguments(schemas.SessionCreateSchema)
    @blp.response(201, schemas.SessionSchema)
    def post(self, data):
        """Log a workout session with its sets."""
        return svc.create_session(current_user(), data)

    @auth_required()
    @blp.doc(description=READ)
    @blp.arguments(schemas.SessionQueryArgsSchema, location="query")
    @blp.response(200, schemas.SessionSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List an athlete's sessions, newest first."""
        return svc.list_sessions(current_viewer(), pagination_parameters, **args)


@blp.route("/sessions/<id:session_id>")
class SessionById(MethodView):
    @auth_required()
    @blp.doc(description=READ)
    @blp.response(200, schemas.SessionSchema)
    def get(self, session_id):
        """Read a session."""
        return svc.get_session(current_user(), session_id)

    @auth_required()
    @blp.arguments(schemas.SessionUpdateSchema)
    @blp.response(200, schemas.SessionSchema)
    def put(self, data, session_id):
        """Change one of your sessions; `sets` replaces them all."""
        return svc.update_session(current_user(), session_id, data)

    patch = put

    @auth_required()
    @blp.response(204)
    def delete(self, session_id):
        """Delete one of your sessions."""
        svc.delete_session(current_user(), session_id)


@blp.route("/measurements")
class Measurements(MethodView):
    @auth_required()
    @blp.arguments(schemas.MeasurementCreateSchema)
    @blp.response(201, schemas.MeasurementSchema)
    def post(self, data):
        """Record a body measurement; one per type and moment (409 otherwise)."""
        return svc.create_measurement(current_user(), data)

    @auth_required()
    @blp.doc(description=READ)
    @blp.arguments(schemas.MeasurementQueryArgsSchema, location="query")
    @blp.response(200, schemas.MeasurementSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List an athlete's measurements, newest first."""
        return paginate(svc.list_measurements(current_user(), **args), pagination_parameters)


@blp.route("/measurements/<id:measurement_id>")
class MeasurementById(MethodView):
    @auth_required()
    @blp.doc(description=READ)
    @blp.response(200, schemas.MeasurementSchema)
    def get(self, measurement_id):
        """Read a measurement."""
        return svc.get_measurement(current_user(), measurement_id)

    @auth_required()
    @blp.response(204)
    def delete(self, measurement_id):
        """Delete one of your measurements."""
        svc.delete_measurement(current_user(), measurement_id)


def _progress_key(user_id: str, **kwargs) -> tuple[str, str]:
    identity = current_identity()
    if user_id in ("me", identity):
        # Your own progress: no SQL to name the answer (a change of your time zone bumps the scope).
        return svc.analytics_scope(int(identity)), ""
    # Someone else's: check you may read it; plain-date ranges are days in your own zone.
    athlete = _athlete(user_id)
    return svc.analytics_scope(athlete.id), current_user().timezone


def _stats_key(user_id: str) -> tuple[str, str]:
    # "This week", streaks and the last 30 days move with the athlete's local date.
    athlete = _athlete(user_id)
    return svc.analytics_scope(athlete.id), f"{athlete.timezone}|{local_today(athlete.timezone)}"


CACHED = " Answers are cached until the athlete's next log write (ETag and 304 supported)."


@blp.route("/users/<user_ref:user_id>/progress/exercises/<id:exercise_id>")
class ExerciseProgress(MethodView):
    @auth_required()
    @cached_response(_progress_key)
    @blp.doc(
        description="Buckets follow the athlete's time zone (weeks start on Monday; `period` is the first day). "
        "Personal records are all-time, whatever the range. " + READ + CACHED
    )
    @blp.arguments(schemas.ProgressQueryArgsSchema, location="query")
    @blp.response(200, schemas.ProgressSchema)
    @read_from_replica
    def get(self, args, user_id, exercise_id):
        """An athlete's progress on one exercise: a series by day, week or month, and personal records."""
        athlete = _athlete(user_id)
        start, end = svc.time_range(args.get("from_"), args.get("to"), current_user().timezone)
        exercise = exercises_services.get_exercise(exercise_id)
        return analytics.progress(athlete, exercise, args["bucket"], start, end)


@blp.route("/users/<user_ref:user_id>/stats")
class Stats(MethodView):
    @auth_required()
    @cached_response(_stats_key)
    @blp.doc(description="Weeks and days are the athlete's (their time zone). " + READ + CACHED)
    @blp.response(200, schemas.StatsSchema)
    @read_from_replica
    def get(self, user_id):
        """An athlete's dashboard: this week vs last, streaks, recent records, latest measurements."""
        return analytics.stats(_athlete(user_id))


@blp.route("/trainers/me/dashboard")
class TrainerDashboard(MethodView):
    @auth_required("Trainer")
    @blp.doc(description="`adherence`: % of the sessions due so far in the plans you assigned (null: none due).")
    @blp.response(200, schemas.DashboardRowSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """Your active clients at a glance: last session, this week, open tasks."""
        trainer = current_user()
        clients = paginate(svc.active_clients(trainer), pagination_parameters)
        return analytics.dashboard_rows(trainer, clients)
