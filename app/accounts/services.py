"""The rules of accounts: registration, login sessions and tokens, profiles, coaching."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import partial
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token
from limits import parse as parse_limit
from sqlalchemy import select

from app.accounts import policy, signals
from app.accounts.models import (
    CoachingRelationship,
    CoachingStatus,
    EmailVerificationToken,
    LoginSession,
    PasswordResetToken,
    Profile,
    Role,
    TrainerProfile,
    User,
)
from app.core import mail
from app.core.columns import escape_like, utcnow
from app.core.direct_sql import DirectStatement
from app.core.errors import Conflict, Forbidden, Invalid, NotFound, TooManyRequests, Unauthorized
from app.core.redis import redis_client
from app.core.revocation import login_created
from app.core.security import hash_password, needs_rehash, new_token, token_digest, verify_password
from app.core.unit_of_work import after_commit
from app.extensions import db, limiter

# ---- users


def get_user(user_id: int) -> User:
    """Return a user or raise NotFound."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def find_user_by_email(email: str) -> User | None:
    """Return the user with this email (case-insensitive), if any."""
    return db.session.execute(select(User).where(User.email == email.strip().lower())).scalar_one_or_none()


def _check_unique(email: str | None = None, username: str | None = None, exclude_id: int | None = None) -> None:
    if email is not None:
        clash = select(User.id).where(User.email == email.lower(), User.id != (exclude_id or 0))
        if db.session.execute(clash).first():
            raise Conflict("That email is already registered.")
    if username is not None:
        clash = select(User.id).where(sa.func.lower(User.username) == username.lower(), User.id != (exclude_id or 0))
        if db.session.execute(clash).first():
            raise Conflict("That username is taken.")


def create_user(
    email: str, username: str, password: str | None, role: Role = Role.USER, *, email_verified: bool = False
) -> User:
    """Create a user with an empty profile (and a trainer block for trainers); no password for OAuth sign-ups."""
    _check_unique(email, username)
    user = User(
        email=email.lower(),
        username=username,
        password_hash=hash_password(password) if password is not None else None,
        role=role,
        email_verified=email_verified,
    )
    user.profile = Profile(timezone="UTC")
    if role == Role.TRAINER:
        user.trainer_profile = TrainerProfile(accepting_clients=True)
    db.session.add(user)
    db.session.flush()
    return user


def register(email: str, username: str, password: str, role: Role = Role.USER) -> User:
    """Create an account and mail its address a verification link."""
    user = create_user(email, username, password, role)
    send_email_verification(user)
    return user


def update_user(actor: User, user: User, changes: dict[str, Any]) -> User:
    """Apply a validated update to a user, enforcing who may change what."""
    if not policy.can_edit_user(actor, user):
        raise Forbidden("You may only edit your own account.")
    if "role" in changes:
        if not policy.can_change_role(actor):
            raise Forbidden("Only an Owner may change roles.")
        _set_role(user, changes["role"])
    _check_unique(changes.get("email"), changes.get("username"), exclude_id=user.id)
    email_changed = "email" in changes and changes["email"] != user.email
    for field in ("email", "username"):
        if field in changes:
            setattr(user, field, changes[field])
    if email_changed:
        user.email_verified = False
        _spend_reset_tokens(user.id)  # links mailed to the old address must not vouch for the new one
        send_email_verification(user)
    for field, value in changes.get("profile", {}).items():
        setattr(user.profile, field, value)
    if changes.get("profile"):
        signals.profile_updated.send(current_app._get_current_object(), user_id=user.id, fields=set(changes["profile"]))
    if "trainer" in changes:
        if user.role != Role.TRAINER:
            raise Invalid("Only trainers have a trainer block.", field="trainer")
        for field, value in changes["trainer"].items():
            setattr(user.trainer_profile, field, value)
    db.session.flush()
    return user


def _set_role(user: User, role: Role) -> None:
    if user.role == Role.OWNER and role != Role.OWNER and _owner_count() <= 1:
        raise Conflict("The last Owner cannot give up the role.")
    user.role = role
    if role == Role.TRAINER and user.trainer_profile is None:
        user.trainer_profile = TrainerProfile(accepting_clients=True)


def _owner_count() -> int:
    return db.session.scalar(select(sa.func.count()).select_from(User).where(User.role == Role.OWNER)) or 0


def sees_full_profile(viewer: User, user: User) -> bool:
    """Self, Owners and the user's active trainer see the whole user object."""
    return viewer.id == user.id or policy.is_owner(viewer) or is_active_client(viewer.id, user.id)


