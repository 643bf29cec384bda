"""Sign-in with Google, Apple and Facebook against a local stand-in: verification, nonces, linking, unlinking."""

from __future__ import annotations

import hashlib
import time

import pytest
from sqlalchemy import func, select

from app.accounts import policy
from app.accounts.models import Identity, User
from app.core import oauth
from app.extensions import db
from tests.stand_ins import hs256_forgery, new_rsa_key, public_pem, unsigned_token


def _identities(user_id: int | None = None) -> list[Identity]:
    stmt = select(Identity).order_by(Identity.id)
    if user_id is not None:
        stmt = stmt.where(Identity.user_id == user_id)
    return list(db.session.scalars(stmt))


def _user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def _verified(user) -> None:
    user.email_verified = True
    db.session.commit()


def _google(providers, sub="g-1", email="ann@example.com", **extra) -> str:
    return providers.sign("google", providers.claims("google", sub, email, email_verified=True, **extra))


# ---- signing in


def test_a_new_google_identity_creates_a_verified_account_then_signs_it_in(client, providers):
    first = client.post("/api/oauth/google", json={"id_token": _google(providers)})
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["token_type"] == "Bearer" and body["user"]["email"] == "ann@example.com"
    assert body["user"]["email_verified"] is True
    user = db.session.get(User, body["user"]["id"])
    assert user.password_hash is None
    assert [(i.provider.value, i.subject) for i in _identities(user.id)] == [("google", "g-1")]

    second = client.post("/api/oauth/google", json={"id_token": _google(providers)})
    assert second.status_code == 200
    assert second.get_json()["user"]["id"] == user.id
    me = client.get("/api/users/me", headers={"Authorization": f"Bearer {second.get_json()['access_token']}"})
    assert me.status_code == 200 and me.get_json()["id"] == user.id
    # no password: the password login cannot open it
    assert (
        client.post("/api/login", json={"email": "ann@example.com", "password": "anything at all"}).status_code == 401
    )


def test_apple_says_email_verified_as_a_string(client, providers):
    token = providers.sign(
        "apple", providers.claims("apple", "a-1", "bob@privaterelay.appleid.com", email_verified="true")
    )
    response = client.post("/api/oauth/apple", json={"id_token": token})
    assert response.status_code == 201
    assert response.get_json()["user"]["email_verified"] is True


def test_an_unverified_provider_email_makes_an_unverified_account(client, providers):
    token = providers.sign("google", providers.claims("google", "g-2", "cat@example.com", email_verified=False))
    response = client.post("/api/oauth/google", json={"id_token": token})
    assert response.status_code == 201
    assert response.get_json()["user"]["email_verified"] is False


def test_a_second_audience_in_the_list_is_accepted(client, providers):
    token = _google(providers, aud="other-client")
    assert client.post("/api/oauth/google", json={"id_token": token}).status_code == 201


def test_a_token_without_an_email_cannot_create_an_account(client, providers):
    token = providers.sign("google", providers.claims("google", "g-3"))
    response = client.post("/api/oauth/google", json={"id_token": token})
    assert response.status_code == 422
    assert "id_token" in response.get_json()["errors"]["json"]


def test_unknown_provider_is_404_and_unconfigured_is_501(app, client):
    assert client.post("/api/oauth/myspace", json={"id_token": "x"}).status_code == 404
    assert app.config["GOOGLE_CLIENT_IDS"] == ""
    response = client.post("/api/oauth/google", json={"id_token": "x"})
    assert response.status_code == 501
    assert "not configured" in response.get_json()["message"]
    assert client.post("/api/oauth/facebook", json={"access_token": "x"}).status_code == 501


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "id_token"),
        ({"id_token": "a", "access_token": "b"}, "id_token"),
        ({"id_token": ""}, "id_token"),
        ({"id_token": "a", "role": "Owner"}, "role"),
    ],
)
def test_sign_in_validates_its_body(client, providers, body, field):
    response = client.post("/api/oauth/google", json=body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]


def test_an_access_token_is_only_for_facebook(client, providers):
    response = client.post("/api/oauth/google", json={"access_token": "abc"})
    assert response.status_code == 422
    assert "access_token" in response.get_json()["errors"]["json"]


# ---- every attack is a 401


