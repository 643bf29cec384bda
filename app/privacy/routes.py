"""REST endpoints of privacy (API.md §10): erasure, consents, data exports."""

from __future__ import annotations

from flask.views import MethodView

from app.core.api import Blueprint
from app.core.auth import auth_required, current_user
from app.privacy import schemas
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
