"""REST endpoints of the exercise library."""

from __future__ import annotations

from flask.views import MethodView

from app.core.api import Blueprint
from app.core.auth import auth_required, current_user
from app.core.replica import read_from_replica
from app.exercises import schemas
from app.exercises import services as svc
from app.exercises.cache import cached_library_response

blp = Blueprint("exercises", __name__, url_prefix="/api", description="The exercise library.")

CACHED = (
    "Answers are cached (keyed by the full query string, invalidated by any write to the library) "
    "and carry an `ETag`; send it back in `If-None-Match` to get a `304 Not Modified`."
)


@blp.route("/exercises")
class Exercises(MethodView):
    @auth_required()
    @cached_library_response
    @blp.doc(description=CACHED)
    @blp.arguments(schemas.ExerciseQueryArgsSchema, location="query")
    @blp.response(200, schemas.ExerciseSchema(many=True))
    @blp.alt_response(304, description="Not modified (the `If-None-Match` ETag is current)")
    @blp.paginate()
    @read_from_replica
    def get(self, args, pagination_parameters):
        """List and search the library (archived exercises are hidden)."""
        return svc.search_exercises(pagination_parameters, **args)

    @auth_required("Trainer", "Owner")
    @blp.arguments(schemas.ExerciseCreateSchema)
    @blp.response(201, schemas.ExerciseSchema)
    def post(self, data):
        """Add an exercise (Trainers and Owners); names are unique case-insensitively."""
        return svc.create_exercise(current_user(), data)


@blp.route("/exercises/<id:exercise_id>")
class ExerciseById(MethodView):
    @auth_required()
    @cached_library_response
    @blp.doc(description=CACHED)
    @blp.response(200, schemas.ExerciseSchema)
    @blp.alt_response(304, description="Not modified (the `If-None-Match` ETag is current)")
    @read_from_replica
    def get(self, exercise_id):
        """Read an exercise (archived ones too)."""
        return svc.get_exercise(exercise_id)

    @auth_required()
    @blp.arguments(schemas.ExerciseUpdateSchema)
    @blp.response(200, schemas.ExerciseSchema)
    def put(self, data, exercise_id):
        """Change an exercise (its creator or an Owner)."""
        return svc.update_exercise(current_user(), exercise_id, data)

    patch = put

    @auth_required()
    @blp.response(204)
    def delete(self, exercise_id):
        """Delete an exercise; one still used by workouts or logs is archived instead."""
        svc.delete_exercise(current_user(), exercise_id)
