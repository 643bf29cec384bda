"""Task list filters and sorts: "today" in the caller's time zone (frozen time), combinations, query counts."""

from __future__ import annotations

import json

import pytest
import time_machine

from app.extensions import db
from app.projects import services
from tests.factories import make_project, make_task, make_user
from tests.projects.conftest import bearer

AUCKLAND = "Pacific/Auckland"
LOS_ANGELES = "America/Los_Angeles"


@pytest.fixture
def board():
    """Tasks A-F in one project shared by a user in Auckland and one in Los Angeles."""
    akl = make_user(timezone=AUCKLAND)
    la = make_user(timezone=LOS_ANGELES)
    project = make_project(akl, "Shared", members=[la])
    tasks = {
        "A": make_task(project, akl, "A squat", due_date="2026-03-09", assignee_id=akl.id),
        "B": make_task(project, akl, "B bench", due_date="2026-03-10", assignee_id=la.id, status="In Progress"),
        "C": make_task(project, la, "C deadlift", due_date="2026-03-11", assignee_id=la.id),
        "D": make_task(project, la, "D rows", due_date="2026-03-12", assignee_id=akl.id, status="Completed"),
        "E": make_task(project, akl, "E buy chalk", description="Magnesium, 100% pure_grade"),
        "F": make_task(project, la, "F press", due_date="2026-03-09", assignee_id=la.id, status="Completed"),
    }
    return {"akl": akl, "la": la, "project": project, "tasks": tasks}


def titles(client, user, query: str = "", at: str | None = None, path: str = "/api/tasks") -> list[str]:
    """The first letters of the task titles the user gets for a query (at a frozen instant, if given)."""
    if at is None:
        return _titles(client, user, query, path)
    with time_machine.travel(at, tick=False):
        return _titles(client, user, query, path)


def _titles(client, user, query: str, path: str) -> list[str]:
    response = client.get(f"{path}?{query}", headers=bearer(user))
    assert response.status_code == 200, response.get_json()
    return [task["title"][0] for task in response.get_json()]


# ---- "today" is the caller's


AT_ONCE = "2026-03-10T11:30:00Z"  # Auckland: Wed 11 March 00:30; Los Angeles: Tue 10 March 04:30


@pytest.mark.parametrize(
    ("who", "due", "expected"),
    [
        ("akl", "overdue", ["A", "B"]),
        ("akl", "today", ["C"]),
        ("akl", "future", ["D"]),
        ("la", "overdue", ["A"]),
        ("la", "today", ["B"]),
        ("la", "future", ["C", "D"]),
    ],
)
def test_due_filters_in_the_callers_time_zone_at_one_instant(client, board, who, due, expected):
    assert titles(client, board[who], f"due={due}&sort=due_date", at=AT_ONCE) == expected


@pytest.mark.parametrize(
    ("instant", "today"),
    [
        ("2026-03-10T10:59:59Z", ["B"]),  # Auckland 23:59:59 on the 10th
        ("2026-03-10T11:00:00Z", ["C"]),  # Auckland 00:00:00 on the 11th
    ],
)
def test_auckland_midnight(client, board, instant, today):
    assert titles(client, board["akl"], "due=today", at=instant) == today


@pytest.mark.parametrize(
    ("instant", "today", "overdue"),
    [
        ("2026-03-11T06:59:59Z", ["B"], ["A"]),  # Los Angeles 23:59:59 on the 10th
        ("2026-03-11T07:00:00Z", ["C"], ["A", "B"]),  # Los Angeles 00:00:00 on the 11th
    ],
)
def test_los_angeles_midnight(client, board, instant, today, overdue):
    assert titles(client, board["la"], "due=today", at=instant) == today
    assert titles(client, board["la"], "due=overdue&sort=due_date", at=instant) == overdue