def _attacks(providers) -> dict[str, str]:
    good = providers.claims("google", "victim", "victim@example.com", email_verified=True)
    kid = next(iter(providers.keys["google"]))
    return {
        "wrong audience": providers.sign("google", {**good, "aud": "someone-elses-app"}),
        "wrong issuer": providers.sign("google", {**good, "iss": "https://evil.example.com"}),
        "expired": providers.sign("google", {**good, "iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600}),
        "issued in the future": providers.sign("google", {**good, "iat": int(time.time()) + 3600}),
        "foreign key": providers.sign("google", good, kid=kid, key=new_rsa_key()),
        "another provider's key": providers.sign("google", good, kid=kid, key=providers.keys["apple"]["apple-key-1"]),
        "alg none": unsigned_token({"alg": "none", "typ": "JWT", "kid": kid}, good),
        "HS256 with the public key": hs256_forgery(good, kid, public_pem(providers.keys["google"][kid])),
        "missing kid": unsigned_token({"alg": "RS256", "typ": "JWT"}, good, b"x" * 256),
        "unknown kid": providers.sign("google", good, kid="no-such-key"),
        "missing exp": providers.sign("google", {**good, "exp": None}),
        "missing iat": providers.sign("google", {**good, "iat": None}),
        "missing sub": providers.sign("google", {**good, "sub": None}),
        "missing aud": providers.sign("google", {**good, "aud": None}),
        "garbage": "not.a.token",
        "tampered payload": _tamper(providers.sign("google", good)),
    }


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    return ".".join([header, payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1], signature])


ATTACKS = [
    "wrong audience",
    "wrong issuer",
    "expired",
    "issued in the future",
    "foreign key",
    "another provider's key",
    "alg none",
    "HS256 with the public key",
    "missing kid",
    "unknown kid",
    "missing exp",
    "missing iat",
    "missing sub",
    "missing aud",
    "garbage",
    "tampered payload",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_a_forged_or_unfit_token_is_401_and_creates_nothing(client, providers, attack):
    before = _user_count()
    response = client.post("/api/oauth/google", json={"id_token": _attacks(providers)[attack]})
    assert response.status_code == 401, (attack, response.get_json())
    assert response.get_json()["code"] == 401
    assert _user_count() == before and _identities() == []


def test_a_small_clock_skew_is_tolerated(client, providers):
    token = _google(providers, iat=int(time.time()) + 30)
    assert client.post("/api/oauth/google", json={"id_token": token}).status_code == 201


def test_a_flood_of_unknown_kids_fetches_the_key_set_at_most_twice(providers):
    # Straight to the verifier: through the endpoint the per-address limit would stop the flood first.
    for n in range(50):
        token = providers.sign("google", providers.claims("google", "x", "x@example.com"), kid=f"random-{n}")
        with pytest.raises(oauth.OAuthError):
            oauth.verify_id_token("google", token)
    assert providers.fetches["/google/jwks"] <= 2  # the first fetch and at most one refetch per cooldown


def test_a_rotated_key_is_fetched_after_the_cooldown(app, client, providers):
    app.config["OAUTH_JWKS_COOLDOWN"] = 0
    try:
        assert client.post("/api/oauth/google", json={"id_token": _google(providers)}).status_code == 201
        providers.keys["google"]["google-key-2"] = new_rsa_key()
        claims = providers.claims("google", "g-1", "ann@example.com", email_verified=True)
        token = providers.sign("google", claims, kid="google-key-2")
        assert client.post("/api/oauth/google", json={"id_token": token}).status_code == 200
        assert providers.fetches["/google/jwks"] == 2
    finally:
        app.config["OAUTH_JWKS_COOLDOWN"] = 60
        app.extensions.pop("oauth_key_sets", None)


# ---- nonces


def test_a_nonce_is_issued_and_usable_once(client, providers):
    nonce = client.get("/api/oauth/nonce").get_json()["nonce"]
    token = _google(providers, nonce=nonce)
    assert client.post("/api/oauth/google", json={"id_token": token, "nonce": nonce}).status_code == 201
    replay = _google(providers, nonce=nonce)
    response = client.post("/api/oauth/google", json={"id_token": replay, "nonce": nonce})
    assert response.status_code == 401
    assert "nonce" in response.get_json()["message"]


def test_apples_hashed_nonce_matches_the_issued_one(client, providers):
    nonce = client.get("/api/oauth/nonce").get_json()["nonce"]
    hashed = hashlib.sha256(nonce.encode()).hexdigest()
    claims = providers.claims("apple", "a-9", "dee@example.com", email_verified="true", nonce=hashed)
    response = client.post("/api/oauth/apple", json={"id_token": providers.sign("apple", claims), "nonce": nonce})
    assert response.status_code == 201


@pytest.mark.parametrize("case", ["never issued", "token bound to another", "token bound but none sent"])
def test_nonce_mismatches_are_401(client, providers, case):
    issued = client.get("/api/oauth/nonce").get_json()["nonce"]
    if case == "never issued":
        body = {"id_token": _google(providers, nonce="made-up"), "nonce": "made-up"}
    elif case == "token bound to another":
        body = {"id_token": _google(providers, nonce="something-else"), "nonce": issued}
    else:
        body = {"id_token": _google(providers, nonce=issued)}
    assert client.post("/api/oauth/google", json=body).status_code == 401


def test_the_nonce_endpoint_is_rate_limited(app, client):
    app.config["RATELIMIT_OAUTH_NONCE_PER_IP"] = "2 per minute"
    try:
        statuses = [client.get("/api/oauth/nonce").status_code for _ in range(3)]
    finally:
        app.config["RATELIMIT_OAUTH_NONCE_PER_IP"] = "30 per minute"
    assert statuses == [200, 200, 429]


# ---- linking by email, and account pre-hijacking


def test_a_verified_identity_joins_a_verified_account_with_the_same_email(client, providers, make_user):
    owner_of_address = make_user(email="ann@example.com")
    _verified(owner_of_address)
    response = client.post("/api/oauth/google", json={"id_token": _google(providers)})
    assert response.status_code == 200
    assert response.get_json()["user"]["id"] == owner_of_address.id
    assert [i.subject for i in _identities(owner_of_address.id)] == ["g-1"]


def test_pre_hijacking_an_unverified_password_account_does_not_capture_the_victims_google(client, providers, make_user):
    attacker_account = make_user(email="ann@example.com")  # registered with the victim's address, never verified
    before = _user_count()
    response = client.post("/api/oauth/google", json={"id_token": _google(providers)})
    assert response.status_code == 409
    assert "link" in response.get_json()["message"]
    assert _identities() == [] and _user_count() == before
    db.session.refresh(attacker_account)
    assert attacker_account.email_verified is False


def test_a_second_google_account_with_the_same_email_does_not_join(client, providers, make_user):
    user = make_user(email="ann@example.com")
    _verified(user)
    assert client.post("/api/oauth/google", json={"id_token": _google(providers)}).status_code == 200
    other = client.post("/api/oauth/google", json={"id_token": _google(providers, sub="g-other")})
    assert other.status_code == 409
    assert [i.subject for i in _identities()] == ["g-1"]


def test_an_unverified_provider_email_does_not_join_a_verified_account(client, providers, make_user):
    _verified(make_user(email="ann@example.com"))
    token = providers.sign("google", providers.claims("google", "g-1", "ann@example.com", email_verified=False))
    assert client.post("/api/oauth/google", json={"id_token": token}).status_code == 409
    assert _identities() == []


def test_facebook_is_never_linked_by_email(client, providers, make_user):
    _verified(make_user(email="ann@example.com"))
    claims = providers.claims("facebook", "fb-1", "ann@example.com", email_verified=True)
    response = client.post("/api/oauth/facebook", json={"id_token": providers.sign("facebook", claims)})
    assert response.status_code == 409
    assert _identities() == []


# ---- Facebook


def test_facebook_limited_login_creates_an_unverified_account(client, providers):
    token = providers.sign("facebook", providers.claims("facebook", "fb-2", "eve@example.com"))
    response = client.post("/api/oauth/facebook", json={"id_token": token})
    assert response.status_code == 201
    assert response.get_json()["user"]["email_verified"] is False


def test_a_facebook_access_token_is_checked_with_debug_token(client, providers):
    token = providers.facebook_token("fb-access-1", "fb-3", "fay@example.com")
    first = client.post("/api/oauth/facebook", json={"access_token": token})
    assert first.status_code == 201
    assert first.get_json()["user"]["email"] == "fay@example.com"
    assert first.get_json()["user"]["email_verified"] is False
    again = client.post("/api/oauth/facebook", json={"access_token": token})
    assert again.status_code == 200 and again.get_json()["user"]["id"] == first.get_json()["user"]["id"]
    assert providers.fetches["/graph/debug_token"] == 2


@pytest.mark.parametrize(
    "data",
    [
        {"is_valid": False},
        {"app_id": "another-app"},
        {"expires_at": int(time.time()) - 10},
        {"expires_at": 0},
        {"user_id": "someone-else"},
    ],
)
def test_a_bad_facebook_access_token_is_401(client, providers, data):
    token = providers.facebook_token("fb-access-2", "fb-4", "gil@example.com", **data)
    response = client.post("/api/oauth/facebook", json={"access_token": token})
    assert response.status_code == 401
    assert _identities() == []


def test_an_unknown_facebook_access_token_is_401(client, providers):
    assert client.post("/api/oauth/facebook", json={"access_token": "never-issued"}).status_code == 401


# ---- explicit linking and unlinking


def test_link_after_password_sign_in_then_sign_in_with_the_provider(client, providers, make_user, login):
    user = make_user(email="ann@example.com")  # unverified: the provider cannot join by email, but may be linked
    headers = login(user)
    linked = client.post(
        "/api/users/me/identities", json={"provider": "google", "id_token": _google(providers)}, headers=headers
    )
    assert linked.status_code == 201
    assert linked.get_json()["provider"] == "google" and linked.get_json()["email"] == "ann@example.com"
    listed = client.get("/api/users/me/identities", headers=headers)
    assert [i["provider"] for i in listed.get_json()] == ["google"]
    signed_in = client.post("/api/oauth/google", json={"id_token": _google(providers)})
    assert signed_in.status_code == 200 and signed_in.get_json()["user"]["id"] == user.id


def test_linking_conflicts(client, providers, make_user, login):
    holder, other = make_user(), make_user()
    client.post(
        "/api/users/me/identities", json={"provider": "google", "id_token": _google(providers)}, headers=login(holder)
    )
    # the same identity for another user
    taken = client.post(
        "/api/users/me/identities", json={"provider": "google", "id_token": _google(providers)}, headers=login(other)
    )
    assert taken.status_code == 409
    # a second Google identity for the same user
    second = client.post(
        "/api/users/me/identities",
        json={"provider": "google", "id_token": _google(providers, sub="g-other")},
        headers=login(holder),
    )
    assert second.status_code == 409
    assert [(i.user_id, i.subject) for i in _identities()] == [(holder.id, "g-1")]


def test_linking_needs_a_login_and_a_valid_token(client, providers, make_user, login):
    body = {"provider": "google", "id_token": _google(providers)}
    assert client.post("/api/users/me/identities", json=body).status_code == 401
    headers = login(make_user())
    forged = {"provider": "google", "id_token": _google(providers, aud="someone-else")}
    assert client.post("/api/users/me/identities", json=forged, headers=headers).status_code == 401
    bad = client.post("/api/users/me/identities", json={"provider": "myspace", "id_token": "x"}, headers=headers)
    assert bad.status_code == 422 and "provider" in bad.get_json()["errors"]["json"]
    assert _identities() == []


def test_unlinking(client, providers, make_user, login):
    user = make_user()
    headers = login(user)
    client.post(
        "/api/users/me/identities", json={"provider": "google", "id_token": _google(providers)}, headers=headers
    )
    assert client.delete("/api/users/me/identities/google", headers=headers).status_code == 204
    assert _identities(user.id) == []
    assert client.delete("/api/users/me/identities/google", headers=headers).status_code == 404
    assert client.delete("/api/users/me/identities/myspace", headers=headers).status_code == 404
    assert client.delete("/api/users/me/identities/google").status_code == 401


def test_unlinking_the_last_way_to_sign_in_is_409(client, providers):
    created = client.post("/api/oauth/google", json={"id_token": _google(providers)}).get_json()
    headers = {"Authorization": f"Bearer {created['access_token']}"}
    assert client.delete("/api/users/me/identities/google", headers=headers).status_code == 409
    apple = providers.sign("apple", providers.claims("apple", "a-1", "ann@example.com", email_verified="true"))
    linked = client.post("/api/users/me/identities", json={"provider": "apple", "id_token": apple}, headers=headers)
    assert linked.status_code == 201
    assert client.delete("/api/users/me/identities/google", headers=headers).status_code == 204
    assert client.delete("/api/users/me/identities/apple", headers=headers).status_code == 409
    assert [i.provider.value for i in _identities(created["user"]["id"])] == ["apple"]


@pytest.mark.parametrize(
    ("provider", "provider_verified", "account_verified", "joins"),
    [
        ("google", True, True, True),
        ("apple", True, True, True),
        ("google", True, False, False),
        ("google", False, True, False),
        ("facebook", True, True, False),
    ],
)
def test_the_link_by_email_rule(provider, provider_verified, account_verified, joins):
    account = User(email="a@example.com", username="a", email_verified=account_verified)
    assert policy.may_link_by_email(provider, provider_verified, account) is joins


def test_the_last_way_to_sign_in_rule():
    assert policy.may_unlink(has_password=True, other_identities=0)
    assert policy.may_unlink(has_password=False, other_identities=1)
    assert not policy.may_unlink(has_password=False, other_identities=0)
