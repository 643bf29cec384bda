"""Registration, login, token refresh and rotation, logout, and attacks on the JWTs."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import jwt as pyjwt
import pytest
import time_machine
from flask_jwt_extended import create_access_token

from app import create_app
from app.extensions import db
from tests.factories import PASSWORD


def register(client, **overrides):
    body = {"email": "alice@example.com", "username": "alice", "password": "secret123", **overrides}
    return client.post("/api/register", json=body)


def tokens(client, email="alice@example.com", password="secret123"):
    response = client.post("/api/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


# ---- register


def test_register_creates_a_user_with_defaults(client):
    response = register(client, email="  Alice@Example.COM ")
    assert response.status_code == 201
    body = response.get_json()
    assert body["email"] == "alice@example.com"
    assert body["role"] == "User"
    assert body["trainer"] is None
    assert body["profile"]["timezone"] == "UTC"
    assert body["created_at"].endswith("Z")
    assert "password" not in body and "password_hash" not in body


def test_register_as_trainer_gets_a_trainer_block_accepting_clients(client):
    body = register(client, role="Trainer").get_json()
    assert body["role"] == "Trainer"
    assert body["trainer"] == {"specialization": None, "experience_years": None, "accepting_clients": True}


def test_nobody_registers_as_owner(client):
    response = register(client, role="Owner")
    assert response.status_code == 422
    assert "role" in response.get_json()["errors"]["json"]


def test_duplicate_email_in_another_case_is_a_conflict(client):
    assert register(client).status_code == 201
    response = register(client, email="ALICE@example.com", username="alice2")
    assert response.status_code == 409
    assert response.get_json()["message"] == "That email is already registered."


def test_duplicate_username_in_another_case_is_a_conflict(client):
    assert register(client).status_code == 201
    assert register(client, email="other@example.com", username="ALICE").status_code == 409


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("password", "short1"),
        ("password", "12345678901"),
        ("password", "alice@example.com"),
        ("email", "not-an-email"),
        ("username", "a"),
        ("username", "has space"),
        ("role", "Admin"),
    ],
)
def test_register_validation_names_the_field(client, field, value):
    response = register(client, **{field: value})
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == 422 and body["status"] == "Unprocessable Entity"
    assert field in body["errors"]["json"]


def test_password_equal_to_username_is_rejected(client):
    response = register(client, username="longpassword", password="LongPassword")
    assert response.status_code == 422
    assert "password" in response.get_json()["errors"]["json"]


@pytest.mark.parametrize("extra", [{"id": 5}, {"created_at": "2026-01-01T00:00:00Z"}, {"is_admin": True}])
def test_register_rejects_unknown_and_read_only_fields(client, extra):
    response = register(client, **extra)
    assert response.status_code == 422
    assert next(iter(extra)) in response.get_json()["errors"]["json"]


def test_register_missing_fields(client):
    response = client.post("/api/register", json={})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]["json"]) == {"email", "username", "password"}


def test_malformed_json_is_400(client):
    response = client.post("/api/register", data="{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["message"] == "The request body is not valid JSON."


def test_non_json_body_is_400(client):
    response = client.post("/api/register", data="email=a@b.c", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400


def test_json_that_is_not_an_object_is_422(client):
    response = client.post("/api/register", json=["a"])
    assert response.status_code == 422


# ---- login


def test_login_returns_the_token_pair_and_user(client):
    register(client)
    body = tokens(client, email="ALICE@example.com")
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["user"]["username"] == "alice"
    me = client.get("/api/users/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200 and me.get_json()["email"] == "alice@example.com"


def test_wrong_password_and_unknown_email_get_the_same_401(client):
    register(client)
    wrong = client.post("/api/login", json={"email": "alice@example.com", "password": "nope-nope"})
    unknown = client.post("/api/login", json={"email": "bob@example.com", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()


def test_login_is_rate_limited_per_client_address(app_config, client, make_user):
    user = make_user()
    app_config["RATELIMIT_LOGIN_PER_IP"] = "3 per minute"
    statuses = [
        client.post("/api/login", json={"email": user.email, "password": PASSWORD}).status_code for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]


def test_login_429_has_retry_after_and_the_error_shape(client, make_user):
    user = make_user()
    for _ in range(10):
        client.post("/api/login", json={"email": user.email, "password": PASSWORD})
    response = client.post("/api/login", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert response.get_json()["code"] == 429


def test_failed_logins_lock_the_account_but_not_others(client, make_user):
    victim, other = make_user(), make_user()
    for _ in range(5):
        bad = client.post("/api/login", json={"email": victim.email, "password": "wrong-password"})
        assert bad.status_code == 401
    locked = client.post("/api/login", json={"email": victim.email.upper(), "password": PASSWORD})
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    assert client.post("/api/login", json={"email": other.email, "password": PASSWORD}).status_code == 200


def test_successful_logins_do_not_count_against_the_account(client, make_user):
    user = make_user()
    for _ in range(7):
        assert client.post("/api/login", json={"email": user.email, "password": PASSWORD}).status_code == 200


def test_forwarded_for_cannot_dodge_the_ip_limit(app, client, make_user):
    user = make_user()
    statuses = []
    for n in range(11):
        headers = {"X-Forwarded-For": f"10.0.0.{n}"}
        body = {"email": user.email, "password": PASSWORD}
        statuses.append(client.post("/api/login", json=body, headers=headers).status_code)
    assert statuses[-1] == 429  # TRUSTED_PROXY_HOPS=0: the header is ignored


def test_forwarded_for_is_trusted_for_the_configured_hops(make_user):
    proxied = create_app("testing", TRUSTED_PROXY_HOPS=1)
    client = proxied.test_client()
    user = make_user()
    statuses = []
    for n in range(11):
        headers = {"X-Forwarded-For": f"10.0.0.{n}"}
        body = {"email": user.email, "password": PASSWORD}
        statuses.append(client.post("/api/login", json=body, headers=headers).status_code)
    assert statuses == [200] * 11


# ---- refresh and rotation


def test_refresh_rotates_and_the_old_refresh_token_is_spent(client):
    register(client)
    first = tokens(client)
    second = client.post("/api/token/refresh", headers=bearer(first["refresh_token"]))
    assert second.status_code == 200
    pair = second.get_json()
    assert pair["refresh_token"] != first["refresh_token"]
    assert client.get("/api/users/me", headers=bearer(pair["access_token"])).status_code == 200
    # the first refresh token again: 401, and the whole login family is revoked
    reuse = client.post("/api/token/refresh", headers=bearer(first["refresh_token"]))
    assert reuse.status_code == 401
    assert client.get("/api/users/me", headers=bearer(pair["access_token"])).status_code == 401
    assert client.post("/api/token/refresh", headers=bearer(pair["refresh_token"])).status_code == 401


def test_reuse_revokes_only_that_login(client):
    register(client)
    phone, laptop = tokens(client), tokens(client)
    client.post("/api/token/refresh", headers=bearer(phone["refresh_token"]))
    client.post("/api/token/refresh", headers=bearer(phone["refresh_token"]))
    assert client.get("/api/users/me", headers=bearer(laptop["access_token"])).status_code == 200


def test_an_access_token_cannot_refresh_and_a_refresh_token_cannot_access(client):
    register(client)
    pair = tokens(client)
    assert client.post("/api/token/refresh", headers=bearer(pair["access_token"])).status_code == 401
    assert client.get("/api/users/me", headers=bearer(pair["refresh_token"])).status_code == 401


# ---- logout


def test_logout_revokes_access_and_refresh(client):
    register(client)
    pair = tokens(client)
    assert client.post("/api/logout", headers=bearer(pair["access_token"])).status_code == 204
    assert client.get("/api/users/me", headers=bearer(pair["access_token"])).status_code == 401
    assert client.post("/api/token/refresh", headers=bearer(pair["refresh_token"])).status_code == 401


def test_logout_survives_a_restart(client):
    register(client)
    pair = tokens(client)
    client.post("/api/logout", headers=bearer(pair["access_token"]))
    restarted = create_app("testing").test_client()  # a new process would read the same database
    assert restarted.get("/api/users/me", headers=bearer(pair["access_token"])).status_code == 401


# ---- attacks on the token


def _forge(payload: dict, header: dict) -> str:
    def b64(part: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()

    return f"{b64(header)}.{b64(payload)}."


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer not.a.jwt"},
        {"Authorization": "Token abc"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ],
)
def test_missing_or_malformed_tokens_are_401(client, headers):
    response = client.get("/api/users/me", headers=headers)
    assert response.status_code == 401
    assert set(response.get_json()) == {"code", "status", "message"}


def test_wrong_signature_is_401(client):
    register(client)
    pair = tokens(client)
    claims = pyjwt.decode(pair["access_token"], options={"verify_signature": False})
    forged = pyjwt.encode(claims, "another-secret-of-sufficient-length!!", algorithm="HS256")
    assert client.get("/api/users/me", headers=bearer(forged)).status_code == 401


def test_alg_none_is_401(client):
    register(client)
    pair = tokens(client)
    claims = pyjwt.decode(pair["access_token"], options={"verify_signature": False})
    forged = _forge(claims, {"alg": "none", "typ": "JWT"})
    assert client.get("/api/users/me", headers=bearer(forged)).status_code == 401


def test_expired_token_is_401(client):
    register(client)
    pair = tokens(client)
    with time_machine.travel(timedelta(minutes=16), tick=False):
        response = client.get("/api/users/me", headers=bearer(pair["access_token"]))
    assert response.status_code == 401
    assert response.get_json()["message"] == "The token has expired."


def test_a_token_that_verified_before_still_expires(client):
    register(client)
    pair = tokens(client)
    assert client.get("/api/users/me", headers=bearer(pair["access_token"])).status_code == 200
    with time_machine.travel(timedelta(minutes=16), tick=False):
        response = client.get("/api/users/me", headers=bearer(pair["access_token"]))
    assert response.status_code == 401
    assert response.get_json()["message"] == "The token has expired."


def test_token_without_a_login_session_is_401(app, client, make_user):
    user = make_user()
    with app.app_context():
        token = create_access_token(str(user.id))
    assert client.get("/api/users/me", headers=bearer(token)).status_code == 401


def test_token_of_a_deleted_user_is_401(client, make_user, login):
    user = make_user()
    headers = login(user)
    db.session.delete(user)
    db.session.commit()
    assert client.get("/api/users/me", headers=headers).status_code == 401


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/logout"),
        ("post", "/api/token/refresh"),
        ("get", "/api/users/me"),
        ("put", "/api/users/me"),
        ("get", "/api/users"),
        ("get", "/api/trainers"),
        ("get", "/api/coaching"),
        ("post", "/api/coaching"),
        ("get", "/api/coaching/1"),
        ("delete", "/api/coaching/1"),
        ("post", "/api/coaching/1/accept"),
        ("post", "/api/coaching/1/decline"),
    ],
)
def test_anonymous_callers_get_401_everywhere_but_the_public_endpoints(client, method, path):
    response = getattr(client, method)(path, json={} if method in ("post", "put") else None)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/register", {"email": "n@example.com", "username": "newbie", "password": "secret123"}),
        ("/api/password/forgot", {"email": "n@example.com"}),
    ],
)
def test_public_endpoints_need_no_token(client, path, body):
    assert client.post(path, json=body).status_code in (201, 202)


# ---- the revocation check: Redis when configured, the database in the embedded mode


@pytest.mark.parametrize("redis_url", ["configured", None])
def test_revocation_is_seen_with_and_without_redis(app, app_config, client, make_user, monkeypatch, redis_url):
    from flask_jwt_extended import decode_token

    from app.accounts import services as accounts_services

    user = make_user()
    pair = accounts_services.issue_tokens(user)
    db.session.commit()
    if redis_url is None:  # as an app built without Redis: no key tracking either
        app_config["REDIS_URL"] = None
        monkeypatch.delitem(app.extensions, "revocation_watch")
    payload = decode_token(pair["access_token"])
    assert accounts_services.is_login_revoked(payload) is False
    assert client.get("/api/users/me", headers=bearer(pair["access_token"])).status_code == 200
    accounts_services.logout(payload)
    db.session.commit()
    assert accounts_services.is_login_revoked(payload) is True
    assert client.get("/api/users/me", headers=bearer(pair["access_token"])).status_code == 401


def test_password_reset_marks_every_login_revoked_in_redis(app, make_user):
    from app.accounts import services as accounts_services
    from app.core.redis import redis_client

    user = make_user()
    sids = [accounts_services.issue_tokens(user) and None for _ in range(2)]
    db.session.commit()
    assert accounts_services.revoke_all_logins(user.id, "password_reset") == len(sids)
    keys = redis_client().keys(accounts_services.REVOKED_KEY.format("*"))
    assert len(keys) == 2
    assert 0 < redis_client().ttl(keys[0]) <= 900 + 60


def test_a_token_without_a_login_id_is_revoked(app):
    from app.accounts import services as accounts_services

    assert accounts_services.is_login_revoked({"sub": "1"}) is True


@pytest.mark.parametrize("path", ["/api/workouts", "/api/plans", "/api/conversations"])
def test_a_token_whose_user_was_deleted_is_a_401_gone_on_lists_that_read_only_the_viewer(client, make_user, path):
    # The polled lists load only the viewer's id and role (`current_viewer`), not the user: they too say
    # "gone" when the row is no longer there, rather than answering for nobody.
    user = make_user()
    headers = bearer(tokens(client, user.email, PASSWORD)["access_token"])
    assert client.get(path, headers=headers).status_code == 200
    db.session.execute(db.text("DELETE FROM users WHERE id = :id"), {"id": user.id})
    db.session.commit()
    response = client.get(path, headers=headers)
    assert response.status_code == 401
    assert response.get_json()["message"] == "The token's user no longer exists."