def search_users(q: str | None = None, role: Role | None = None) -> sa.Select:
    """Select users matching a name/email search and a role, by id."""
    stmt = select(User).order_by(User.id)
    if q:
        pattern = f"%{escape_like(q.lower())}%"
        stmt = stmt.where(
            sa.or_(sa.func.lower(User.username).like(pattern, escape="\\"), User.email.like(pattern, escape="\\"))
        )
    if role:
        stmt = stmt.where(User.role == role)
    return stmt


def search_trainers(
    q: str | None = None, specialization: str | None = None, accepting_clients: bool | None = None
) -> sa.Select:
    """Select trainers by name, specialization and whether they take clients."""
    stmt = select(User).join(TrainerProfile).where(User.role == Role.TRAINER).order_by(User.id)
    if q:
        stmt = stmt.where(sa.func.lower(User.username).like(f"%{escape_like(q.lower())}%", escape="\\"))
    if specialization:
        pattern = f"%{escape_like(specialization.lower())}%"
        stmt = stmt.where(sa.func.lower(TrainerProfile.specialization).like(pattern, escape="\\"))
    if accepting_clients is not None:
        stmt = stmt.where(TrainerProfile.accepting_clients.is_(accepting_clients))
    return stmt


# ---- login sessions and tokens


def authenticate(email: str, password: str) -> User:
    """Return the user for these credentials or raise Unauthorized; failures are rate-limited per account."""
    account_key = email.strip().lower()
    limit = parse_limit(current_app.config["RATELIMIT_LOGIN_PER_ACCOUNT"])
    if current_app.config["RATELIMIT_ENABLED"] and not limiter.limiter.test(limit, "login-failures", account_key):
        raise _too_many(limit, "login-failures", account_key, "Too many failed logins for this account; try later.")
    user = find_user_by_email(account_key)
    if not verify_password(user.password_hash if user else None, password):
        if current_app.config["RATELIMIT_ENABLED"]:
            limiter.limiter.hit(limit, "login-failures", account_key)
        raise Unauthorized("Wrong email or password.")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def _too_many(limit: Any, namespace: str, key: str, message: str) -> TooManyRequests:
    """The 429 of a per-account limit, with `Retry-After` at the end of its window."""
    reset_at, _ = limiter.limiter.get_window_stats(limit, namespace, key)
    retry_after = max(1, int(reset_at - utcnow().timestamp()) + 1)
    return TooManyRequests(message, headers={"Retry-After": str(retry_after)})


def issue_tokens(user: User) -> dict[str, Any]:
    """Open a login session for the user and return its first access and refresh tokens."""
    session = LoginSession(
        id=uuid.uuid4().hex,
        user_id=user.id,
        refresh_jti=str(uuid.uuid4()),
        expires_at=utcnow() + current_app.config["JWT_REFRESH_TOKEN_EXPIRES"],
    )
    db.session.add(session)
    db.session.flush()
    after_commit(db.session, partial(login_created, session.id))  # this process need not read the row back
    return _token_pair(user, session)


def _token_pair(user: User, session: LoginSession) -> dict[str, Any]:
    identity = str(user.id)
    claims = {"sid": session.id}
    return {
        "access_token": create_access_token(identity, additional_claims={**claims, "role": user.role.value}),
        "refresh_token": create_refresh_token(identity, additional_claims={**claims, "jti": session.refresh_jti}),
        "token_type": "Bearer",
        "expires_in": int(current_app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds()),
        "user": user,
    }


REVOKED_KEY = "revoked-login:{}"


def revocation_key(payload: dict[str, Any]) -> str | None:
    """The Redis key that exists while a token's login is revoked; None without Redis or a login id."""
    sid = payload.get("sid")
    return REVOKED_KEY.format(sid) if sid and redis_client() is not None else None


def is_login_revoked(payload: dict[str, Any]) -> bool:
    """Tell whether a token's login was revoked (or never existed): Redis's key, then the database's row.

    Redis holds a key per revoked login for as long as its access tokens live, written when the login is
    revoked (`_mark_revoked`), just before the commit; `login_sessions` is the truth. Redis may have lost its
    keys (a restart without persistence), and a token may name a login that never existed: the row decides.
    A process asks this once per login while Redis's key tracking runs (`RevocationWatch`), which then
    reports each later revocation; every time otherwise.
    """
    sid = payload.get("sid")
    if not sid:
        return True
    key = revocation_key(payload)
    if key is not None and redis_client().exists(key):
        return True
    stmt = select(LoginSession.id).where(
        LoginSession.id == sid, LoginSession.revoked_at.is_(None), LoginSession.expires_at > utcnow()
    )
    return db.session.execute(stmt).first() is None


