"""Privacy rules: asking for and running an erasure, the consent ledger and what it allows."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, request, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts import identities
from app.accounts import services as accounts_services
from app.accounts.models import Identity, OAuthProvider, User
from app.core import response_cache
from app.core.db import after_commit, utcnow
from app.core.errors import Conflict, Forbidden, Gone, Invalid, NotFound, Unauthorized
from app.core.security import new_token, verify_password
from app.core.storage import get_storage
from app.extensions import db
from app.notifications import services as notifications_services
from app.privacy import erasure, export
from app.privacy.models import Consent, ConsentType, DataExport, Erasure, ExportStatus

# ---- erasure


def request_erasure(user: User, password: str | None = None, provider: str | None = None, id_token: str | None = None):
    """Check that it is really the person, revoke every login at once and queue the erasure job."""
    _prove_identity(user, password, provider, id_token)
    if db.session.get(Erasure, user.id) is not None:
        raise Conflict("This account is already being erased.")
    db.session.add(Erasure(user_id=user.id))
    user.password_hash = None  # no new password login from now on
    user.email_verified = False  # nor a provider's sign-in linked by this email
    db.session.flush()
    accounts_services.revoke_all_logins(user.id, "erasure")
    db.session.execute(sa.delete(Identity).where(Identity.user_id == user.id))
    celery = current_app.extensions["celery"]
    after_commit(db.session, lambda: celery.send_task("privacy.erase_user", args=[user.id]))


def _prove_identity(user: User, password: str | None, provider: str | None, id_token: str | None) -> None:
    if user.password_hash is not None:
        if password is None:
            raise Invalid("Your password is required.", field="password")
        if not verify_password(user.password_hash, password):
            raise Unauthorized("Wrong password.")
        return
    if not id_token or not provider:
        raise Invalid("An account without a password proves itself with a fresh ID token.", field="id_token")
    claims = identities.verify(_provider(provider), id_token=id_token, access_token=None, nonce=None)
    found = identities.find_identity(OAuthProvider(claims.provider), claims.subject)
    if found is None or found.user_id != user.id:
        raise Unauthorized("That ID token is not one of this account's sign-ins.")


def _provider(name: str) -> OAuthProvider:
    try:
        return OAuthProvider(name)
    except ValueError:
        raise Invalid("Unknown sign-in provider.", field="provider") from None


def erase_user(user_id: int) -> bool:
    """Erase a person whose erasure is pending (idempotent: a done or claimed erasure is left alone)."""
    stmt = (
        select(Erasure)
        .where(Erasure.user_id == user_id, Erasure.completed_at.is_(None))
        .with_for_update(skip_locked=True)
    )
    pending = db.session.execute(stmt).scalar_one_or_none()
    if pending is None:
        return False
    user = db.session.get(User, user_id)
    email, username = user.email, user.username
    stale_scopes = _cached_scopes(user_id)
    recount = _kudos_given(user_id)
    erasure.delete_rows(user_id)
    _recount_kudos(recount)
    erasure.tombstone(user)
    db.session.flush()
    erasure.scrub_text(email, username)
    erasure.scrub_json_ids(user_id)
    db.session.execute(sa.delete(Consent).where(Consent.user_id == user_id))  # last (the ledger allows it now)
    pending.completed_at = utcnow()
    _delete_files(user_id)
    _drop_caches(stale_scopes)
    return True


def _cached_scopes(user_id: int) -> list[str]:
    """The response-cache scopes that may hold the person's name or data (dropped after the commit)."""
    from_projects = sa.text(
        "SELECT DISTINCT m.user_id FROM project_members m JOIN project_members mine "
        "ON mine.project_id = m.project_id WHERE mine.user_id = :uid"
    )
    people = set(db.session.scalars(from_projects, {"uid": user_id})) | {user_id}
    return [f"tasks:{person}" for person in people] + [f"training:{user_id}", "exercises"]


def _drop_caches(scopes: list[str]) -> None:
    response_cache.invalidate(*scopes)


def _kudos_given(user_id: int) -> list[int]:
    return list(db.session.scalars(sa.text("SELECT activity_id FROM kudos WHERE user_id = :uid"), {"uid": user_id}))


