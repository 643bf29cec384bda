"""Task events over Socket.IO, in-process: join_project, who receives what, and only after commit."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.notifications.models import Notification
from app.projects import services
from tests.factories import make_project, make_task
from tests.projects.conftest import bearer


@pytest.fixture
def connect(socket_client):
    """Connect an in-process Socket.IO test client as a user; all are disconnected afterwards."""

    def _connect(user):
        client = socket_client(token=bearer(user)["Authorization"].split()[1])
        assert client.is_connected()
        return client

    return _connect


def received(client) -> list[tuple[str, object]]:
    return [(event["name"], event["args"][0]) for event in client.get_received()]


def join(client, project_id) -> dict:
    return client.emit("join_project", {"project_id": project_id}, callback=True)


@pytest.fixture
def sockets_of(team, connect):
    """Every team user connected; the owner, Admin and Member joined the project room."""
    clients = {role: connect(user) for role, user in team.users.items()}
    for role in ("owner", "admin", "member"):
        assert join(clients[role], team.project.id) == {"ok": True}
    for client in clients.values():
        client.get_received()
    return clients


@pytest.mark.parametrize(
    ("role", "ack"),
    [
        ("owner", {"ok": True}),
        ("admin", {"ok": True}),
        ("member", {"ok": True}),
        ("outsider", {"ok": False, "error": {"code": 404, "message": "No such project."}}),
        ("platform_owner", {"ok": False, "error": {"code": 404, "message": "No such project."}}),
    ],
)
def test_join_project_matrix(team, connect, role, ack):
    assert join(connect(team.users[role]), team.project.id) == ack


@pytest.mark.parametrize(
    ("payload", "field"),
    [({}, "project_id"), ({"project_id": "1"}, "project_id"), ({"project_id": 0}, "project_id"), ([1], "_schema")],
)
def test_join_project_validation(team, connect, payload, field):
    ack = connect(team.member).emit("join_project", payload, callback=True)
    assert ack["ok"] is False
    assert ack["error"]["code"] == 422
    assert field in ack["error"]["errors"]["json"]


def test_join_unknown_project_is_404(team, connect):
    assert join(connect(team.member), 999999)["error"]["code"] == 404


def test_members_in_the_room_get_create_update_delete(client, team, sockets_of):
    created = client.post(
        f"/api/projects/{team.project.id}/tasks", json={"title": "Deload week"}, headers=team.headers["admin"]
    ).get_json()
    updated = client.put(
        f"/api/tasks/{created['id']}", json={"status": "In Progress"}, headers=team.headers["member"]
    ).get_json()
    assert client.delete(f"/api/tasks/{created['id']}", headers=team.headers["owner"]).status_code == 204
    expected = [
        ("task_created", created),
        ("task_updated", updated),
        ("task_deleted", {"id": created["id"], "project_id": team.project.id}),
    ]
    for role in ("owner", "admin", "member"):
        assert received(sockets_of[role]) == expected
    for role in ("outsider", "platform_owner"):
        assert received(sockets_of[role]) == []


def test_a_member_who_did_not_join_gets_only_their_assignments(client, team, connect):
    socket = connect(team.member)
    created = client.post(
        "/api/tasks",
        json={"project_id": team.project.id, "title": "Mobility", "assignee_id": team.member.id},
        headers=team.headers["owner"],
    ).get_json()
    events = received(socket)
    assert [name for name, _ in events] == ["task_assigned", "notification"]
    assert events[0][1] == created
    notification = db.session.query(Notification).one()
    assert events[1][1] == {
        "id": notification.id,
        "type": "task_assigned",
        "title": "New task: Mobility",
        "body": f"{team.owner.username} assigned you a task.",
        "data": {"task_id": created["id"], "project_id": team.project.id},
        "created_at": events[1][1]["created_at"],
        "read_at": None,
    }


def test_reassignment_goes_to_the_new_assignee(client, team, sockets_of):
    task = make_task(team.project, team.owner, "Plan", assignee_id=team.member.id)
    for socket in sockets_of.values():
        socket.get_received()
    client.put(f"/api/tasks/{task.id}", json={"assignee_id": team.admin.id}, headers=team.headers["member"])
    assert [name for name, _ in received(sockets_of["admin"])] == ["task_updated", "task_assigned", "notification"]
    assert [name for name, _ in received(sockets_of["member"])] == ["task_updated"]


def test_a_change_that_is_not_committed_emits_nothing(team, sockets_of):
    services.create_task(team.owner, team.project.id, {"title": "Never", "assignee_id": team.member.id})
    assert received(sockets_of["member"]) == []
    db.session.rollback()
    db.session.commit()
    assert received(sockets_of["member"]) == []
    assert db.session.query(Notification).count() == 0


def test_events_go_out_only_at_commit(team, sockets_of):
    task = services.create_task(team.owner, team.project.id, {"title": "Later"})
    assert received(sockets_of["member"]) == []
    db.session.commit()
    assert [(name, payload["id"]) for name, payload in received(sockets_of["member"])] == [("task_created", task.id)]


def test_failed_requests_emit_nothing(client, team, sockets_of):
    bad_assignee = {"project_id": team.project.id, "title": "x", "assignee_id": team.outsider.id}
    assert client.post("/api/tasks", json=bad_assignee, headers=team.headers["owner"]).status_code == 422
    task = make_task(team.project, team.member, "Kept")
    sockets_of["member"].get_received()
    assert client.delete(f"/api/tasks/{task.id}", headers=team.headers["platform_owner"]).status_code == 404
    assert client.put(f"/api/tasks/{task.id}", json={"title": ""}, headers=team.headers["owner"]).status_code == 422
    assert received(sockets_of["member"]) == []


def test_an_unchanged_update_emits_nothing(client, team, sockets_of):
    task = make_task(team.project, team.member, "Same")
    sockets_of["member"].get_received()
    response = client.put(f"/api/tasks/{task.id}", json={"title": "Same"}, headers=team.headers["member"])
    assert response.status_code == 200
    assert received(sockets_of["member"]) == []


def test_leave_project(client, team, sockets_of):
    assert sockets_of["member"].emit("leave_project", {"project_id": team.project.id}, callback=True) == {"ok": True}
    make_task(team.project, team.owner, "Unseen")
    assert received(sockets_of["member"]) == []
    assert [name for name, _ in received(sockets_of["admin"])] == ["task_created"]


def test_a_removed_member_hears_the_unassignment_then_leaves_the_room(client, team, sockets_of):
    task = make_task(team.project, team.owner, "Open", assignee_id=team.member.id)
    for socket in sockets_of.values():
        socket.get_received()
    client.delete(f"/api/projects/{team.project.id}/members/{team.member.id}", headers=team.headers["admin"])
    unassigned = [payload for name, payload in received(sockets_of["member"]) if name == "task_updated"]
    assert [(t["id"], t["assignee_id"]) for t in unassigned] == [(task.id, None)]
    assert [name for name, _ in received(sockets_of["owner"])] == ["task_updated"]
    make_task(team.project, team.owner, "After")
    assert received(sockets_of["member"]) == []
    assert join(sockets_of["member"], team.project.id)["error"]["code"] == 404


def test_deleting_the_project_tells_the_room_and_closes_it(client, team, sockets_of):
    assert client.delete(f"/api/projects/{team.project.id}", headers=team.headers["owner"]).status_code == 204
    for role in ("owner", "admin", "member"):
        assert received(sockets_of[role]) == [("project_deleted", {"id": team.project.id})]
    assert received(sockets_of["outsider"]) == []
    other = make_project(team.owner)
    assert join(sockets_of["owner"], other.id) == {"ok": True}
