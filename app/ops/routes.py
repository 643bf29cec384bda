"""Health, readiness, Prometheus metrics and the locally served Swagger UI assets."""

from __future__ import annotations

from pathlib import Path

import swagger_ui_bundle
from flask import Blueprint, Response, jsonify, send_from_directory
from prometheus_client import CONTENT_TYPE_LATEST

from app.ops import asyncapi, services
from app.ops import metrics as ops_metrics

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


@bp.get("/metrics")
def prometheus_metrics():
    """Prometheus metrics of this process, the workers' jobs, queues and lags (METRICS_TOKEN when set)."""
    ops_metrics.check_token()
    return Response(ops_metrics.exposition(), content_type=CONTENT_TYPE_LATEST)
