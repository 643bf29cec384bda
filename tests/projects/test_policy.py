"""The project policy, asked directly: roles decide, the owner's membership is fixed."""

from __future__ import annotations

import pytest

from app.projects import policy
from app.projects.models import MemberRole, Project, Task

ADMIN, MEMBER = MemberRole.ADMIN, MemberRole.MEMBER


@pytest.mark.parametrize(("role", "expected"), [(ADMIN, True), (MEMBER, True), (None, False)])
def test_can_view(role, expected):
    assert policy.can_view(role) is expected


@pytest.mark.parametrize(("role", "expected"), [(ADMIN, True), (MEMBER, False), (None, False)])
def test_can_manage(role, expected):
    assert policy.can_manage(role) is expected


def test_only_the_owner_deletes_a_project():
    project = Project(owner_id=1)
    assert policy.can_delete_project(1, project)
    assert not policy.can_delete_project(2, project)


@pytest.mark.parametrize(
    ("user_id", "role", "target", "expected"),
    [(1, ADMIN, 3, True), (2, MEMBER, 3, False), (3, MEMBER, 3, True), (4, None, 3, False), (3, None, 3, True)],
)
def test_can_remove_member(user_id, role, target, expected):
    assert policy.can_remove_member(user_id, role, target) is expected


def test_owner_membership_is_fixed():
    project = Project(owner_id=1)
    assert policy.is_owner_membership(project, 1)
    assert not policy.is_owner_membership(project, 2)


@pytest.mark.parametrize(
    ("user_id", "role", "expected"), [(1, ADMIN, True), (2, MEMBER, True), (3, MEMBER, False), (4, None, False)]
)
def test_can_delete_task(user_id, role, expected):
    assert policy.can_delete_task(user_id, role, Task(created_by=2)) is expected