def test_los_angeles_after_the_spring_forward(client):
    """US daylight time began 8 March 2026: at 07:30Z on the 9th it is 00:30 PDT (on PST it would still be the 8th)."""
    la = make_user(timezone=LOS_ANGELES)
    project = make_project(la)
    make_task(project, la, "8th", due_date="2026-03-08")
    make_task(project, la, "9th", due_date="2026-03-09")
    with time_machine.travel("2026-03-09T07:30:00Z", tick=False):
        headers = bearer(la)
        today = client.get("/api/tasks?due=today", headers=headers).get_json()
        overdue = client.get("/api/tasks?due=overdue", headers=headers).get_json()
    assert [t["title"] for t in today] == ["9th"]
    assert [t["title"] for t in overdue] == ["8th"]


def test_auckland_after_daylight_time_ends(client):
    """NZ daylight time ended 5 April 2026: at 11:30Z it is 23:30 NZST on the 5th (on NZDT it would be the 6th)."""
    akl = make_user(timezone=AUCKLAND)
    project = make_project(akl)
    make_task(project, akl, "5th", due_date="2026-04-05")
    make_task(project, akl, "6th", due_date="2026-04-06")
    assert titles(client, akl, "due=today", at="2026-04-05T11:30:00Z") == ["5"]
    assert titles(client, akl, "due=future", at="2026-04-05T11:30:00Z") == ["6"]
    # A day earlier, still on daylight time (+13): 11:30Z is already 00:30 on the 5th.
    assert titles(client, akl, "due=today", at="2026-04-04T11:30:00Z") == ["5"]


def test_the_default_time_zone_is_utc(client, board):
    utc_user = make_user()
    services.add_member(board["akl"], board["project"].id, utc_user.id)
    db.session.commit()
    assert titles(client, utc_user, "due=today", at=AT_ONCE) == ["B"]


# ---- each filter alone


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["A", "B", "C", "D", "E", "F"]),
        ("status=Pending", ["A", "C", "E"]),
        ("status=In%20Progress", ["B"]),
        ("status=Completed", ["D", "F"]),
        ("status=Pending&status=Completed", ["A", "C", "D", "E", "F"]),
        ("assignee=me", ["B", "C", "F"]),
        ("q=chalk", ["E"]),
        ("q=MAGNESIUM", ["E"]),
        ("q=100%25", ["E"]),
        ("q=%25", ["E"]),
        ("q=_grade", ["E"]),
        ("q=b", ["B", "E"]),
        ("q=zzz", []),
    ],
)
def test_single_filters(client, board, query, expected):
    assert titles(client, board["la"], query, at=AT_ONCE) == expected


def test_assignee_by_id(client, board):
    assert titles(client, board["la"], f"assignee={board['akl'].id}") == ["A", "D"]
    assert titles(client, board["la"], "assignee=999999") == []


def test_project_id_filter(client, board):
    own = make_project(board["la"], "Solo")
    make_task(own, board["la"], "G solo")
    assert titles(client, board["la"], f"project_id={own.id}") == ["G"]
    assert titles(client, board["la"], f"project_id={board['project'].id}&status=Completed") == ["D", "F"]
    assert titles(client, board["la"]) == ["A", "B", "C", "D", "E", "F", "G"]
    assert titles(client, board["akl"]) == ["A", "B", "C", "D", "E", "F"]


def test_project_id_of_a_project_i_am_not_in_is_404(client, board):
    foreign = make_project(make_user())
    response = client.get(f"/api/tasks?project_id={foreign.id}", headers=bearer(board["la"]))
    assert response.status_code == 404


# ---- sorts


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("due_date", ["A", "F", "B", "C", "D", "E"]),
        ("-due_date", ["D", "C", "B", "F", "A", "E"]),
        ("status", ["A", "C", "E", "B", "F", "D"]),
        ("-status", ["F", "D", "B", "A", "C", "E"]),
    ],
)
def test_sorts_put_no_due_date_last_and_status_in_workflow_order(client, board, sort, expected):
    assert titles(client, board["la"], f"sort={sort}") == expected
    project_path = f"/api/projects/{board['project'].id}/tasks"
    assert titles(client, board["la"], f"sort={sort}", path=project_path) == expected


# ---- combined


