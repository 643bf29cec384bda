"""Verified emails: a token mailed at registration and at every email change, single use, 24 hours."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine

from app.accounts import services as accounts_services
from app.accounts.models import EmailVerificationToken, User
from app.extensions import db
from tests.conftest import wait_for


def _token_from(message) -> str:
    return re.search(r"Your verification token: (\S+)", message.get_content()).group(1)


def _issue(user) -> str:
    token = accounts_services.create_email_verification_token(user)
    db.session.commit()
    return token


@pytest.mark.live
def test_registration_mails_a_token_that_verifies_the_address_once(client, smtp_server, celery_worker):
    response = client.post(
        "/api/register", json={"email": "New.Person@Example.com", "username": "newperson", "password": "long enough pw"}
    )
    assert response.status_code == 201
    assert response.get_json()["email_verified"] is False
    message = wait_for(lambda: smtp_server.messages and smtp_server.messages[0], timeout=20)
    assert message["To"] == "new.person@example.com"
    assert message["Subject"] == "Confirm your email for Spotter"
    token = _token_from(message)

    assert client.post("/api/email/verify", json={"token": token}).status_code == 204
    user = db.session.get(User, response.get_json()["id"])
    db.session.refresh(user)
    assert user.email_verified is True
    login = client.post("/api/login", json={"email": "new.person@example.com", "password": "long enough pw"})
    assert login.get_json()["user"]["email_verified"] is True

    again = client.post("/api/email/verify", json={"token": token})
    assert again.status_code == 422
    assert "token" in again.get_json()["errors"]["json"]


@pytest.mark.live
def test_changing_the_email_unverifies_it_and_mails_the_new_address(
    client, make_user, login, smtp_server, celery_worker
):
    user = make_user()
    user.email_verified = True
    db.session.commit()
    headers = login(user)
    response = client.put("/api/users/me", json={"email": "moved@example.com"}, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["email_verified"] is False
    message = wait_for(lambda: smtp_server.messages and smtp_server.messages[0], timeout=20)
    assert message["To"] == "moved@example.com"
    assert client.post("/api/email/verify", json={"token": _token_from(message)}).status_code == 204
    assert client.get("/api/users/me", headers=headers).get_json()["email_verified"] is True


def test_the_same_email_again_keeps_it_verified(client, make_user, login):
    user = make_user()
    user.email_verified = True
    db.session.commit()
    response = client.put("/api/users/me", json={"email": user.email.upper()}, headers=login(user))
    assert response.status_code == 200
    assert response.get_json()["email_verified"] is True


def test_a_token_for_an_address_no_longer_used_is_refused(client, make_user, login):
    user = make_user()
    old_token = _issue(user)
    client.put("/api/users/me", json={"email": "elsewhere@example.com"}, headers=login(user))
    response = client.post("/api/email/verify", json={"token": old_token})
    assert response.status_code == 422
    db.session.refresh(user)
    assert user.email_verified is False


def test_a_token_expires_after_24_hours(client, make_user):
    user = make_user()
    token = _issue(user)
    with time_machine.travel(timedelta(hours=24, minutes=1), tick=False):
        assert client.post("/api/email/verify", json={"token": token}).status_code == 422
    with time_machine.travel(timedelta(hours=23), tick=False):
        assert client.post("/api/email/verify", json={"token": token}).status_code == 204


@pytest.mark.parametrize(
    ("body", "field"), [({}, "token"), ({"token": ""}, "token"), ({"token": "x", "extra": 1}, "extra")]
)
def test_verify_validates_its_body(client, body, field):
    response = client.post("/api/email/verify", json=body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]


def test_an_unknown_token_is_422(client):
    response = client.post("/api/email/verify", json={"token": "made-up"})
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"]["token"]


def test_resend_stores_a_new_token_and_is_rate_limited(client, make_user, login):
    user = make_user()
    headers = login(user)
    responses = [client.post("/api/email/verification", headers=headers) for _ in range(4)]
    assert [r.status_code for r in responses] == [202, 202, 202, 429]
    assert 0 < int(responses[-1].headers["Retry-After"]) <= 3600
    tokens = db.session.query(EmailVerificationToken).filter_by(user_id=user.id).all()
    assert len(tokens) == 3 and {t.email for t in tokens} == {user.email}


def test_resend_needs_a_login_and_an_unverified_address(client, make_user, login):
    assert client.post("/api/email/verification").status_code == 401
    user = make_user()
    user.email_verified = True
    db.session.commit()
    response = client.post("/api/email/verification", headers=login(user))
    assert response.status_code == 409


def test_a_password_reset_proves_the_address(client, make_user):
    user = make_user()
    token = accounts_services.create_reset_token(user)
    db.session.commit()
    assert client.post("/api/password/reset", json={"token": token, "password": "a brand new one"}).status_code == 204
    db.session.refresh(user)
    assert user.email_verified is True


def test_an_email_change_spends_reset_links_sent_to_the_old_address(client, make_user, login):
    user = make_user()
    token = accounts_services.create_reset_token(user)
    db.session.commit()
    client.put("/api/users/me", json={"email": "victim@example.com"}, headers=login(user))
    response = client.post("/api/password/reset", json={"token": token, "password": "a brand new one"})
    assert response.status_code == 422
    db.session.refresh(user)
    assert user.email_verified is False
