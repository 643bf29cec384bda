"""Authentication: bearer tokens verified once per process, the login checked per request, the current user.

flask-jwt-extended issues the tokens and owns their configuration; this module is the one place a request's
token is read. A token string that verified once (signature, algorithm, claims) is remembered per process
until it expires, so a repeat request pays a dictionary lookup instead of a signature check; its expiry is
still checked every time, and so is whether its login was revoked (`login_revoked`: Redis tells each process
of every revocation, so that costs no round trip).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from functools import wraps
from threading import Lock
from typing import Any

from flask import Flask, current_app, g, jsonify, request
from flask.sessions import SessionInterface
from flask_jwt_extended import decode_token
from flask_jwt_extended.exceptions import JWTExtendedException
from jwt import ExpiredSignatureError, InvalidTokenError

from app.core.errors import Forbidden, Unauthorized, error_body
from app.core.revocation import login_revoked
from app.extensions import jwt

MESSAGES = {
    "missing": "Missing or malformed Authorization header.",
    "invalid": "The token is invalid.",
    "expired": "The token has expired.",
    "revoked": "The token has been revoked.",
    "gone": "The token's user no longer exists.",
}
VERIFIED_TOKENS_KEPT = 4096
USER_LOADER = "user_loader"
VIEWER_LOADER = "viewer_loader"


def unauthorized(reason: str) -> Unauthorized:
    """The 401 of one of the `MESSAGES`, with the `WWW-Authenticate` challenge."""
    return Unauthorized(MESSAGES[reason], headers={"WWW-Authenticate": "Bearer"})


def register_jwt_loaders(app: Flask) -> None:
    """Should a flask-jwt-extended error ever escape (tokens are verified here), it answers in the API's shape."""

    def respond(reason: str):
        response = jsonify(error_body(401, MESSAGES[reason]))
        response.status_code = 401
        response.headers["WWW-Authenticate"] = "Bearer"
        return response

    jwt.unauthorized_loader(lambda _reason: respond("missing"))
    jwt.invalid_token_loader(lambda _reason: respond("invalid"))
    jwt.expired_token_loader(lambda _header, _payload: respond("expired"))
    jwt.revoked_token_loader(lambda _header, _payload: respond("revoked"))
    jwt.user_lookup_error_loader(lambda _header, _payload: respond("gone"))


class NoCookieSessions(SessionInterface):
    """Every API request carries a bearer token: there is no cookie session to verify or sign per request.

    (Flask's default would check a signed cookie on every request and every Socket.IO event; Socket.IO keeps
    its per-socket session itself.)
    """

    def open_session(self, app: Flask, request: Any) -> Any:
        return self.make_null_session(app)

    def save_session(self, app: Flask, session: Any, response: Any) -> None:
        return None


class _VerifiedTokens:
    """Claims of tokens whose signature verified, per (signing key, token), least recently used dropped."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._claims: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
        self._lock = Lock()

    def get(self, key: tuple[str, str]) -> dict[str, Any] | None:
        with self._lock:
            claims = self._claims.get(key)
            if claims is not None:
                self._claims.move_to_end(key)
            return claims

    def put(self, key: tuple[str, str], claims: dict[str, Any]) -> None:
        with self._lock:
            self._claims[key] = claims
            if len(self._claims) > self._size:
                self._claims.popitem(last=False)


_verified = _VerifiedTokens(VERIFIED_TOKENS_KEPT)


def verify_token(encoded: str, *, refresh: bool = False) -> dict[str, Any]:
    """Return the claims of a valid access (or refresh) token; raise the matching 401 otherwise."""
    config = current_app.config
    key = (str(config["JWT_SECRET_KEY"]), encoded)
    claims = _verified.get(key)
    if claims is None:
        try:
            claims = decode_token(encoded)
        except ExpiredSignatureError as error:
            raise unauthorized("expired") from error
        except (InvalidTokenError, JWTExtendedException) as error:  # bad signature, alg "none", malformed
            raise unauthorized("invalid") from error
        _verified.put(key, claims)
    elif claims["exp"] + config.get("JWT_DECODE_LEEWAY", 0) <= time.time():
        raise unauthorized("expired")
    if claims.get("type") != ("refresh" if refresh else "access"):
        raise unauthorized("invalid")
    return claims


def _bearer_token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme != "Bearer" or not token.strip():
        raise unauthorized("missing")
    return token.strip()


def current_claims() -> dict[str, Any] | None:
    """The verified claims of this request's token, or None outside an authenticated request."""
    return g.get("jwt_claims")


def current_identity() -> str | None:
    """The user id (`sub`) this request's token names, or None."""
    claims = current_claims()
    return claims["sub"] if claims else None


def register_user_loader(app: Flask, loader: Callable[[str | None], Any]) -> None:
    """Register how a token's identity (`sub`) becomes its user row, or None (the accounts domain's, in the
    factory; like flask-jwt-extended's `user_lookup_loader`)."""
    app.extensions[USER_LOADER] = loader


def register_viewer_loader(app: Flask, loader: Callable[[str | None], Any]) -> None:
    """Register how a token's identity becomes a viewer (the user's id, role and time zone), or None (accounts')."""
    app.extensions[VIEWER_LOADER] = loader


def load_user(identity: str | None) -> Any:
    """The user a token's identity names, through the registered loader (None: no such user)."""
    return current_app.extensions[USER_LOADER](identity)


def current_user() -> Any:
    """Return the authenticated user of this request, loaded on first use (401 if they no longer exist)."""
    identity = current_identity()
    user = _loaded_user(identity)
    if user is None:
        user = load_user(identity)
        if user is None:
            raise unauthorized("gone")
        g.current_user = (identity, user)
    return user


def current_viewer() -> Any:
    """The authenticated user's id, role and time zone, for reads that need no more (401 if they no longer exist).

    One primary-key read, without an ORM object or a session (the loaded user when this request already has
    it): the polled lists' actor.
    """
    identity = current_identity()
    viewer = _loaded_user(identity) or current_app.extensions[VIEWER_LOADER](identity)
    if viewer is None:
        raise unauthorized("gone")
    return viewer


def _loaded_user(identity: str | None) -> Any:
    """The user this request has already loaded for this identity, or None."""
    cached = g.get("current_user")
    return cached[1] if cached is not None and cached[0] == identity else None


def authenticate(*, refresh: bool = False) -> dict[str, Any]:
    """Verify this request's bearer token, remember its claims and check that its login was not revoked."""
    claims = verify_token(_bearer_token(), refresh=refresh)
    if login_revoked(claims):
        raise unauthorized("revoked")
    g.jwt_claims = claims
    return claims


def auth_required(*roles: str, refresh: bool = False) -> Callable:
    """Require a valid access token (or refresh token) and, if given, one of `roles` (else 403)."""
    allowed = _role_values(roles)

    def decorator(fn: Callable) -> Callable:
        @wraps(fn)
        def wrapper(*args: Any, **kwargs: Any):
            authenticate(refresh=refresh)
            if allowed and current_user().role.value not in allowed:
                raise Forbidden("Your role does not allow this action.")
            return fn(*args, **kwargs)

        return wrapper

    return decorator


def _role_values(roles: Iterable[Any]) -> frozenset[str]:
    return frozenset(getattr(role, "value", role) for role in roles)
