"""Task events received by real python-socketio clients from a live server, also when a worker makes the change."""

from __future__ import annotations

import pytest

from tests.factories import make_user
from tests.live import live_server_fixture, run_in_app_process  # noqa: F401 - the live_server fixture
from tests.projects.conftest import bearer

pytestmark = pytest.mark.live

TASK_EVENTS = ["task_created", "task_updated", "task_deleted", "task_assigned", "notification"]

# What a Celery task body does: call the service in the app context; the task wrapper commits (or rolls back).
WORKER_CHANGE = """
import sys
from app import create_app
from app.accounts import services as accounts
from app.extensions import db
from app.projects import services as projects

app = create_app("testing")
with app.app_context():
    actor = accounts.get_user(int(sys.argv[1]))
    projects.update_task(actor, int(sys.argv[2]), {"title": sys.argv[3], "status": "Completed"})
    db.session.commit() if sys.argv[4] == "commit" else db.session.rollback()
"""


def token_of(user) -> str:
    return bearer(user)["Authorization"].split()[1]


@pytest.fixture
def live_team(live_server):
    """Owner, member and outsider with tokens; a project made through the live API with the member in it."""
    owner, member, outsider = make_user(), make_user(), make_user()
    tokens = {"owner": token_of(owner), "member": token_of(member), "outsider": token_of(outsider)}
    project = live_server.api("POST", "/api/projects", tokens["owner"], json={"name": "Live"}).json()
    added = live_server.api(
        "POST", f"/api/projects/{project['id']}/members", tokens["owner"], json={"user_id": member.id}
    )
    assert added.status_code == 201
    own = live_server.api("POST", "/api/projects", tokens["outsider"], json={"name": "Outsider's own"}).json()
    sockets = {role: live_server.socket(token, events=TASK_EVENTS) for role, token in tokens.items()}
    yield {
        "users": {"owner": owner, "member": member, "outsider": outsider},
        "tokens": tokens,
        "project": project,
        "outsider_project": own,
        "sockets": sockets,
    }
    for socket in sockets.values():
        socket.close()


def barrier(live_server, team) -> None:
    """Make the outsider receive an event of their own project: anything queued before it has been delivered."""
    outsider = team["sockets"]["outsider"]
    marker = live_server.api(
        "POST",
        "/api/tasks",
        team["tokens"]["outsider"],
        json={"project_id": team["outsider_project"]["id"], "title": "marker"},
    ).json()
    outsider.wait_for("task_created", lambda task: task["id"] == marker["id"])


def test_members_receive_task_events_and_outsiders_do_not(live_server, live_team):
    project_id = live_team["project"]["id"]
    member, outsider = live_team["sockets"]["member"], live_team["sockets"]["outsider"]
    assert member.call("join_project", {"project_id": project_id}) == {"ok": True}
    assert outsider.call("join_project", {"project_id": project_id}) == {
        "ok": False,
        "error": {"code": 404, "message": "No such project."},
    }
    assert outsider.call("join_project", {"project_id": live_team["outsider_project"]["id"]}) == {"ok": True}
    owner_token = live_team["tokens"]["owner"]
    member_id = live_team["users"]["member"].id

    created = live_server.api(
        "POST",
        "/api/tasks",
        owner_token,
        json={"project_id": project_id, "title": "Squat 5x5", "assignee_id": member_id},
    ).json()
    assert member.wait_for("task_created") == created
    assert member.wait_for("task_assigned") == created
    notification = member.wait_for("notification")
    assert (notification["type"], notification["data"]) == (
        "task_assigned",
        {"task_id": created["id"], "project_id": project_id},
    )

    updated = live_server.api("PUT", f"/api/tasks/{created['id']}", owner_token, json={"status": "In Progress"}).json()
    assert member.wait_for("task_updated") == updated
    assert live_server.api("DELETE", f"/api/tasks/{created['id']}", owner_token).status_code == 204
    assert member.wait_for("task_deleted") == {"id": created["id"], "project_id": project_id}

    barrier(live_server, live_team)
    assert [event for event, data in outsider.received if data.get("project_id") == project_id] == []
    assert outsider.of("task_assigned") == [] and outsider.of("notification") == []


def test_a_rejected_request_emits_nothing(live_server, live_team):
    project_id = live_team["project"]["id"]
    member = live_team["sockets"]["member"]
    outsider = live_team["sockets"]["outsider"]
    assert member.call("join_project", {"project_id": project_id}) == {"ok": True}
    assert outsider.call("join_project", {"project_id": live_team["outsider_project"]["id"]}) == {"ok": True}
    bad = {"project_id": project_id, "title": "x", "assignee_id": live_team["users"]["outsider"].id}
    assert live_server.api("POST", "/api/tasks", live_team["tokens"]["owner"], json=bad).status_code == 422
    ok = live_server.api(
        "POST", "/api/tasks", live_team["tokens"]["owner"], json={"project_id": project_id, "title": "ok"}
    )
    assert member.wait_for("task_created")["id"] == ok.json()["id"]
    assert [data["title"] for data in member.of("task_created")] == ["ok"]


def test_a_worker_process_change_reaches_sockets_through_redis_after_commit(app, live_server, live_team):
    project_id = live_team["project"]["id"]
    owner_token = live_team["tokens"]["owner"]
    member, outsider = live_team["sockets"]["member"], live_team["sockets"]["outsider"]
    assert member.call("join_project", {"project_id": project_id}) == {"ok": True}
    assert outsider.call("join_project", {"project_id": live_team["outsider_project"]["id"]}) == {"ok": True}
    task = live_server.api("POST", "/api/tasks", owner_token, json={"project_id": project_id, "title": "Plan"}).json()
    member.wait_for("task_created")
    owner_id = str(live_team["users"]["owner"].id)

    run_in_app_process(app, WORKER_CHANGE, owner_id, str(task["id"]), "rolled back", "rollback")
    run_in_app_process(app, WORKER_CHANGE, owner_id, str(task["id"]), "committed", "commit")

    update = member.wait_for("task_updated")
    assert (update["id"], update["title"], update["status"]) == (task["id"], "committed", "Completed")
    assert update["completed_at"] is not None
    barrier(live_server, live_team)
    assert [data["title"] for data in member.of("task_updated")] == ["committed"]
    read_back = live_server.api("GET", f"/api/tasks/{task['id']}", owner_token).json()
    assert read_back == update