def _recount_kudos(activity_ids: list[int]) -> None:
    """Keep the denormalized kudos counters true once the person's kudos are gone."""
    if activity_ids:
        db.session.execute(
            sa.text(
                "UPDATE activities SET kudos_count = "
                "(SELECT count(*) FROM kudos WHERE kudos.activity_id = activities.id) WHERE id IN :ids"
            ).bindparams(sa.bindparam("ids", expanding=True)),
            {"ids": activity_ids},
        )


PERSONAL_PREFIXES = ("avatars/{}/", "exports/{}/")


def _delete_files(user_id: int) -> None:
    """Delete the person's stored files once the erasure is committed (a rerun deletes nothing twice)."""
    store = get_storage()
    for prefix in PERSONAL_PREFIXES:
        after_commit(db.session, lambda prefix=prefix: store.delete_prefix(prefix.format(user_id)))


def is_erased(user_id: int) -> bool:
    """Tell whether the account was erased (or is being erased)."""
    return db.session.get(Erasure, user_id) is not None


# ---- consents


def record_consent(user: User, type: ConsentType, granted: bool) -> Consent:
    """Append a consent change with the current policy version, time, address and user agent."""
    consent = Consent(
        user_id=user.id,
        type=type,
        granted=granted,
        policy_version=current_app.config["POLICY_VERSION"],
        recorded_at=utcnow(),
        ip_address=request.remote_addr if request else None,
        user_agent=(request.user_agent.string[:255] or None) if request else None,
    )
    db.session.add(consent)
    db.session.flush()
    return consent


def consent_history(user: User) -> list[Consent]:
    """Every consent change of the person, oldest first."""
    stmt = select(Consent).where(Consent.user_id == user.id).order_by(Consent.id)
    return list(db.session.scalars(stmt))


def current_consents(user_id: int) -> dict[str, dict[str, Any] | None]:
    """The latest change per type (None for a type never answered)."""
    latest = (
        select(Consent.type, sa.func.max(Consent.id).label("id"))
        .where(Consent.user_id == user_id)
        .group_by(Consent.type)
        .subquery()
    )
    rows = db.session.scalars(select(Consent).join(latest, Consent.id == latest.c.id))
    state: dict[str, dict[str, Any] | None] = {kind.value: None for kind in ConsentType}
    for row in rows:
        state[row.type.value] = {
            "granted": row.granted,
            "policy_version": row.policy_version,
            "recorded_at": row.recorded_at,
        }
    return state


def has_consent(user_id: int, type: ConsentType) -> bool:
    """Tell whether the person's latest answer for a consent type is a grant."""
    stmt = (
        select(Consent.granted)
        .where(Consent.user_id == user_id, Consent.type == type)
        .order_by(Consent.id.desc())
        .limit(1)
    )
    return bool(db.session.scalar(stmt))


def health_withdrawn(user_id: int) -> bool:
    """Tell whether the person withdrew their health-data consent (their latest answer is a refusal)."""
    stmt = (
        select(Consent.granted)
        .where(Consent.user_id == user_id, Consent.type == ConsentType.HEALTH_DATA)
        .order_by(Consent.id.desc())
        .limit(1)
    )
    return db.session.scalar(stmt) is False


def check_health_processing(user_id: int) -> None:
    """Refuse new health measurements for a person who withdrew their health-data consent (403)."""
    if health_withdrawn(user_id):
        raise Forbidden(
            "You withdrew your consent to health-data processing, so new health measurements are not accepted. "
            "Grant it again (POST /api/users/me/consents) to log them."
        )


# ---- data exports


