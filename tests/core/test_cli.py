"""The `flask users create-owner` command."""

from __future__ import annotations

from app.accounts.models import Role
from app.accounts.services import find_user_by_email


def test_create_owner(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create-owner", "--email", "Boss@Example.com", "--username", "boss", "--password", "pw-12345"]
    )
    assert result.exit_code == 0, result.output
    owner = find_user_by_email("boss@example.com")
    assert owner.role == Role.OWNER and owner.trainer is None


def test_create_owner_with_a_taken_email_fails(app, make_user):
    taken = make_user()
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create-owner", "--email", taken.email, "--username", "boss2", "--password", "pw-12345"]
    )
    assert result.exit_code != 0
    assert "already registered" in result.output


def test_create_owner_validates_input(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create-owner", "--email", "x", "--username", "boss3", "--password", "1"])
    assert result.exit_code != 0
    assert "invalid input" in result.output


def test_owner_can_log_in(app, client):
    app.test_cli_runner().invoke(
        args=["users", "create-owner", "--email", "o@example.com", "--username", "owner", "--password", "pw-12345"]
    )
    response = client.post("/api/login", json={"email": "o@example.com", "password": "pw-12345"})
    assert response.status_code == 200 and response.get_json()["user"]["role"] == "Owner"
