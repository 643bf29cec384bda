"""Password reset by email: a real SMTP server, a real Celery worker, single-use tokens."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine

from app.accounts import services as accounts_services
from app.extensions import db
from tests.conftest import wait_for
from tests.factories import PASSWORD


def _token_from(message) -> str:
    return re.search(r"Your reset token: (\S+)", message.get_content()).group(1)


@pytest.mark.live
def test_forgot_sends_an_email_through_the_worker_and_reset_works_once(
    client, make_user, login, smtp_server, celery_worker
):
    user = make_user()
    old_headers = login(user)
    response = client.post("/api/password/forgot", json={"email": user.email.upper()})
    assert response.status_code == 202
    message = wait_for(lambda: smtp_server.messages and smtp_server.messages[0], timeout=20)
    assert message["To"] == user.email
    assert message["Subject"] == "Reset your Spotter password"
    token = _token_from(message)

    reset = client.post("/api/password/reset", json={"token": token, "password": "a brand new one"})
    assert reset.status_code == 204
    # every existing login is revoked, the new password works, the old one does not
    assert client.get("/api/users/me", headers=old_headers).status_code == 401
    assert client.post("/api/login", json={"email": user.email, "password": PASSWORD}).status_code == 401
    assert client.post("/api/login", json={"email": user.email, "password": "a brand new one"}).status_code == 200
    # single use
    again = client.post("/api/password/reset", json={"token": token, "password": "another new one"})
    assert again.status_code == 422
    assert "token" in again.get_json()["errors"]["json"]


@pytest.mark.live
def test_forgot_for_an_unknown_email_is_the_same_202_and_sends_nothing(client, make_user, smtp_server, celery_worker):
    unknown = client.post("/api/password/forgot", json={"email": "nobody@example.com"})
    assert unknown.status_code == 202
    # A known address afterwards is the sentinel: the solo worker runs jobs in order, so once its mail is in,
    # a mail for the unknown address would have arrived before it.
    user = make_user()
    known = client.post("/api/password/forgot", json={"email": user.email})
    assert (known.status_code, known.get_json()) == (unknown.status_code, unknown.get_json())
    wait_for(lambda: smtp_server.messages, timeout=20)
    assert [message["To"] for message in smtp_server.messages] == [user.email]


def _issue_token(user) -> str:
    token = accounts_services.create_reset_token(user)
    db.session.commit()
    return token


def test_reset_token_expires_after_an_hour(client, make_user):
    user = make_user()
    token = _issue_token(user)
    with time_machine.travel(timedelta(minutes=61), tick=False):
        response = client.post("/api/password/reset", json={"token": token, "password": "a brand new one"})
    assert response.status_code == 422


def test_a_newer_reset_spends_older_tokens(client, make_user):
    user = make_user()
    first, second = _issue_token(user), _issue_token(user)
    assert client.post("/api/password/reset", json={"token": second, "password": "a brand new one"}).status_code == 204
    assert client.post("/api/password/reset", json={"token": first, "password": "yet another one"}).status_code == 422


def test_reset_with_an_unknown_token_is_422(client):
    response = client.post("/api/password/reset", json={"token": "made-up", "password": "a brand new one"})
    assert response.status_code == 422


@pytest.mark.parametrize("password", ["short", "1234567890"])
def test_reset_validates_the_new_password(client, make_user, password):
    user = make_user()
    token = _issue_token(user)
    response = client.post("/api/password/reset", json={"token": token, "password": password})
    assert response.status_code == 422
    assert "password" in response.get_json()["errors"]["json"]


def test_reset_password_may_not_equal_the_email(client, make_user):
    user = make_user()
    token = _issue_token(user)
    response = client.post("/api/password/reset", json={"token": token, "password": user.email})
    assert response.status_code == 422


def test_forgot_is_rate_limited(client):
    statuses = [client.post("/api/password/forgot", json={"email": "x@example.com"}).status_code for _ in range(6)]
    assert statuses == [202] * 5 + [429]


def test_forgot_validates_the_email(client):
    assert client.post("/api/password/forgot", json={"email": "nope"}).status_code == 422
