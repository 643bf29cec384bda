"""Verifying what Google, Apple and Facebook say about a user: ID tokens against JWKS, Facebook access tokens.

Only RS256 is accepted, and `exp`, `iat`, `iss`, `aud` and `sub` are required, with a small leeway. Key sets
are fetched with PyJWT's `PyJWKClient` from the URL in configuration and kept for `OAUTH_JWKS_LIFETIME`;
a token naming a key the set lacks triggers one refetch at most per `OAUTH_JWKS_COOLDOWN` (the client's own
`cooldown_duration`), so a flood of made-up `kid`s costs the provider no more than one request per cooldown.
Every failure is an `OAuthError` (a 401); a provider with no client ids configured is `NotConfigured` (a 501).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any

import jwt
import requests
from flask import current_app

from app.core.errors import NotConfigured, Unauthorized
from app.core.redis import redis_client
from app.core.security import new_token, token_digest
from app.extensions import cache

PROVIDERS = ("google", "apple", "facebook")
ALGORITHMS = ["RS256"]
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]


class OAuthError(Unauthorized):
    """The provider's token did not verify."""


@dataclass(frozen=True)
class ProviderIdentity:
    """What a verified token says: who the user is at the provider, their email and whether it is verified."""

    provider: str
    subject: str
    email: str | None
    email_verified: bool
    name: str | None = None
    nonce: str | None = None


@dataclass(frozen=True)
class IdTokenSettings:
    """Where a provider's keys live and what its tokens must say."""

    jwks_url: str
    audiences: tuple[str, ...]
    issuers: tuple[str, ...]


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def id_token_settings(provider: str, config: dict) -> IdTokenSettings:
    """Read a provider's ID-token settings from configuration (NotConfigured without client ids)."""
    if provider == "google":
        settings = IdTokenSettings(
            config["GOOGLE_JWKS_URL"], _split(config["GOOGLE_CLIENT_IDS"]), _split(config["GOOGLE_ISSUERS"])
        )
    elif provider == "apple":
        settings = IdTokenSettings(
            config["APPLE_JWKS_URL"], _split(config["APPLE_CLIENT_IDS"]), _split(config["APPLE_ISSUER"])
        )
    elif provider == "facebook":
        settings = IdTokenSettings(
            config["FACEBOOK_JWKS_URL"], _split(config["FACEBOOK_APP_ID"]), _split(config["FACEBOOK_ISSUER"])
        )
    else:
        raise ValueError(provider)
    if not settings.audiences:
        raise NotConfigured(f"Sign-in with {provider.capitalize()} is not configured on this server.")
    return settings


def key_set(url: str) -> jwt.PyJWKClient:
    """Return this process's key client for a JWKS URL (one per URL, kept for the app's life)."""
    clients: dict[str, jwt.PyJWKClient] = current_app.extensions.setdefault("oauth_key_sets", {})
    found = clients.get(url)
    if found is None:
        cfg = current_app.config
        found = clients[url] = jwt.PyJWKClient(
            url,
            cache_jwk_set=True,
            lifespan=cfg["OAUTH_JWKS_LIFETIME"],
            cooldown_duration=cfg["OAUTH_JWKS_COOLDOWN"],
            timeout=cfg["OAUTH_HTTP_TIMEOUT"],
        )
    return found


def signing_key(url: str, kid: str) -> jwt.PyJWK:
    """Return the provider's key with this id: from the cached set, else one refetch per cooldown."""
    try:
        return key_set(url).get_signing_key(kid)
    except (jwt.PyJWKClientError, OSError) as error:
        raise OAuthError("The token was signed with an unknown key.") from error


