"""PostgreSQL is the truth of revocations, Redis its cache (issue 15 §5, §6): a token naming a login that does
not exist is refused, and a revoked login stays revoked when Redis lost its keys."""

from __future__ import annotations

import uuid

import redis
from flask_jwt_extended import create_access_token, decode_token

from app.accounts import services as accounts_services
from app.core.key_tracking import KeyTracking
from app.core.revocation import RevocationWatch


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_a_token_naming_a_login_that_does_not_exist_is_401(app, client, user):
    with app.app_context():
        token = create_access_token(str(user.id), additional_claims={"sid": str(uuid.uuid4())})
    response = client.get("/api/users/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.get_json()["message"] == "The token has been revoked."


def test_a_logout_survives_redis_losing_its_keys(app, client, user):
    tokens = client.post("/api/login", json={"email": user.email, "password": "correct horse battery"}).get_json()
    headers = bearer(tokens["access_token"])
    assert client.get("/api/users/me", headers=headers).status_code == 200
    assert client.post("/api/logout", headers=headers).status_code == 204
    redis.Redis.from_url(app.config["REDIS_URL"]).flushdb()  # a Redis restarted without persistence
    saved = app.extensions["revocation_watch"]
    # A process that starts now, or whose tracking connection came back, knows no report of that logout.
    app.extensions["revocation_watch"] = RevocationWatch(
        KeyTracking(app.config["REDIS_URL"]), accounts_services.REVOKED_KEY.format("")
    )
    try:
        assert client.get("/api/users/me", headers=headers).status_code == 401
    finally:
        app.extensions["revocation_watch"] = saved
    with app.app_context():
        claims = {"sid": _sid(tokens["access_token"])}
        assert accounts_services.is_login_revoked(claims) is True  # without key tracking too


def _sid(token: str) -> str:
    return decode_token(token)["sid"]
