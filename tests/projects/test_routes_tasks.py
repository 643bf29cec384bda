"""Tasks over REST: create/read/update/delete, status and completed_at, assignees, the permission matrix."""

from __future__ import annotations

import pytest
import time_machine

from app.extensions import db
from app.notifications.models import Notification
from app.projects.models import Task
from tests.factories import make_project, make_task
from tests.projects.conftest import bearer
from tests.projects.test_routes_projects import READ, expect

MEMBERS_ONLY = {"owner": 200, "admin": 200, "member": 200, "outsider": 404, "platform_owner": 404}
CREATE = {"owner": 201, "admin": 201, "member": 201, "outsider": 404, "platform_owner": 404}
DELETE_OTHERS_TASK = {"owner": 204, "admin": 204, "member": 403, "outsider": 404, "platform_owner": 404}
TASK_FIELDS = {
    "id",
    "project_id",
    "title",
    "description",
    "status",
    "due_date",
    "assignee_id",
    "created_by",
    "created_at",
    "updated_at",
    "completed_at",
}


@pytest.fixture
def task(team):
    return make_task(team.project, team.owner, "Write the plan", description="Weeks 1-4", due_date="2026-05-01")


@pytest.mark.parametrize(("role", "status"), expect(CREATE))
def test_create_under_project_matrix(client, team, role, status):
    response = client.post(
        f"/api/projects/{team.project.id}/tasks", json={"title": "Stretch"}, headers=team.headers[role]
    )
    assert response.status_code == status, response.get_json()
    assert db.session.query(Task).count() == (1 if status == 201 else 0)


@pytest.mark.parametrize(("role", "status"), expect(CREATE))
def test_create_via_tasks_matrix(client, team, role, status):
    response = client.post(
        "/api/tasks", json={"project_id": team.project.id, "title": "Stretch"}, headers=team.headers[role]
    )
    assert response.status_code == status, response.get_json()
    if status == 201:
        assert response.get_json()["created_by"] == team.users[role].id


@pytest.mark.parametrize(("role", "status"), expect(READ))
def test_list_project_tasks_matrix(client, team, task, role, status):
    response = client.get(f"/api/projects/{team.project.id}/tasks", headers=team.headers[role])
    assert response.status_code == status
    if status == 200:
        assert [t["id"] for t in response.get_json()] == [task.id]


@pytest.mark.parametrize("role", ["owner", "admin", "member", "outsider", "platform_owner"])
def test_list_all_tasks_shows_only_my_projects(client, team, task, role):
    make_task(make_project(team.outsider), team.outsider, "Elsewhere")
    response = client.get("/api/tasks", headers=team.headers[role])
    assert response.status_code == 200
    titles = [t["title"] for t in response.get_json()]
    expected = {"owner": ["Write the plan"], "admin": ["Write the plan"], "member": ["Write the plan"]}
    assert titles == expected.get(role, ["Elsewhere"] if role == "outsider" else [])


@pytest.mark.parametrize(("role", "status"), expect(MEMBERS_ONLY))
def test_get_task_matrix(client, team, task, role, status):
    response = client.get(f"/api/tasks/{task.id}", headers=team.headers[role])
    assert response.status_code == status
    if status == 200:
        body = response.get_json()
        assert set(body) == TASK_FIELDS
        assert (body["title"], body["status"], body["due_date"], body["assignee_id"]) == (
            "Write the plan",
            "Pending",
            "2026-05-01",
            None,
        )


@pytest.mark.parametrize(("role", "status"), expect(MEMBERS_ONLY))
@pytest.mark.parametrize("method", ["put", "patch"])
def test_update_task_matrix(client, team, task, role, status, method):
    response = getattr(client, method)(
        f"/api/tasks/{task.id}", json={"status": "In Progress"}, headers=team.headers[role]
    )
    assert response.status_code == status
    db.session.expire_all()
    assert db.session.get(Task, task.id).status.value == ("In Progress" if status == 200 else "Pending")


@pytest.mark.parametrize(("role", "status"), expect(DELETE_OTHERS_TASK))
def test_delete_task_matrix(client, team, task, role, status):
    response = client.delete(f"/api/tasks/{task.id}", headers=team.headers[role])
    assert response.status_code == status
    db.session.expire_all()
    assert (db.session.get(Task, task.id) is None) is (status == 204)


def test_the_creator_may_delete_their_task(client, team):
    own = make_task(team.project, team.member, "Mine")
    assert client.delete(f"/api/tasks/{own.id}", headers=team.headers["member"]).status_code == 204
    assert client.get(f"/api/tasks/{own.id}", headers=team.headers["member"]).status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/tasks"),
        ("post", "/api/tasks"),
        ("get", "/api/tasks/1"),
        ("put", "/api/tasks/1"),
        ("patch", "/api/tasks/1"),
        ("delete", "/api/tasks/1"),
        ("get", "/api/projects/1/tasks"),
        ("post", "/api/projects/1/tasks"),
    ],
)
def test_task_endpoints_need_a_token(client, method, path):
    assert getattr(client, method)(path).status_code == 401


