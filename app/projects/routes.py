"""REST endpoints for projects, their members and tasks (API.md §8)."""

from __future__ import annotations

from flask.views import MethodView

from app.core import response_cache
from app.core.api import Blueprint
from app.core.auth import auth_required, current_identity, current_user
from app.core.pagination import paginate
from app.core.time import quarter_hour
from app.projects import schemas
from app.projects import services as svc

blp = Blueprint("projects", __name__, url_prefix="/api", description="Projects, members and tasks.")

CACHED = (
    "Answers are cached per user (made stale by any change to the tasks or members of their projects, or to "
    "their time zone) and carry an `ETag`; send it back in `If-None-Match` to get a `304 Not Modified`."
)
# Your task lists are named from the token alone (no SQL on a hit); "today" moves at the quarter-hour.
cached_task_list = response_cache.cached_response(
    lambda **kwargs: (svc.task_list_scope(int(current_identity())), quarter_hour())
)


@blp.route("/projects")
class Projects(MethodView):
    @auth_required()
    @blp.arguments(schemas.ProjectCreateSchema)
    @blp.response(201, schemas.ProjectSchema)
    def post(self, data):
        """Create a project; you become its owner and an Admin."""
        return svc.create_project(current_user(), **data)

    @auth_required()
    @blp.arguments(schemas.ProjectQueryArgsSchema, location="query")
    @blp.response(200, schemas.ProjectSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List the projects you belong to."""
        me = current_user()
        return svc.with_my_role(me, paginate(svc.list_projects(me, **args), pagination_parameters))


@blp.route("/projects/<id:project_id>")
class ProjectById(MethodView):
    @auth_required()
    @blp.response(200, schemas.ProjectSchema)
    def get(self, project_id):
        """Read a project you belong to."""
        return svc.get_project(current_user(), project_id)

    @auth_required()
    @blp.arguments(schemas.ProjectUpdateSchema)
    @blp.response(200, schemas.ProjectSchema)
    def put(self, data, project_id):
        """Rename or describe a project (Admins)."""
        return svc.update_project(current_user(), project_id, data)

    patch = put

    @auth_required()
    @blp.response(204)
    def delete(self, project_id):
        """Delete a project and its tasks (the owner only)."""
        svc.delete_project(current_user(), project_id)


@blp.route("/projects/<id:project_id>/members")
class Members(MethodView):
    @auth_required()
    @blp.arguments(schemas.MemberQueryArgsSchema, location="query")
    @blp.response(200, schemas.MemberSchema(many=True))
    @blp.paginate()
    def get(self, args, project_id, pagination_parameters):
        """List a project's members and their roles."""
        return paginate(svc.list_members(current_user(), project_id), pagination_parameters)

    @auth_required()
    @blp.arguments(schemas.MemberCreateSchema)
    @blp.response(201, schemas.MemberSchema)
    def post(self, data, project_id):
        """Add a user to the project (Admins)."""
        return svc.add_member(current_user(), project_id, data["user_id"], data["role"])


@blp.route("/projects/<id:project_id>/members/<id:user_id>")
class MemberById(MethodView):
    @auth_required()
    @blp.response(200, schemas.MemberSchema)
    def get(self, project_id, user_id):
        """Read one member of a project."""
        return svc.get_member(current_user(), project_id, user_id)

    @auth_required()
    @blp.arguments(schemas.MemberUpdateSchema)
    @blp.response(200, schemas.MemberSchema)
    def put(self, data, project_id, user_id):
        """Change a member's role (Admins; the owner stays an Admin)."""
        return svc.change_member_role(current_user(), project_id, user_id, data["role"])

    patch = put

    @auth_required()
    @blp.response(204)
    def delete(self, project_id, user_id):
        """Remove a member (Admins) or leave (yourself); their open tasks are unassigned."""
        svc.remove_member(current_user(), project_id, user_id)


@blp.route("/projects/<id:project_id>/tasks")
class ProjectTasks(MethodView):
    @auth_required()
    @cached_task_list
    @blp.doc(description=CACHED)
    @blp.arguments(schemas.TaskQueryArgsSchema, location="query")
    @blp.response(200, schemas.TaskSchema(many=True))
    @blp.alt_response(304, description="Not modified (the `If-None-Match` ETag is current)")
    @blp.paginate()
    def get(self, args, project_id, pagination_parameters):
        """List a project's tasks, filtered and sorted."""
        return _task_page(pagination_parameters, in_project=project_id, **args)

    @auth_required()
    @blp.arguments(schemas.TaskCreateSchema)
    @blp.response(201, schemas.TaskSchema)
    def post(self, data, project_id):
        """Create a task in the project (members)."""
        return svc.create_task(current_user(), project_id, data)


@blp.route("/tasks")
class Tasks(MethodView):
    @auth_required()
    @cached_task_list
    @blp.doc(description=CACHED)
    @blp.arguments(schemas.TaskQueryArgsSchema, location="query")
    @blp.response(200, schemas.TaskSchema(many=True))
    @blp.alt_response(304, description="Not modified (the `If-None-Match` ETag is current)")
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List the tasks of every project you belong to, filtered and sorted."""
        return _task_page(pagination_parameters, **args)

    @auth_required()
    @blp.arguments(schemas.TaskCreateInProjectSchema)
    @blp.response(201, schemas.TaskSchema)
    def post(self, data):
        """Create a task in a project you belong to (`project_id`)."""
        project_id = data.pop("project_id")
        return svc.create_task(current_user(), project_id, data)


@blp.route("/tasks/<id:task_id>")
class TaskById(MethodView):
    @auth_required()
    @blp.response(200, schemas.TaskSchema)
    def get(self, task_id):
        """Read a task of a project you belong to."""
        return svc.get_task(current_user(), task_id)

    @auth_required()
    @blp.arguments(schemas.TaskUpdateSchema)
    @blp.response(200, schemas.TaskSchema)
    def put(self, data, task_id):
        """Change a task (members): status, assignee, due date, title, description."""
        return svc.update_task(current_user(), task_id, data)

    patch = put

    @auth_required()
    @blp.response(204)
    def delete(self, task_id):
        """Delete a task (Admins or its creator)."""
        svc.delete_task(current_user(), task_id)


def _task_page(pagination_parameters, **filters) -> list:
    # (Built on a cache miss, without a transaction.)
    me = current_user()
    return paginate(svc.list_tasks(me, me.timezone, **filters), pagination_parameters)
