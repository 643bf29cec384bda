"""Cached task lists: a hit runs no SQL, and every change that moves a list makes it fresh, for every member."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from app.projects import services
from tests.conftest import sql_statements
from tests.factories import make_project, make_task, make_user
from tests.projects.conftest import bearer

MINE = "/api/tasks?assignee=me&sort=due_date"


def _ids(client, headers, path: str = "/api/tasks") -> list[int]:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.get_json()
    return [task["id"] for task in response.get_json()]


def _no_sql(seen: list[str]) -> list[str]:
    # (the test transaction's savepoints aside: production's commit of an unused session sends nothing)
    return [s for s in seen if not s.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO"))]


def test_a_repeated_list_is_served_without_sql_with_an_etag(client, team):
    make_task(team.project, team.owner, "mine", assignee_id=team.member.id)
    first = client.get(MINE, headers=team.headers["member"])
    with sql_statements() as seen:
        second = client.get(MINE, headers=team.headers["member"])
    assert _no_sql(seen) == []
    assert second.get_data() == first.get_data() and second.headers["X-Pagination"] == first.headers["X-Pagination"]
    again = client.get(MINE, headers={**team.headers["member"], "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_every_member_sees_a_task_created_changed_and_deleted(client, team):
    for role in ("owner", "admin", "member"):
        assert _ids(client, team.headers[role]) == []
    task = make_task(team.project, team.admin, "new")
    for role in ("owner", "admin", "member"):
        assert _ids(client, team.headers[role]) == [task.id]
    assert _ids(client, team.headers["member"], MINE) == []
    services.update_task(team.owner, task.id, {"assignee_id": team.member.id})
    services.db.session.commit()
    assert _ids(client, team.headers["member"], MINE) == [task.id]
    services.delete_task(team.owner, task.id)
    services.db.session.commit()
    for role in ("owner", "admin", "member"):
        assert _ids(client, team.headers[role]) == []


def test_joining_and_leaving_a_project_moves_the_lists(client, team):
    task = make_task(team.project, team.owner, "open", assignee_id=team.member.id)
    newcomer = make_user()
    newcomer_headers = bearer(newcomer)
    assert _ids(client, newcomer_headers) == []
    services.add_member(team.owner, team.project.id, newcomer.id)
    services.db.session.commit()
    assert _ids(client, newcomer_headers) == [task.id]
    assert client.get(f"/api/projects/{team.project.id}/tasks", headers=team.headers["member"]).status_code == 200
    services.remove_member(team.owner, team.project.id, team.member.id)
    services.db.session.commit()
    assert _ids(client, team.headers["member"]) == []
    assert client.get(f"/api/projects/{team.project.id}/tasks", headers=team.headers["member"]).status_code == 404
    # the others see the task lose its assignee
    listed = client.get("/api/tasks", headers=team.headers["owner"]).get_json()
    assert [(t["id"], t["assignee_id"]) for t in listed] == [(task.id, None)]


def test_deleting_the_project_empties_every_members_list(client, team):
    make_task(team.project, team.owner, "gone")
    assert len(_ids(client, team.headers["admin"])) == 1
    services.delete_project(team.owner, team.project.id)
    services.db.session.commit()
    assert _ids(client, team.headers["admin"]) == []


def test_a_cached_overdue_list_follows_the_users_midnight_and_time_zone(client):
    user = make_user(timezone="Asia/Kathmandu")  # UTC+5:45: midnight falls at 18:15 UTC
    project = make_project(user)
    task = make_task(project, user, "due today", due_date="2026-03-10", assignee_id=user.id)
    overdue = "/api/tasks?due=overdue&assignee=me"
    with time_machine.travel(datetime(2026, 3, 10, 18, 14, tzinfo=UTC), tick=False):  # 23:59 in Kathmandu
        headers = bearer(user)
        assert _ids(client, headers, overdue) == []
        assert _ids(client, headers, overdue) == []  # cached
    with time_machine.travel(datetime(2026, 3, 10, 18, 16, tzinfo=UTC), tick=False):  # 00:01 on the 11th
        assert _ids(client, headers, overdue) == [task.id]
    with time_machine.travel(datetime(2026, 3, 10, 18, 20, tzinfo=UTC), tick=False):
        assert _ids(client, headers, overdue) == [task.id]
        update = {"profile": {"timezone": "America/Los_Angeles"}}  # back to the 10th there
        assert client.put("/api/users/me", json=update, headers=headers).status_code == 200
        assert _ids(client, headers, overdue) == []


def test_a_revoked_login_hears_401_on_a_cached_list(client, team):
    assert client.get(MINE, headers=team.headers["member"]).status_code == 200
    assert client.post("/api/logout", headers=team.headers["member"]).status_code == 204
    response = client.get(MINE, headers=team.headers["member"])
    assert response.status_code == 401
    assert response.get_json()["message"] == "The token has been revoked."