@dataclass(frozen=True)
class Viewer:
    """Who reads a list, when the list needs only their id, role and time zone (`core.auth.current_viewer`)."""

    id: int
    role: Role
    timezone: str


_VIEWER = DirectStatement(
    select(User.id, User.role, sa.func.coalesce(Profile.timezone, "UTC").label("timezone"))
    .outerjoin(Profile, Profile.user_id == User.id)
    .where(User.id == sa.bindparam("id", type_=sa.Integer))
)


def _user_id_of(identity: str | None) -> int | None:
    """The user id a token's identity (its `sub`) names, or None for anything that is not one."""
    return int(identity) if identity and identity.isascii() and identity.isdigit() else None


def viewer_for_identity(identity: str | None) -> Viewer | None:
    """Return the id, role and time zone of the user a token names (its `sub`), if they exist: one direct read."""
    user_id = _user_id_of(identity)
    rows = _VIEWER.rows(db.session, {"id": user_id}) if user_id is not None else []
    return Viewer(*rows[0]) if rows else None


def user_for_identity(identity: str | None) -> User | None:
    """Return the user a token names (its `sub`), if they still exist."""
    user_id = _user_id_of(identity)
    return db.session.get(User, user_id) if user_id is not None else None


def _mark_revoked(session_ids: list[str]) -> None:
    # Written before the commit: should the commit fail, the login is revoked a little early, never late.
    client = redis_client()
    if client is None or not session_ids:
        return
    ttl = int(current_app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds()) + 60
    with client.pipeline(transaction=False) as pipe:
        for sid in session_ids:
            pipe.set(REVOKED_KEY.format(sid), 1, ex=ttl)
        pipe.execute()


class RefreshReuse(Unauthorized):
    """A spent refresh token came back: its whole login is revoked (and that revocation must be kept)."""


def refresh_tokens(payload: dict[str, Any]) -> dict[str, Any]:
    """Rotate a login's refresh token; a spent one revokes the whole login."""
    stmt = select(LoginSession).where(LoginSession.id == payload.get("sid")).with_for_update()
    session = db.session.execute(stmt).scalar_one_or_none()
    if session is None or session.revoked_at is not None:
        raise Unauthorized("The token has been revoked.")
    if payload.get("jti") != session.refresh_jti:
        _revoke(session, "refresh_reuse")
        raise RefreshReuse("This refresh token was already used; the login has been revoked.")
    session.refresh_jti = str(uuid.uuid4())
    session.last_used_at = utcnow()
    user = get_user(session.user_id)
    return _token_pair(user, session)


def _revoke(session: LoginSession, reason: str) -> None:
    session.revoked_at = utcnow()
    session.revoked_reason = reason
    db.session.flush()
    _mark_revoked([session.id])


def logout(payload: dict[str, Any]) -> None:
    """Revoke the login the token belongs to (its access and refresh tokens)."""
    session = db.session.get(LoginSession, payload.get("sid"))
    if session is not None and session.revoked_at is None:
        _revoke(session, "logout")


