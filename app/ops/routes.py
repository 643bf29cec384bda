"""Health, readiness and the locally served Swagger UI assets."""

from __future__ import annotations

from pathlib import Path

import swagger_ui_bundle
from flask import Blueprint, jsonify, send_from_directory

from app.ops import asyncapi, services

bp = Blueprint("ops", __name__)
SWAGGER_UI_DIR = Path(swagger_ui_bundle.swagger_ui_path)


@bp.get("/healthz")
def healthz():
    """The process is alive."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """The database and Redis (or the embedded broker) are reachable; the heartbeat is reported.

    Until the first heartbeat has come the status is `starting` (still a 200: the web process can serve).
    """
    ready, checks = services.readiness()
    return jsonify(status=services.readiness_status(ready, checks), checks=checks), 200 if ready else 503


@bp.get("/api/asyncapi.json")
def asyncapi_json():
    """The AsyncAPI 3.0 document of the Socket.IO events (public, like the OpenAPI document)."""
    return jsonify(asyncapi.asyncapi_document())


@bp.get("/api/docs/assets/<path:filename>")
def swagger_assets(filename: str):
    """Serve Swagger UI from the installed package, so the docs work offline."""
    return send_from_directory(SWAGGER_UI_DIR, filename, max_age=86400)
