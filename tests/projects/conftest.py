"""Fixtures for projects: a team with every role, tokens issued through the services."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from app.accounts import services as accounts_services
from app.accounts.models import User
from app.extensions import db
from app.projects.models import Project
from tests.conftest import sql_statements
from tests.factories import make_project, make_user

ROLES = ("owner", "admin", "member", "outsider", "platform_owner")


def bearer(user: User) -> dict:
    """Open a login for the user and return its Authorization header."""
    tokens = accounts_services.issue_tokens(user)
    db.session.commit()
    return {"Authorization": f"Bearer {tokens['access_token']}"}


@dataclass
class Team:
    """A project with its owner, an Admin, a Member, plus a stranger and a platform Owner (not members)."""

    project: Project
    users: dict[str, User]
    headers: dict[str, dict] = field(default_factory=dict)

    def __getattr__(self, name: str) -> User:
        try:
            return self.users[name]
        except KeyError:
            raise AttributeError(name) from None


@pytest.fixture
def team() -> Team:
    users = {
        "owner": make_user(),
        "admin": make_user(),
        "member": make_user(),
        "outsider": make_user(),
        "platform_owner": make_user(role="Owner"),
    }
    project = make_project(users["owner"], "Team project", members=[users["member"]], admins=[users["admin"]])
    return Team(project, users, {role: bearer(user) for role, user in users.items()})


@pytest.fixture
def count_queries(app):
    """Count the SQL statements run inside a `with count_queries() as counter:` block."""
    return sql_statements
