"""Authentication glue: JWT loaders in the API's error shape, the current user, role checks."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import TYPE_CHECKING, Any

from flask import Flask, g
from flask_jwt_extended import get_jwt_identity, verify_jwt_in_request

from app.core.errors import Forbidden, Unauthorized, error_body
from app.extensions import jwt

if TYPE_CHECKING:
    from app.accounts.models import User


def _unauthorized(message: str):
    from flask import jsonify

    response = jsonify(error_body(401, message))
    response.status_code = 401
    response.headers["WWW-Authenticate"] = "Bearer"
    return response


def register_jwt_loaders(app: Flask) -> None:
    """Make JWT failures speak the API's error shape and check revocation against login sessions."""
    from app.accounts import services as accounts_services

    jwt.unauthorized_loader(lambda reason: _unauthorized("Missing or malformed Authorization header."))
    jwt.invalid_token_loader(lambda reason: _unauthorized("The token is invalid."))
    jwt.expired_token_loader(lambda header, payload: _unauthorized("The token has expired."))
    jwt.revoked_token_loader(lambda header, payload: _unauthorized("The token has been revoked."))
    jwt.user_lookup_error_loader(lambda header, payload: _unauthorized("The token's user no longer exists."))
    jwt.needs_fresh_token_loader(lambda header, payload: _unauthorized("A fresh login is needed."))

    @jwt.token_in_blocklist_loader
    def _is_revoked(header: dict, payload: dict) -> bool:
        return accounts_services.is_login_revoked(payload)


def current_user() -> User:
    """Return the authenticated user of this request, loaded on first use (401 if they no longer exist)."""
    from app.accounts import services as accounts_services

    identity = get_jwt_identity()
    cached = g.get("current_user")
    if cached is not None and cached[0] == identity:
        return cached[1]
    user = accounts_services.user_for_identity(identity)
    if user is None:
        raise Unauthorized("The token's user no longer exists.", headers={"WWW-Authenticate": "Bearer"})
    g.current_user = (identity, user)
    return user


def auth_required(*roles: str, refresh: bool = False) -> Callable:
    """Require a valid access token (or refresh token) and, if given, one of `roles` (else 403)."""
    allowed = _role_values(roles)

    def decorator(fn: Callable) -> Callable:
        @wraps(fn)
        def wrapper(*args: Any, **kwargs: Any):
            verify_jwt_in_request(refresh=refresh)
            if allowed and current_user().role.value not in allowed:
                raise Forbidden("Your role does not allow this action.")
            return fn(*args, **kwargs)

        return wrapper

    return decorator


def _role_values(roles: Iterable[Any]) -> frozenset[str]:
    return frozenset(getattr(role, "value", role) for role in roles)