def revoke_all_logins(user_id: int, reason: str) -> int:
    """Revoke every open login of a user; return how many."""
    revoked = db.session.scalars(
        sa.update(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
        .returning(LoginSession.id)
        .execution_options(synchronize_session=False)
    ).all()
    _mark_revoked(list(revoked))
    signals.logins_revoked.send(current_app._get_current_object(), user_id=user_id)
    return len(revoked)


# ---- password reset


def request_password_reset(email: str) -> None:
    """Email a single-use reset link if the account exists; say nothing either way."""
    user = find_user_by_email(email)
    if user is None:
        return
    token = create_reset_token(user)
    link = current_app.config["PASSWORD_RESET_URL"].format(token=token)
    body = (
        f"Hi {user.username},\n\nSomeone asked to reset your Spotter password. "
        f"Use this link within the hour:\n\n{link}\n\nYour reset token: {token}\n\n"
        "If it was not you, ignore this email; your password stays as it is.\n"
    )
    to = user.email
    after_commit(db.session, lambda: mail.send_email_task.delay(to, "Reset your Spotter password", body))


def create_reset_token(user: User) -> str:
    """Store a new reset token for the user (only its digest is kept) and return it."""
    token = new_token()
    reset = PasswordResetToken(
        user_id=user.id,
        token_hash=token_digest(token),
        expires_at=utcnow() + current_app.config["PASSWORD_RESET_TTL"],
    )
    db.session.add(reset)
    db.session.flush()
    return token


def reset_password(token: str, password: str) -> User:
    """Set a new password with a reset token (single use) and revoke every login of the user."""
    stmt = select(PasswordResetToken).where(PasswordResetToken.token_hash == token_digest(token)).with_for_update()
    reset = db.session.execute(stmt).scalar_one_or_none()
    if reset is None or reset.used_at is not None or reset.expires_at <= utcnow():
        raise Invalid("The reset token is invalid, used or expired.", field="token")
    user = get_user(reset.user_id)
    if password.lower() in (user.email.lower(), user.username.lower()):
        raise Invalid("Must differ from your email and username.", field="password")
    _spend_reset_tokens(user.id)
    user.password_hash = hash_password(password)
    # The reset link reached the account's address (an email change spends older links), which proves it.
    user.email_verified = True
    revoke_all_logins(user.id, "password_reset")
    db.session.flush()
    return user


# ---- email verification


def send_email_verification(user: User) -> None:
    """Mail the user's current address a single-use verification token (after the commit)."""
    token = create_email_verification_token(user)
    link = current_app.config["EMAIL_VERIFICATION_URL"].format(token=token)
    body = (
        f"Hi {user.username},\n\nPlease confirm that {user.email} is your address for Spotter. "
        f"Use this link within 24 hours:\n\n{link}\n\nYour verification token: {token}\n\n"
        "If you did not sign up for Spotter, ignore this email.\n"
    )
    to = user.email
    after_commit(db.session, lambda: mail.send_email_task.delay(to, "Confirm your email for Spotter", body))


def create_email_verification_token(user: User) -> str:
    """Store a verification token for the user's current address (only its digest is kept) and return it."""
    token = new_token()
    db.session.add(
        EmailVerificationToken(
            user_id=user.id,
            email=user.email,
            token_hash=token_digest(token),
            expires_at=utcnow() + current_app.config["EMAIL_VERIFICATION_TTL"],
        )
    )
    db.session.flush()
    return token


def verify_email(token: str) -> User:
    """Mark an address verified with its token: single use, 24 hours, and only while it is still the user's."""
    stmt = (
        select(EmailVerificationToken).where(EmailVerificationToken.token_hash == token_digest(token)).with_for_update()
    )
    record = db.session.execute(stmt).scalar_one_or_none()
    if record is None or record.used_at is not None or record.expires_at <= utcnow():
        raise Invalid("The verification token is invalid, used or expired.", field="token")
    user = get_user(record.user_id)
    if user.email != record.email:
        raise Invalid("The token was sent to an address this account no longer uses.", field="token")
    record.used_at = utcnow()
    user.email_verified = True
    db.session.flush()
    return user


def resend_email_verification(user: User) -> None:
    """Send a new verification token (rate limited per user); an already verified address is a 409."""
    if user.email_verified:
        raise Conflict("Your email address is already verified.")
    limit = parse_limit(current_app.config["RATELIMIT_EMAIL_VERIFICATION"])
    if current_app.config["RATELIMIT_ENABLED"] and not limiter.limiter.hit(limit, "email-verification", str(user.id)):
        raise _too_many(limit, "email-verification", str(user.id), "Too many verification emails; try later.")
    send_email_verification(user)


def _spend_reset_tokens(user_id: int) -> None:
    db.session.execute(
        sa.update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user_id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
    )


# ---- coaching


def is_active_client(trainer_id: int, client_id: int) -> bool:
    """Tell whether `client_id` is an active client of `trainer_id`."""
    stmt = select(CoachingRelationship.id).where(
        CoachingRelationship.trainer_id == trainer_id,
        CoachingRelationship.client_id == client_id,
        CoachingRelationship.status == CoachingStatus.ACTIVE,
    )
    return db.session.execute(stmt).first() is not None


def coaching_ended_since(trainer_id: Any, client_id: Any, moment: Any) -> sa.Exists:
    """An EXISTS clause: a coaching of this pair ended at or after `moment` (columns or values alike)."""
    return sa.exists().where(
        CoachingRelationship.trainer_id == trainer_id,
        CoachingRelationship.client_id == client_id,
        CoachingRelationship.ended_at >= moment,
    )


def active_client_ids(trainer_id: int) -> sa.Select:
    """Select the ids of a trainer's active clients (for use as a subquery)."""
    return select(CoachingRelationship.client_id).where(
        CoachingRelationship.trainer_id == trainer_id, CoachingRelationship.status == CoachingStatus.ACTIVE
    )


def active_trainer_ids(client_id: int | sa.ColumnElement) -> sa.Select:
    """Select the ids of a client's active trainers (for use as a subquery)."""
    return select(CoachingRelationship.trainer_id).where(
        CoachingRelationship.client_id == client_id, CoachingRelationship.status == CoachingStatus.ACTIVE
    )


def request_coaching(actor: User, trainer_id: int | None = None, client_id: int | None = None) -> CoachingRelationship:
    """Open a pending relationship: a client asks a trainer, or a trainer invites a client."""
    if trainer_id is not None:
        trainer = get_user(trainer_id)
        if trainer.role != Role.TRAINER:
            raise Invalid("That user is not a trainer.", field="trainer_id")
        if not policy.may_request_trainer(actor, trainer):
            raise Forbidden("That trainer is not accepting clients.")
        client = actor
    else:
        if not policy.may_invite(actor):
            raise Forbidden("Only trainers invite clients.")
        trainer, client = actor, get_user(client_id)
    if trainer.id == client.id:
        raise Invalid("You cannot coach yourself.", field="trainer_id" if trainer_id else "client_id")
    _check_no_open_relationship(trainer.id, client.id)
    relationship = CoachingRelationship(trainer=trainer, client=client, requested_by_id=actor.id)
    db.session.add(relationship)
    db.session.flush()
    signals.coaching_requested.send(current_app._get_current_object(), relationship=relationship)
    return relationship


def _check_no_open_relationship(trainer_id: int, client_id: int) -> None:
    stmt = select(CoachingRelationship.id).where(
        CoachingRelationship.trainer_id == trainer_id,
        CoachingRelationship.client_id == client_id,
        CoachingRelationship.status.in_([CoachingStatus.PENDING, CoachingStatus.ACTIVE]),
    )
    if db.session.execute(stmt).first():
        raise Conflict("A pending or active relationship already exists between you.")


def get_relationship(actor: User, relationship_id: int) -> CoachingRelationship:
    """Return a relationship the actor is party to, else NotFound."""
    relationship = db.session.get(CoachingRelationship, relationship_id)
    if relationship is None or not policy.is_party(actor, relationship):
        raise NotFound("No such coaching relationship.")
    return relationship


def respond_to_coaching(actor: User, relationship_id: int, accept: bool) -> CoachingRelationship:
    """Accept or decline a pending request addressed to the actor."""
    relationship = get_relationship(actor, relationship_id)
    if not policy.can_respond(actor, relationship):
        raise Forbidden("Only the other party can answer this request.")
    if relationship.status != CoachingStatus.PENDING:
        raise Conflict(f"The request is already {relationship.status.value}.")
    relationship.status = CoachingStatus.ACTIVE if accept else CoachingStatus.DECLINED
    relationship.responded_at = utcnow()
    db.session.flush()
    signals.coaching_changed.send(current_app._get_current_object(), relationship=relationship)
    return relationship


def end_coaching(actor: User, relationship_id: int) -> None:
    """End a pending or active relationship; it is kept for history."""
    relationship = get_relationship(actor, relationship_id)
    if relationship.status == CoachingStatus.ENDED:
        return
    if relationship.status == CoachingStatus.DECLINED:
        raise Conflict("A declined request cannot be ended.")
    relationship.status = CoachingStatus.ENDED
    relationship.ended_at = utcnow()
    db.session.flush()
    signals.coaching_changed.send(current_app._get_current_object(), relationship=relationship)


def list_relationships(actor: User, status: CoachingStatus | None = None) -> sa.Select:
    """Select the actor's relationships, newest first."""
    stmt = (
        select(CoachingRelationship)
        .where(sa.or_(CoachingRelationship.trainer_id == actor.id, CoachingRelationship.client_id == actor.id))
        .order_by(CoachingRelationship.created_at.desc(), CoachingRelationship.id.desc())
    )
    if status:
        stmt = stmt.where(CoachingRelationship.status == status)
    return stmt


def create_owner(email: str, username: str, password: str) -> User:
    """Create a platform Owner (the CLI's job; nobody registers as Owner)."""
    return create_user(email, username, password, Role.OWNER)
