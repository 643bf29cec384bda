"""Projects over REST: CRUD, `my_role`, the permission matrix, validation."""

from __future__ import annotations

import json

import pytest

from app.extensions import db
from app.projects.models import Project, ProjectMember, Task
from tests.factories import make_project, make_task
from tests.projects.conftest import ROLES


def expect(matrix: dict[str, int]) -> list[tuple[str, int]]:
    assert set(matrix) == set(ROLES)
    return list(matrix.items())


READ = {"owner": 200, "admin": 200, "member": 200, "outsider": 404, "platform_owner": 404}
WRITE = {"owner": 200, "admin": 200, "member": 403, "outsider": 404, "platform_owner": 404}
DELETE = {"owner": 204, "admin": 403, "member": 403, "outsider": 404, "platform_owner": 404}


@pytest.mark.parametrize(("role", "status"), expect(READ))
def test_get_project_matrix(client, team, role, status):
    response = client.get(f"/api/projects/{team.project.id}", headers=team.headers[role])
    assert response.status_code == status, response.get_json()
    if status == 200:
        assert response.get_json()["id"] == team.project.id


@pytest.mark.parametrize(("role", "status"), expect(WRITE))
@pytest.mark.parametrize("method", ["put", "patch"])
def test_update_project_matrix(client, team, role, status, method):
    response = getattr(client, method)(
        f"/api/projects/{team.project.id}", json={"name": "Renamed"}, headers=team.headers[role]
    )
    assert response.status_code == status, response.get_json()
    db.session.expire_all()
    assert (db.session.get(Project, team.project.id).name == "Renamed") is (status == 200)


@pytest.mark.parametrize(("role", "status"), expect(DELETE))
def test_delete_project_matrix(client, team, role, status):
    response = client.delete(f"/api/projects/{team.project.id}", headers=team.headers[role])
    assert response.status_code == status, response.get_json() if response.data else None
    db.session.expire_all()
    assert (db.session.get(Project, team.project.id) is None) is (status == 204)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/projects"),
        ("post", "/api/projects"),
        ("get", "/api/projects/1"),
        ("put", "/api/projects/1"),
        ("delete", "/api/projects/1"),
    ],
)
def test_project_endpoints_need_a_token(client, method, path):
    response = getattr(client, method)(path, json={"name": "x"} if method in ("post", "put") else None)
    assert response.status_code == 401
    assert response.get_json()["code"] == 401


@pytest.mark.parametrize("role", ROLES)
def test_anyone_signed_in_creates_a_project_and_becomes_owner_and_admin(client, team, role):
    response = client.post(
        "/api/projects", json={"name": "  Spring block  ", "description": "Hypertrophy"}, headers=team.headers[role]
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["name"] == "Spring block"
    assert body["description"] == "Hypertrophy"
    assert body["owner_id"] == team.users[role].id
    assert body["my_role"] == "Admin"
    assert set(body) == {"id", "name", "description", "owner_id", "created_at", "updated_at", "my_role"}
    assert body["created_at"].endswith("Z")
    membership = db.session.get(ProjectMember, (body["id"], team.users[role].id))
    assert membership.role.value == "Admin"


def test_my_role_is_the_callers(client, team):
    roles = {
        role: client.get(f"/api/projects/{team.project.id}", headers=team.headers[role]).get_json()["my_role"]
        for role in ("owner", "admin", "member")
    }
    assert roles == {"owner": "Admin", "admin": "Admin", "member": "Member"}


def test_list_shows_only_my_projects_with_my_role(client, team, make_user):
    other = make_project(team.outsider, "Outsider's")
    mine = make_project(team.member, "Member's own")
    response = client.get("/api/projects", headers=team.headers["member"])
    assert response.status_code == 200
    body = response.get_json()
    assert [(p["id"], p["my_role"]) for p in body] == [(team.project.id, "Member"), (mine.id, "Admin")]
    assert other.id not in [p["id"] for p in body]
    assert json.loads(response.headers["X-Pagination"])["total"] == 2


def test_list_is_paginated_and_searchable(client, team):
    for n in range(5):
        make_project(team.outsider, f"Block {n}")
    make_project(team.outsider, "100%_real")
    headers = team.headers["outsider"]
    page = client.get("/api/projects?page=2&page_size=2", headers=headers)
    assert page.status_code == 200
    assert [p["name"] for p in page.get_json()] == ["Block 2", "Block 3"]
    meta = json.loads(page.headers["X-Pagination"])
    assert (meta["total"], meta["total_pages"], meta["page"]) == (6, 3, 2)
    found = client.get("/api/projects?q=block", headers=headers).get_json()
    assert len(found) == 5
    assert [p["name"] for p in client.get("/api/projects?q=%25_", headers=headers).get_json()] == ["100%_real"]


@pytest.mark.parametrize("query", ["page_size=101", "page_size=0", "page=0", "sort=name", "q="])
def test_list_rejects_bad_query(client, team, query):
    response = client.get(f"/api/projects?{query}", headers=team.headers["owner"])
    assert response.status_code == 422
    assert "query" in response.get_json()["errors"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"name": None}, "name"),
        ({"name": "ok", "description": "x" * 5001}, "description"),
        ({"name": "ok", "owner_id": 5}, "owner_id"),
        ({"name": "ok", "id": 5}, "id"),
        ({"name": "ok", "my_role": "Admin"}, "my_role"),
    ],
)
def test_create_validation(client, team, body, field):
    response = client.post("/api/projects", json=body, headers=team.headers["owner"])
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]["json"]
    assert db.session.query(Project).count() == 1


def test_create_needs_a_json_body(client, team):
    response = client.post("/api/projects", data="name=x", headers=team.headers["owner"])
    assert response.status_code == 400


@pytest.mark.parametrize(("body", "field"), [({"name": ""}, "name"), ({"owner_id": 3}, "owner_id")])
def test_update_validation(client, team, body, field):
    response = client.put(f"/api/projects/{team.project.id}", json=body, headers=team.headers["owner"])
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]


def test_update_changes_only_what_is_given(client, team):
    response = client.put(
        f"/api/projects/{team.project.id}", json={"description": "New plan"}, headers=team.headers["admin"]
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["name"], body["description"], body["my_role"]) == ("Team project", "New plan", "Admin")


def test_delete_removes_tasks_and_members(client, team):
    task_id = make_task(team.project, team.member, "Log weight").id
    response = client.delete(f"/api/projects/{team.project.id}", headers=team.headers["owner"])
    assert response.status_code == 204
    db.session.expire_all()
    assert db.session.get(Task, task_id) is None
    assert db.session.query(ProjectMember).filter_by(project_id=team.project.id).count() == 0
    assert client.get(f"/api/tasks/{task_id}", headers=team.headers["member"]).status_code == 404


def test_unknown_project_is_404(client, team):
    assert client.get("/api/projects/999999", headers=team.headers["owner"]).status_code == 404
    assert client.get("/api/projects/abc", headers=team.headers["owner"]).status_code == 404