@pytest.mark.parametrize(
    ("who", "query", "expected"),
    [
        ("la", "due=overdue&assignee=me&sort=due_date", []),
        ("akl", "due=overdue&assignee=me&sort=due_date", ["A"]),
        ("la", "due=future&assignee=me&sort=-due_date", ["C"]),
        ("akl", "due=future&status=Completed&sort=status", ["D"]),
        ("akl", "due=overdue&status=In%20Progress&q=bench", ["B"]),
        ("la", "status=Pending&status=In%20Progress&sort=-status", ["B", "A", "C", "E"]),
        ("la", "status=Pending&assignee=me&due=future&q=dead&sort=due_date", ["C"]),
        ("akl", "due=today&status=Completed", []),
    ],
)
def test_combined_filters(client, board, who, query, expected):
    assert titles(client, board[who], query, at=AT_ONCE) == expected
    project_path = f"/api/projects/{board['project'].id}/tasks"
    assert titles(client, board[who], f"{query}&project_id={board['project'].id}", at=AT_ONCE) == expected
    assert titles(client, board[who], query, at=AT_ONCE, path=project_path) == expected


def test_pagination_follows_the_sort(client, board):
    response = client.get("/api/tasks?sort=due_date&page=2&page_size=2", headers=bearer(board["la"]))
    assert [t["title"][0] for t in response.get_json()] == ["B", "C"]
    meta = json.loads(response.headers["X-Pagination"])
    assert (meta["total"], meta["total_pages"], meta["next_page"], meta["previous_page"]) == (6, 3, 3, 1)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("sort=foo", "sort"),
        ("sort=title", "sort"),
        ("due=yesterday", "due"),
        ("status=Done", "status"),
        ("status=pending", "status"),
        ("assignee=bob", "assignee"),
        ("assignee=0", "assignee"),
        ("project_id=x", "project_id"),
        ("project_id=0", "project_id"),
        ("q=", "q"),
        ("page_size=101", "page_size"),
        ("page_size=0", "page_size"),
        ("colour=red", "colour"),
    ],
)
@pytest.mark.parametrize("path", ["/api/tasks", "/api/projects/{id}/tasks"])
def test_bad_query_is_422_naming_the_field(client, board, query, field, path):
    url = path.format(id=board["project"].id)
    response = client.get(f"{url}?{query}", headers=bearer(board["la"]))
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]["query"]


# ---- query counts


def _count_list(client, headers, path: str, count_queries) -> tuple[int, int]:
    with count_queries() as statements:
        response = client.get(path, headers=headers)
    assert response.status_code == 200
    return len(statements), len(response.get_json())


@pytest.mark.parametrize(
    "path", ["/api/tasks?page_size=100&sort=status", "/api/tasks?assignee=me&due=future&sort=due_date&page_size=100"]
)
def test_task_list_query_count_is_constant(client, count_queries, path):
    user = make_user()
    project = make_project(user)
    headers = bearer(user)
    make_task(project, user, due_date="2099-01-01", assignee_id=user.id)
    client.get("/api/users/me", headers=headers)  # the login's first request asks the database about it
    few = _count_list(client, headers, path, count_queries)
    for _ in range(30):
        make_task(project, user, due_date="2099-01-01", assignee_id=user.id)
    many = _count_list(client, headers, path, count_queries)
    assert (few[1], many[1]) == (1, 31)
    assert few[0] == many[0]


def test_project_and_member_lists_query_counts_are_constant(client, count_queries):
    user = make_user()
    headers = bearer(user)
    first = make_project(user)
    client.get("/api/users/me", headers=headers)  # the login's first request asks the database about it
    few_projects = _count_list(client, headers, "/api/projects", count_queries)
    few_members = _count_list(client, headers, f"/api/projects/{first.id}/members", count_queries)
    for _ in range(10):
        make_project(user, members=[make_user()])
    for _ in range(10):
        services.add_member(user, first.id, make_user().id)
    db.session.commit()
    many_projects = _count_list(client, headers, "/api/projects", count_queries)
    many_members = _count_list(client, headers, f"/api/projects/{first.id}/members", count_queries)
    assert (few_projects[1], many_projects[1]) == (1, 11)
    assert (few_members[1], many_members[1]) == (1, 11)
    assert few_projects[0] == many_projects[0]
    assert few_members[0] == many_members[0]