def request_export(user: User) -> DataExport:
    """Queue an export of the person's data (409 while one is in progress)."""
    if db.session.scalar(select(DataExport.id).where(DataExport.user_id == user.id, _open_export())):
        raise Conflict("An export of your data is already in progress.")
    job = DataExport(id=uuid.uuid4().hex, user_id=user.id, status=ExportStatus.PENDING, created_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(job)
            db.session.flush()
    except IntegrityError as error:  # a concurrent request won the partial unique index
        raise Conflict("An export of your data is already in progress.") from error
    celery = current_app.extensions["celery"]
    after_commit(db.session, lambda: celery.send_task("privacy.build_export", args=[job.id]))
    return job


def _open_export() -> sa.ColumnElement[bool]:
    return DataExport.status.in_([ExportStatus.PENDING, ExportStatus.RUNNING])


def get_export(user: User, export_id: str) -> DataExport:
    """Return one of the person's exports (404 for anyone else's)."""
    job = db.session.get(DataExport, export_id)
    if job is None or job.user_id != user.id:
        raise NotFound("No such export.")
    return job


def export_view(job: DataExport, now: datetime | None = None) -> dict[str, Any]:
    """The export's status as the API shows it: Expired from its deadline on, clean-up or not."""
    status = job.status
    if status == ExportStatus.READY and job.expires_at <= (now or utcnow()):
        status = ExportStatus.EXPIRED
    url = url_for("privacy.download_export", token=_signer().dumps(job.id), _external=True)
    return {
        "id": job.id,
        "status": status,
        "created_at": job.created_at,
        "expires_at": job.expires_at,
        "download_url": url if status == ExportStatus.READY else None,
    }


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="spotter-data-export")


def start_export(export_id: str) -> bool:
    """Mark a queued (or interrupted) export Running; False when there is nothing to do."""
    stmt = select(DataExport).where(DataExport.id == export_id, _open_export()).with_for_update(skip_locked=True)
    job = db.session.execute(stmt).scalar_one_or_none()
    if job is None:
        return False
    job.status = ExportStatus.RUNNING
    return True


def build_export(export_id: str) -> bool:
    """Build a Running export into storage (the row stays locked meanwhile) and notify the person."""
    stmt = select(DataExport).where(DataExport.id == export_id, DataExport.status == ExportStatus.RUNNING)
    job = db.session.execute(stmt.with_for_update(skip_locked=True)).scalar_one_or_none()
    if job is None:
        return False
    key = f"exports/{job.user_id}/{job.id}-{new_token(16)}.zip"
    job.size_bytes = export.build(job.user_id, get_storage(), key)
    job.storage_key, job.status = key, ExportStatus.READY
    job.finished_at = utcnow()
    job.expires_at = job.finished_at + timedelta(hours=current_app.config["EXPORT_LINK_HOURS"])
    notifications_services.notify(
        job.user_id,
        "export_ready",
        "Your data export is ready",
        "It can be downloaded for 24 hours.",
        {"export_id": job.id},
    )
    return True


def fail_export(export_id: str) -> None:
    """Mark an export that could not be built as Failed (the person may ask again)."""
    job = db.session.get(DataExport, export_id)
    if job is not None and job.status in (ExportStatus.PENDING, ExportStatus.RUNNING):
        job.status, job.finished_at = ExportStatus.FAILED, utcnow()


def download_target(token: str, now: datetime | None = None) -> tuple[DataExport, str]:
    """Check a signed download link: the export and its storage key, a 404 if forged, a 410 once expired."""
    try:
        export_id = _signer().loads(token)
    except BadSignature:
        raise NotFound("No such export.") from None
    job = db.session.get(DataExport, export_id)
    if job is None or job.status not in (ExportStatus.READY, ExportStatus.EXPIRED):
        raise NotFound("No such export.")
    if job.status == ExportStatus.EXPIRED or job.expires_at <= (now or utcnow()):
        raise Gone("This export link has expired; ask for a new export.")
    return job, job.storage_key


def expire_exports(limit: int = 100, now: datetime | None = None) -> int:
    """Delete the stored files of expired exports (bounded per run); return how many."""
    stmt = (
        select(DataExport)
        .where(DataExport.status == ExportStatus.READY, DataExport.expires_at <= (now or utcnow()))
        .order_by(DataExport.expires_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    jobs = db.session.scalars(stmt).all()
    store = get_storage()
    for job in jobs:
        key, job.storage_key, job.status = job.storage_key, None, ExportStatus.EXPIRED
        after_commit(db.session, lambda key=key: store.delete(key))
    return len(jobs)