def verify_id_token(provider: str, token: str) -> ProviderIdentity:
    """Verify a provider's ID token (signature, algorithm, issuer, audience, expiry) and read who it names."""
    settings = id_token_settings(provider, current_app.config)
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as error:
        raise OAuthError("The token is malformed.") from error
    if header.get("alg") not in ALGORITHMS:
        raise OAuthError("The token's algorithm is not accepted.")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise OAuthError("The token names no signing key.")
    key = signing_key(settings.jwks_url, kid)
    try:
        claims = jwt.decode(
            token,
            key.key,
            algorithms=ALGORITHMS,
            audience=list(settings.audiences),
            issuer=list(settings.issuers),
            leeway=current_app.config["OAUTH_LEEWAY"],
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.InvalidTokenError as error:
        raise OAuthError(f"The token did not verify: {error}.") from error
    return _identity_from_claims(provider, claims)


def _identity_from_claims(provider: str, claims: dict[str, Any]) -> ProviderIdentity:
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise OAuthError("The token's subject is malformed.")
    email = claims.get("email") if isinstance(claims.get("email"), str) else None
    # Apple sends `email_verified` as the string "true"; Facebook asserts nothing about it.
    verified = provider != "facebook" and claims.get("email_verified") in (True, "true")
    nonce = claims.get("nonce") if isinstance(claims.get("nonce"), str) else None
    name = claims.get("name") if isinstance(claims.get("name"), str) else None
    return ProviderIdentity(provider, subject, email.lower() if email else None, bool(email and verified), name, nonce)


def nonce_matches(token_nonce: str | None, issued: str) -> bool:
    """Tell whether a token carries the issued nonce, as sent or as its SHA-256 hex (Apple's native flow)."""
    if token_nonce is None:
        return False
    hashed = hashlib.sha256(issued.encode()).hexdigest()
    return hmac.compare_digest(token_nonce, issued) or hmac.compare_digest(token_nonce, hashed)


NONCE_KEY = "oauth-nonce:{}"


def issue_nonce() -> str:
    """Issue a nonce for a client's next sign-in, stored (by digest) in Redis until it is used or expires."""
    nonce = new_token(24)
    key, ttl = NONCE_KEY.format(token_digest(nonce)), current_app.config["OAUTH_NONCE_TTL"]
    client = redis_client()
    if client is not None:
        client.set(key, 1, ex=ttl)
    else:  # the embedded mode: one web process, its cache is enough
        cache.set(key, 1, timeout=ttl)
    return nonce


def consume_nonce(nonce: str) -> bool:
    """Spend an issued nonce: True the first time, False when it is unknown, used or expired."""
    key = NONCE_KEY.format(token_digest(nonce))
    client = redis_client()
    if client is not None:
        return client.delete(key) == 1
    return cache.get(key) is not None and bool(cache.delete(key))


def verify_facebook_access_token(access_token: str) -> ProviderIdentity:
    """Check a Facebook access token with the Graph API's `debug_token` and read the user's id and email."""
    cfg = current_app.config
    if not cfg["FACEBOOK_APP_ID"] or not cfg["FACEBOOK_APP_SECRET"]:
        raise NotConfigured("Sign-in with Facebook is not configured on this server.")
    graph = cfg["FACEBOOK_GRAPH_URL"].rstrip("/")
    app_token = f"{cfg['FACEBOOK_APP_ID']}|{cfg['FACEBOOK_APP_SECRET']}"
    data = _graph_get(f"{graph}/debug_token", {"input_token": access_token, "access_token": app_token}).get("data")
    if not isinstance(data, dict) or data.get("is_valid") is not True:
        raise OAuthError("Facebook says the token is not valid.")
    if str(data.get("app_id")) != cfg["FACEBOOK_APP_ID"]:
        raise OAuthError("The token was issued to another app.")
    expires_at = data.get("expires_at")
    if not isinstance(expires_at, int) or expires_at <= time.time():
        raise OAuthError("The token has expired.")
    subject = str(data.get("user_id") or "")
    if not subject:
        raise OAuthError("The token names no user.")
    proof = hmac.new(cfg["FACEBOOK_APP_SECRET"].encode(), access_token.encode(), hashlib.sha256).hexdigest()
    me = _graph_get(f"{graph}/me", {"fields": "id,name,email", "access_token": access_token, "appsecret_proof": proof})
    if str(me.get("id")) != subject:
        raise OAuthError("The token's user does not match.")
    email = me.get("email") if isinstance(me.get("email"), str) else None
    name = me.get("name") if isinstance(me.get("name"), str) else None
    return ProviderIdentity("facebook", subject, email.lower() if email else None, False, name)


def _graph_get(url: str, params: dict[str, str]) -> dict[str, Any]:
    try:
        # bandit B113 (medium) is a misreading: the timeout is there, taken from configuration.
        response = requests.get(url, params=params, timeout=current_app.config["OAUTH_HTTP_TIMEOUT"])  # nosec B113
        body = response.json()
    except (requests.RequestException, ValueError) as error:
        raise OAuthError("Facebook could not be asked about the token.") from error
    if response.status_code != 200 or not isinstance(body, dict):
        raise OAuthError("Facebook refused the token.")
    return body