def test_create_with_everything(client, team):
    response = client.post(
        f"/api/projects/{team.project.id}/tasks",
        json={
            "title": "  Log your weight every Monday ",
            "description": "Before breakfast",
            "status": "In Progress",
            "due_date": "2026-12-01",
            "assignee_id": team.member.id,
        },
        headers=team.headers["admin"],
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert set(body) == TASK_FIELDS
    assert body["title"] == "Log your weight every Monday"
    assert (body["status"], body["due_date"], body["assignee_id"], body["created_by"]) == (
        "In Progress",
        "2026-12-01",
        team.member.id,
        team.admin.id,
    )
    assert body["completed_at"] is None
    assert body["project_id"] == team.project.id


def test_title_of_200_chars_is_fine(client, team):
    response = client.post(
        f"/api/projects/{team.project.id}/tasks", json={"title": "x" * 200}, headers=team.headers["member"]
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": None}, "title"),
        ({"title": 5}, "title"),
        ({"title": "t", "status": "Done"}, "status"),
        ({"title": "t", "status": "pending"}, "status"),
        ({"title": "t", "due_date": "tomorrow"}, "due_date"),
        ({"title": "t", "due_date": "2026-02-30"}, "due_date"),
        ({"title": "t", "due_date": "2026-02-01T10:00:00Z"}, "due_date"),
        ({"title": "t", "assignee_id": "me"}, "assignee_id"),
        ({"title": "t", "description": "x" * 5001}, "description"),
        ({"title": "t", "created_by": 1}, "created_by"),
        ({"title": "t", "completed_at": "2026-01-01T00:00:00Z"}, "completed_at"),
        ({"title": "t", "id": 9}, "id"),
    ],
)
def test_create_validation(client, team, body, field):
    response = client.post(f"/api/projects/{team.project.id}/tasks", json=body, headers=team.headers["owner"])
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]["json"]
    assert db.session.query(Task).count() == 0


@pytest.mark.parametrize("who", ["outsider", "nobody"])
def test_assignee_must_be_a_member(client, team, who):
    assignee_id = team.outsider.id if who == "outsider" else 999999
    response = client.post(
        "/api/tasks",
        json={"project_id": team.project.id, "title": "t", "assignee_id": assignee_id},
        headers=team.headers["owner"],
    )
    assert response.status_code == 422
    assert "assignee_id" in response.get_json()["errors"]["json"]
    assert db.session.query(Task).count() == 0
    assert db.session.query(Notification).count() == 0


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"title": "t"}, 422, "project_id"),
        ({"title": "t", "project_id": "one"}, 422, "project_id"),
        ({"title": "t", "project_id": 999999}, 404, None),
    ],
)
def test_create_via_tasks_needs_a_project_of_mine(client, team, body, status, field):
    response = client.post("/api/tasks", json=body, headers=team.headers["owner"])
    assert response.status_code == status
    if field:
        assert field in response.get_json()["errors"]["json"]


def test_create_in_someone_elses_project_is_404(client, team):
    foreign = make_project(team.outsider)
    response = client.post("/api/tasks", json={"project_id": foreign.id, "title": "t"}, headers=team.headers["owner"])
    assert response.status_code == 404
    assert db.session.query(Task).count() == 0


def test_create_needs_json(client, team):
    response = client.post("/api/tasks", data="title=x", headers=team.headers["owner"])
    assert response.status_code == 400


def test_completed_at_follows_the_status(client, team, task):
    url = f"/api/tasks/{task.id}"
    with time_machine.travel("2026-12-01T09:00:00Z", tick=False):  # log in at the travelled-to time
        done = client.put(url, json={"status": "Completed"}, headers=bearer(team.member)).get_json()
    assert done["completed_at"] == "2026-12-01T09:00:00Z"
    with time_machine.travel("2026-12-02T09:00:00Z", tick=False):
        headers = bearer(team.member)
        again = client.put(url, json={"status": "Completed", "title": "Plan written"}, headers=headers).get_json()
    assert again["completed_at"] == "2026-12-01T09:00:00Z"  # still the moment it was completed
    headers = team.headers["member"]
    reopened = client.put(url, json={"status": "In Progress"}, headers=headers).get_json()
    assert reopened["completed_at"] is None
    assert client.put(url, json={"status": "Pending"}, headers=headers).get_json()["completed_at"] is None


def test_created_completed(client, team):
    with time_machine.travel("2026-12-01T09:00:00Z", tick=False):
        body = client.post(
            "/api/tasks",
            json={"project_id": team.project.id, "title": "Already done", "status": "Completed"},
            headers=bearer(team.member),
        ).get_json()
    assert body["completed_at"] == body["created_at"] == "2026-12-01T09:00:00Z"


