"""Project members over REST: roles, the owner's fixed membership, unassigning on removal."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.projects.models import ProjectMember, Task
from tests.factories import make_coaching, make_task, make_user
from tests.projects.conftest import bearer
from tests.projects.test_routes_projects import READ, WRITE, expect

ADD = {"owner": 201, "admin": 201, "member": 403, "outsider": 404, "platform_owner": 404}
REMOVE = {"owner": 204, "admin": 204, "member": 403, "outsider": 404, "platform_owner": 404}


def members_url(team) -> str:
    return f"/api/projects/{team.project.id}/members"


@pytest.mark.parametrize(("role", "status"), expect(READ))
def test_list_members_matrix(client, team, role, status):
    response = client.get(members_url(team), headers=team.headers[role])
    assert response.status_code == status
    if status == 200:
        rows = response.get_json()
        assert [(m["user_id"], m["role"]) for m in rows] == [
            (team.owner.id, "Admin"),
            (team.member.id, "Member"),
            (team.admin.id, "Admin"),
        ]
        assert set(rows[0]) == {"user_id", "username", "role", "joined_at"}
        assert rows[0]["username"] == team.owner.username


@pytest.mark.parametrize(("role", "status"), expect(READ))
def test_get_member_matrix(client, team, role, status):
    response = client.get(f"{members_url(team)}/{team.member.id}", headers=team.headers[role])
    assert response.status_code == status
    if status == 200:
        assert response.get_json()["role"] == "Member"


def test_get_member_of_a_non_member_is_404(client, team):
    assert client.get(f"{members_url(team)}/{team.outsider.id}", headers=team.headers["owner"]).status_code == 404


@pytest.mark.parametrize(("role", "status"), expect(ADD))
def test_add_member_matrix(client, team, role, status):
    newcomer = make_user()
    response = client.post(members_url(team), json={"user_id": newcomer.id}, headers=team.headers[role])
    assert response.status_code == status, response.get_json()
    assert (db.session.get(ProjectMember, (team.project.id, newcomer.id)) is not None) is (status == 201)
    if status == 201:
        body = response.get_json()
        assert (body["user_id"], body["username"], body["role"]) == (newcomer.id, newcomer.username, "Member")


def test_add_member_as_admin(client, team):
    newcomer = make_user()
    response = client.post(
        members_url(team), json={"user_id": newcomer.id, "role": "Admin"}, headers=team.headers["admin"]
    )
    assert response.status_code == 201
    assert response.get_json()["role"] == "Admin"
    assert client.get(f"/api/projects/{team.project.id}", headers=bearer(newcomer)).get_json()["my_role"] == "Admin"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "user_id"),
        ({"user_id": "abc"}, "user_id"),
        ({"user_id": 0}, "user_id"),
        ({"user_id": 999999}, "user_id"),
        ({"user_id": 1, "role": "Owner"}, "role"),
        ({"user_id": 1, "role": "admin"}, "role"),
        ({"user_id": 1, "joined_at": "2026-01-01T00:00:00Z"}, "joined_at"),
    ],
)
def test_add_member_validation(client, team, body, field):
    response = client.post(members_url(team), json=body, headers=team.headers["owner"])
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]["json"]


def test_adding_an_existing_member_is_a_conflict(client, team):
    response = client.post(members_url(team), json={"user_id": team.member.id}, headers=team.headers["owner"])
    assert response.status_code == 409


@pytest.mark.parametrize(("role", "status"), expect(WRITE))
def test_change_role_matrix(client, team, role, status):
    response = client.put(f"{members_url(team)}/{team.member.id}", json={"role": "Admin"}, headers=team.headers[role])
    assert response.status_code == status
    db.session.expire_all()
    expected = "Admin" if status == 200 else "Member"
    assert db.session.get(ProjectMember, (team.project.id, team.member.id)).role.value == expected


def test_demoted_admin_loses_admin_rights(client, team):
    response = client.patch(
        f"{members_url(team)}/{team.admin.id}", json={"role": "Member"}, headers=team.headers["owner"]
    )
    assert response.status_code == 200
    assert response.get_json()["role"] == "Member"
    newcomer = make_user()
    assert (
        client.post(members_url(team), json={"user_id": newcomer.id}, headers=team.headers["admin"]).status_code == 403
    )


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owner_cannot_be_demoted(client, team, role):
    response = client.put(f"{members_url(team)}/{team.owner.id}", json={"role": "Member"}, headers=team.headers[role])
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(ProjectMember, (team.project.id, team.owner.id)).role.value == "Admin"
    # Re-stating that the owner is an Admin is fine.
    response = client.put(f"{members_url(team)}/{team.owner.id}", json={"role": "Admin"}, headers=team.headers[role])
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"), [({}, "role"), ({"role": "Boss"}, "role"), ({"role": "Admin", "x": 1}, "x")]
)
def test_change_role_validation(client, team, body, field):
    response = client.put(f"{members_url(team)}/{team.member.id}", json=body, headers=team.headers["owner"])
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]


def test_change_role_of_a_non_member_is_404(client, team):
    response = client.put(
        f"{members_url(team)}/{team.outsider.id}", json={"role": "Admin"}, headers=team.headers["owner"]
    )
    assert response.status_code == 404


@pytest.mark.parametrize(("role", "status"), expect(REMOVE))
def test_remove_member_matrix(client, team, role, status):
    other = make_user()
    client.post(members_url(team), json={"user_id": other.id}, headers=team.headers["owner"])
    response = client.delete(f"{members_url(team)}/{other.id}", headers=team.headers[role])
    assert response.status_code == status
    assert (db.session.get(ProjectMember, (team.project.id, other.id)) is None) is (status == 204)


def test_a_member_may_leave(client, team):
    assert client.delete(f"{members_url(team)}/{team.member.id}", headers=team.headers["member"]).status_code == 204
    assert client.get(f"/api/projects/{team.project.id}", headers=team.headers["member"]).status_code == 404


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owner_cannot_be_removed(client, team, role):
    response = client.delete(f"{members_url(team)}/{team.owner.id}", headers=team.headers[role])
    assert response.status_code == 403
    assert db.session.get(ProjectMember, (team.project.id, team.owner.id)) is not None


def test_removing_a_non_member_is_404(client, team):
    assert client.delete(f"{members_url(team)}/{team.outsider.id}", headers=team.headers["owner"]).status_code == 404


def test_removing_a_member_unassigns_their_open_tasks_only(client, team):
    pending = make_task(team.project, team.owner, "Pending", assignee_id=team.member.id)
    started = make_task(team.project, team.owner, "Started", assignee_id=team.member.id, status="In Progress")
    done = make_task(team.project, team.owner, "Done", assignee_id=team.member.id, status="Completed")
    admins = make_task(team.project, team.owner, "Admin's", assignee_id=team.admin.id)
    response = client.delete(f"{members_url(team)}/{team.member.id}", headers=team.headers["admin"])
    assert response.status_code == 204
    db.session.expire_all()
    assignees = {t.title: t.assignee_id for t in db.session.query(Task).all()}
    assert assignees == {"Pending": None, "Started": None, "Done": team.member.id, "Admin's": team.admin.id}
    assert {pending.id, started.id, done.id, admins.id} == {t.id for t in db.session.query(Task).all()}


def test_a_refused_removal_changes_nothing(client, team):
    make_task(team.project, team.owner, "Owner's", assignee_id=team.owner.id)
    assert client.delete(f"{members_url(team)}/{team.owner.id}", headers=team.headers["admin"]).status_code == 403
    db.session.expire_all()
    assert db.session.query(Task).one().assignee_id == team.owner.id


def test_members_list_is_paginated(client, team):
    for _ in range(4):
        client.post(members_url(team), json={"user_id": make_user().id}, headers=team.headers["owner"])
    response = client.get(f"{members_url(team)}?page=2&page_size=5", headers=team.headers["member"])
    assert response.status_code == 200
    assert len(response.get_json()) == 2
    assert client.get(f"{members_url(team)}?role=Admin", headers=team.headers["member"]).status_code == 422


def test_trainer_runs_a_program_project_for_a_client(client):
    """Seed 000 §5: a trainer makes a project for a client's program and assigns them tasks."""
    trainer, athlete = make_user(role="Trainer"), make_user(timezone="Europe/Berlin")
    make_coaching(trainer, athlete)
    coach, me = bearer(trainer), bearer(athlete)
    project = client.post("/api/projects", json={"name": "Alice's 12-week program"}, headers=coach).get_json()
    assert (
        client.post(f"/api/projects/{project['id']}/members", json={"user_id": athlete.id}, headers=coach).status_code
        == 201
    )
    created = client.post(
        "/api/tasks",
        json={"project_id": project["id"], "title": "Log your weight every Monday", "assignee_id": athlete.id},
        headers=coach,
    )
    assert created.status_code == 201, created.get_json()
    mine = client.get("/api/tasks?assignee=me", headers=me).get_json()
    assert [t["title"] for t in mine] == ["Log your weight every Monday"]
    done = client.put(f"/api/tasks/{mine[0]['id']}", json={"status": "Completed"}, headers=me)
    assert done.status_code == 200
    assert done.get_json()["completed_at"] is not None
    # The client may work on tasks but not run the program.
    assert client.put(f"/api/projects/{project['id']}", json={"name": "Mine now"}, headers=me).status_code == 403
    assert client.delete(f"/api/tasks/{mine[0]['id']}", headers=me).status_code == 403
