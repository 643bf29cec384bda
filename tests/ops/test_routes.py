"""Health, readiness with the heartbeat, the OpenAPI document and offline Swagger UI assets."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from app import create_app
from app.extensions import db
from app.ops import tasks


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_says_starting_until_the_first_heartbeat(client):
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 200 and body["status"] == "starting"
    assert body["checks"]["database"]["ok"] and body["checks"]["redis"]["ok"]
    assert body["checks"]["heartbeat"] == {"ok": False, "last_beat_at": None}


def test_heartbeat_job_shows_in_readyz_and_ages(client):
    tasks.heartbeat.run()
    db.session.commit()
    body = client.get("/readyz").get_json()
    assert body["status"] == "ready"
    beat = body["checks"]["heartbeat"]
    assert beat["ok"] is True and beat["last_beat_at"].endswith("Z")
    with time_machine.travel(timedelta(minutes=10), tick=False):
        stale = client.get("/readyz")
        assert stale.status_code == 200 and stale.get_json()["status"] == "ready"  # stale is reported, not fatal
        assert stale.get_json()["checks"]["heartbeat"]["ok"] is False


def test_heartbeat_job_is_idempotent(client):
    tasks.heartbeat.run()
    tasks.heartbeat.run()
    db.session.commit()
    from app.ops.models import Heartbeat

    assert db.session.query(Heartbeat).count() == 1


def test_readyz_is_503_when_redis_is_unreachable():
    app = create_app("testing", REDIS_URL="redis://127.0.0.1:1/0")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable" and body["checks"]["redis"]["ok"] is False


@pytest.mark.live  # uses the app's own engine, not the test transaction
def test_readyz_is_503_when_the_database_is_unreachable():
    app = create_app("testing", SQLALCHEMY_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:1/nope")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"]["ok"] is False


def test_openapi_document_lists_the_operations(client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in ("/api/register", "/api/login", "/api/token/refresh", "/api/users/{user_id}", "/api/coaching"):
        assert path in spec["paths"], path
    assert spec["paths"]["/api/login"]["post"]["summary"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["paths"]["/api/login"]["post"]["security"] == []


def test_swagger_ui_is_served_from_local_assets(client):
    page = client.get("/api/docs").get_data(as_text=True)
    assert "/api/docs/assets/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js"):
        assert client.get(f"/api/docs/assets/{asset}").status_code == 200