def test_update_fields_and_unassign(client, team, task):
    url, headers = f"/api/tasks/{task.id}", team.headers["admin"]
    body = client.put(
        url, json={"assignee_id": team.member.id, "due_date": None, "description": None}, headers=headers
    ).get_json()
    assert (body["assignee_id"], body["due_date"], body["description"]) == (team.member.id, None, None)
    assert body["title"] == "Write the plan"
    assert client.put(url, json={"assignee_id": None}, headers=headers).get_json()["assignee_id"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": None}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"status": "Blocked"}, "status"),
        ({"status": None}, "status"),
        ({"due_date": "31/12/2026"}, "due_date"),
        ({"project_id": 2}, "project_id"),
        ({"created_at": "2026-01-01T00:00:00Z"}, "created_at"),
    ],
)
def test_update_validation(client, team, task, body, field):
    response = client.put(f"/api/tasks/{task.id}", json=body, headers=team.headers["owner"])
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]["json"]
    db.session.expire_all()
    assert db.session.get(Task, task.id).title == "Write the plan"


def test_update_assignee_must_be_a_member(client, team, task):
    response = client.put(
        f"/api/tasks/{task.id}", json={"assignee_id": team.outsider.id, "title": "New"}, headers=team.headers["owner"]
    )
    assert response.status_code == 422
    assert "assignee_id" in response.get_json()["errors"]["json"]
    db.session.expire_all()
    assert (db.session.get(Task, task.id).title, db.session.get(Task, task.id).assignee_id) == ("Write the plan", None)


def test_assignment_notifies_the_assignee_not_the_assigner(client, team, task):
    client.put(f"/api/tasks/{task.id}", json={"assignee_id": team.member.id}, headers=team.headers["owner"])
    client.post(
        "/api/tasks",
        json={"project_id": team.project.id, "title": "Self-assigned", "assignee_id": team.admin.id},
        headers=team.headers["admin"],
    )
    notifications = db.session.query(Notification).all()
    assert [(n.user_id, n.type, n.data) for n in notifications] == [
        (team.member.id, "task_assigned", {"task_id": task.id, "project_id": team.project.id})
    ]
    assert "Write the plan" in notifications[0].title
    # Re-saving the same assignee is not a new assignment.
    client.put(f"/api/tasks/{task.id}", json={"assignee_id": team.member.id}, headers=team.headers["owner"])
    assert db.session.query(Notification).count() == 1


def test_unknown_task_is_404(client, team):
    assert client.get("/api/tasks/999999", headers=team.headers["owner"]).status_code == 404
    assert client.put("/api/tasks/999999", json={"title": "x"}, headers=team.headers["owner"]).status_code == 404
    assert client.delete("/api/tasks/999999", headers=team.headers["owner"]).status_code == 404


def test_removed_member_loses_the_tasks(client, team, task, make_user):
    client.delete(f"/api/projects/{team.project.id}/members/{team.member.id}", headers=team.headers["owner"])
    assert client.get(f"/api/tasks/{task.id}", headers=team.headers["member"]).status_code == 404
    assert client.get("/api/tasks", headers=team.headers["member"]).get_json() == []


def test_tasks_of_a_project_i_left_stay_hidden_even_if_assigned_to_me(client, team):
    done = make_task(team.project, team.owner, "Done", assignee_id=team.member.id, status="Completed")
    client.delete(f"/api/projects/{team.project.id}/members/{team.member.id}", headers=team.headers["member"])
    assert db.session.get(Task, done.id).assignee_id == team.member.id
    assert client.get("/api/tasks?assignee=me", headers=team.headers["member"]).get_json() == []


def test_a_user_with_no_projects_sees_an_empty_list(client, make_user):
    response = client.get("/api/tasks", headers=bearer(make_user()))
    assert response.status_code == 200
    assert response.get_json() == []


def test_ids_beyond_the_integer_range_are_not_found_or_invalid(client, team):
    huge = 2**31
    headers = team.headers["owner"]
    assert client.get(f"/api/tasks/{huge}", headers=headers).status_code == 404
    assert client.get(f"/api/projects/{huge}/tasks", headers=headers).status_code == 404
    assert client.delete(f"/api/projects/{team.project.id}/members/{huge}", headers=headers).status_code == 404
    response = client.post("/api/tasks", json={"project_id": huge, "title": "t"}, headers=headers)
    assert response.status_code == 422
    assert "project_id" in response.get_json()["errors"]["json"]
    response = client.post(
        f"/api/projects/{team.project.id}/tasks", json={"title": "t", "assignee_id": huge}, headers=headers
    )
    assert "assignee_id" in response.get_json()["errors"]["json"]
    assert "assignee" in client.get(f"/api/tasks?assignee={huge}", headers=headers).get_json()["errors"]["query"]
    assert "project_id" in client.get(f"/api/tasks?project_id={huge}", headers=headers).get_json()["errors"]["query"]
