"""Sign-in with Google, Apple and Facebook: identities found, linked or created without account takeover.

An identity is a provider's subject bound to one user. A first sign-in with a provider is linked to an existing
account with the same email only when both sides vouch for the address: the provider says it is verified and
the account's own email is verified. Otherwise it is a 409 and the user links it after signing in with the
password, which closes account pre-hijacking (an attacker who registered the victim's address with a password
never ends up sharing an account with the victim's provider identity). Facebook is never linked by email.
"""

from __future__ import annotations

import re
import secrets

import sqlalchemy as sa
from sqlalchemy import select

from app.accounts import policy, services
from app.accounts.models import Identity, OAuthProvider, User
from app.core import oauth
from app.core.columns import utcnow
from app.core.errors import Conflict, Invalid, NotFound
from app.extensions import db

USERNAME_JUNK = re.compile(r"[^A-Za-z0-9_.-]+")


def provider_named(name: str) -> OAuthProvider:
    """Return the provider a path names, or NotFound."""
    try:
        return OAuthProvider(name)
    except ValueError:
        raise NotFound("No such sign-in provider.") from None


def verify(provider: OAuthProvider, *, id_token: str | None, access_token: str | None, nonce: str | None):
    """Verify what the client sent for a provider and spend its nonce; every failure is a 401."""
    if access_token is not None:
        if provider != OAuthProvider.FACEBOOK:
            raise Invalid("Only Facebook signs in with an access token; send an id_token.", field="access_token")
        claims = oauth.verify_facebook_access_token(access_token)
    else:
        claims = oauth.verify_id_token(provider.value, id_token or "")
    _check_nonce(claims, nonce)
    return claims


def _check_nonce(claims: oauth.ProviderIdentity, nonce: str | None) -> None:
    if nonce is None:
        if claims.nonce is not None:
            raise oauth.OAuthError("The token is bound to a nonce; send it.")
        return
    if not oauth.nonce_matches(claims.nonce, nonce):
        raise oauth.OAuthError("The token was not issued for this nonce.")
    if not oauth.consume_nonce(nonce):
        raise oauth.OAuthError("The nonce is unknown, expired or already used.")


def find_identity(provider: OAuthProvider, subject: str) -> Identity | None:
    """Return the identity of a provider's subject, if any user has it."""
    stmt = select(Identity).where(Identity.provider == provider, Identity.subject == subject)
    return db.session.execute(stmt).scalar_one_or_none()


def sign_in(claims: oauth.ProviderIdentity) -> tuple[User, bool]:
    """Return the user a verified identity signs in, and whether the account was created just now."""
    provider = OAuthProvider(claims.provider)
    identity = find_identity(provider, claims.subject)
    if identity is not None:
        identity.last_used_at = utcnow()
        return services.get_user(identity.user_id), False
    if not claims.email:
        raise Invalid("The provider shared no email address; sign up with your email instead.", field="id_token")
    existing = services.find_user_by_email(claims.email)
    if existing is not None:
        if (
            not policy.may_link_by_email(claims.provider, claims.email_verified, existing)
            or _identity_of(existing, provider) is not None
        ):
            raise Conflict(
                f"An account with this email already exists. Sign in with your password, then link "
                f"{provider.value.capitalize()} from your account (POST /api/users/me/identities)."
            )
        _add_identity(existing, claims)
        return existing, False
    user = services.create_user(claims.email, unique_username(claims), None, email_verified=claims.email_verified)
    if not user.email_verified:
        services.send_email_verification(user)
    _add_identity(user, claims)
    return user, True


def unique_username(claims: oauth.ProviderIdentity) -> str:
    """Make a free username from the provider's name or the email's local part."""
    source = claims.name or (claims.email or "").split("@")[0]
    base = USERNAME_JUNK.sub("", source.replace(" ", "."))[:30].strip(".") or "athlete"
    base = base if len(base) >= 3 else f"{base}.fit"
    candidate = base
    while _username_taken(candidate):
        candidate = f"{base}{secrets.randbelow(1_000_000):06d}"
    return candidate


def _username_taken(username: str) -> bool:
    stmt = select(User.id).where(sa.func.lower(User.username) == username.lower())
    return db.session.execute(stmt).first() is not None


def _add_identity(user: User, claims: oauth.ProviderIdentity) -> Identity:
    identity = Identity(
        user_id=user.id,
        provider=OAuthProvider(claims.provider),
        subject=claims.subject,
        email=claims.email,
        last_used_at=utcnow(),
    )
    db.session.add(identity)
    db.session.flush()
    return identity


def list_identities(user: User) -> sa.Select:
    """Select the user's identities, oldest first."""
    return select(Identity).where(Identity.user_id == user.id).order_by(Identity.created_at, Identity.id)


def link(user: User, claims: oauth.ProviderIdentity) -> Identity:
    """Link a verified identity to a signed-in user (one per provider; never one another user holds)."""
    provider = OAuthProvider(claims.provider)
    taken = find_identity(provider, claims.subject)
    if taken is not None:
        if taken.user_id == user.id:
            raise Conflict("This identity is already linked to your account.")
        raise Conflict("This identity is linked to another account.")
    if _identity_of(user, provider) is not None:
        raise Conflict(f"You already have a {provider.value.capitalize()} identity linked; unlink it first.")
    return _add_identity(user, claims)


def unlink(user: User, provider: OAuthProvider) -> None:
    """Remove one of the user's identities, unless it is their last way to sign in."""
    identity = _identity_of(user, provider)
    if identity is None:
        raise NotFound("You have no identity with that provider.")
    others = db.session.scalar(
        select(sa.func.count()).select_from(Identity).where(Identity.user_id == user.id, Identity.id != identity.id)
    )
    if not policy.may_unlink(user.password_hash is not None, others or 0):
        raise Conflict("This is your last way to sign in; set a password or link another provider first.")
    db.session.delete(identity)
    db.session.flush()


def _identity_of(user: User, provider: OAuthProvider) -> Identity | None:
    stmt = select(Identity).where(Identity.user_id == user.id, Identity.provider == provider)
    return db.session.execute(stmt).scalar_one_or_none()
