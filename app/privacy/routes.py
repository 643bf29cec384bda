"""REST endpoints of privacy (API.md §10): erasure, consents, data exports; consented product analytics."""

from __future__ import annotations

from flask import current_app, redirect, send_file
from flask.views import MethodView

from app.core.api import Blueprint
from app.core.auth import auth_required, current_identity, current_user
from app.core.storage import S3Storage, get_storage
from app.extensions import limiter
from app.privacy import analytics, schemas
from app.privacy import services as svc

blp = Blueprint("privacy", __name__, url_prefix="/api", description="Data export, erasure and consents.")


@blp.route("/users/me")
class MyAccount(MethodView):
    @auth_required()
    @blp.arguments(schemas.EraseAccountSchema)
    @blp.response(202)
    def delete(self, data):
        """Erase my account: every login is revoked now, a worker erases my data."""
        svc.request_erasure(current_user(), **data)
        return {}


@blp.route("/users/me/consents")
class MyConsents(MethodView):
    @auth_required()
    @blp.response(200, schemas.ConsentsSchema)
    def get(self):
        """My current consent per type and the history of every change."""
        me = current_user()
        return {"current": svc.current_consents(me.id), "history": svc.consent_history(me)}

    @auth_required()
    @blp.arguments(schemas.ConsentCreateSchema)
    @blp.response(201, schemas.ConsentSchema)
    def post(self, data):
        """Grant or withdraw a consent (a new row in the ledger)."""
        return svc.record_consent(current_user(), **data)


@blp.route("/users/me/export")
class MyExports(MethodView):
    @auth_required()
    @blp.response(202, schemas.ExportCreatedSchema)
    def post(self):
        """Ask for an export of all my data (409 while one is in progress)."""
        return {"export_id": svc.request_export(current_user()).id}


@blp.route("/users/me/export/<export_id>")
class MyExportById(MethodView):
    @auth_required()
    @blp.response(200, schemas.ExportSchema)
    def get(self, export_id):
        """The export's status and, while it is Ready, its download link (valid 24 h)."""
        return svc.export_view(svc.get_export(current_user(), export_id))


@blp.route("/exports/download/<token>", endpoint="download_export")
class ExportDownload(MethodView):
    @blp.response(302)
    def get(self, token):
        """Download an export by its signed link: a redirect to the stored file, a 410 once expired."""
        job, key = svc.download_target(token)
        return serve_object(key, f"spotter-export-{job.created_at:%Y%m%d}.zip")


PRESIGN_SECONDS = 60


def serve_object(key: str, filename: str):
    """Redirect to a short presigned URL on S3; stream the file from the local backend."""
    store = get_storage()
    if isinstance(store, S3Storage):
        return redirect(store.presigned_url(key, PRESIGN_SECONDS))
    return send_file(store.open(key), mimetype="application/zip", as_attachment=True, download_name=filename)


def _analytics_rate() -> str:
    return current_app.config["ANALYTICS_RATE"]


def _user_key() -> str:
    return f"analytics:{current_identity()}"


@blp.route("/analytics/events")
class AnalyticsEvents(MethodView):
    @auth_required()
    @limiter.limit(_analytics_rate, key_func=_user_key)
    @blp.arguments(schemas.AnalyticsBatchSchema)
    @blp.response(202, schemas.AnalyticsAcceptedSchema)
    def post(self, data):
        """Send a batch of analytics events: kept only if you granted the analytics consent, else dropped."""
        return {"accepted": analytics.record_client_events(current_user(), data["events"])}


@blp.route("/analytics/report")
class AnalyticsReport(MethodView):
    @auth_required("Owner")
    @blp.arguments(schemas.AnalyticsReportQueryArgsSchema, location="query")
    @blp.response(200, schemas.AnalyticsReportSchema)
    def get(self, args):
        """Daily and weekly active users and retention by signup week (Owners)."""
        return analytics.report(**args)
