"""REST endpoints of workouts and plans."""

from __future__ import annotations

from flask.views import MethodView

from app.core.api import Blueprint
from app.core.auth import auth_required, current_user, current_viewer
from app.workouts import schemas
from app.workouts import services as svc

blp = Blueprint("workouts", __name__, url_prefix="/api", description="Workouts and training plans.")

VISIBLE = (
    "You see Public ones, your own, and `Clients` ones of your active trainers (Owners see all); "
    "anything else is a 404."
)


@blp.route("/workouts")
class Workouts(MethodView):
    @auth_required("Trainer", "Owner")
    @blp.arguments(schemas.WorkoutCreateSchema)
    @blp.response(201, schemas.WorkoutSchema)
    def post(self, data):
        """Create a workout of 1 to 100 items (Trainers and Owners)."""
        return svc.create_workout(current_user(), data)

    @auth_required()
    @blp.doc(description=VISIBLE)
    @blp.arguments(schemas.WorkoutQueryArgsSchema, location="query")
    @blp.response(200, schemas.WorkoutSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List the workouts you may see (archived ones are hidden)."""
        return svc.list_workouts(current_viewer(), pagination_parameters, **args)


@blp.route("/workouts/<id:workout_id>")
class WorkoutById(MethodView):
    @auth_required()
    @blp.doc(description=VISIBLE)
    @blp.response(200, schemas.WorkoutSchema)
    def get(self, workout_id):
        """Read a workout you may see."""
        return svc.get_workout(current_user(), workout_id)

    @auth_required()
    @blp.arguments(schemas.WorkoutUpdateSchema)
    @blp.response(200, schemas.WorkoutSchema)
    def put(self, data, workout_id):
        """Change a workout (its author or an Owner); `items` replaces the list."""
        return svc.update_workout(current_user(), workout_id, data)

    patch = put

    @auth_required()
    @blp.response(204)
    def delete(self, workout_id):
        """Delete a workout; one used by plans is archived instead."""
        svc.delete_workout(current_user(), workout_id)


@blp.route("/workouts/<id:workout_id>/copy")
class WorkoutCopy(MethodView):
    @auth_required()
    @blp.doc(
        description="Creates a new Private workout owned by you (`copied_from` names the source), "
        "so the answer is 201 Created with the new workout, not the 200 of actions that change an object."
    )
    @blp.response(201, schemas.WorkoutSchema)
    def post(self, workout_id):
        """Copy a workout you may see into your own library."""
        return svc.copy_workout(current_user(), workout_id)


@blp.route("/plans")
class Plans(MethodView):
    @auth_required("Trainer", "Owner")
    @blp.arguments(schemas.PlanCreateSchema)
    @blp.response(201, schemas.PlanSchema)
    def post(self, data):
        """Create a plan: weeks and a schedule of (week, day, workout) (Trainers and Owners)."""
        return svc.create_plan(current_user(), data)

    @auth_required()
    @blp.doc(description=VISIBLE)
    @blp.arguments(schemas.PlanQueryArgsSchema, location="query")
    @blp.response(200, schemas.PlanSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List the plans you may see (archived ones are hidden)."""
        return svc.list_plans(current_viewer(), pagination_parameters, **args)


@blp.route("/plans/<id:plan_id>")
class PlanById(MethodView):
    @auth_required()
    @blp.doc(description=VISIBLE)
    @blp.response(200, schemas.PlanSchema)
    def get(self, plan_id):
        """Read a plan you may see."""
        return svc.get_plan(current_user(), plan_id)

    @auth_required()
    @blp.arguments(schemas.PlanUpdateSchema)
    @blp.response(200, schemas.PlanSchema)
    def put(self, data, plan_id):
        """Change a plan (its author or an Owner); `schedule` replaces the schedule."""
        return svc.update_plan(current_user(), plan_id, data)

    patch = put

    @auth_required()
    @blp.response(204)
    def delete(self, plan_id):
        """Delete a plan."""
        svc.delete_plan(current_user(), plan_id)
