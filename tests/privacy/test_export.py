"""POST/GET /api/users/me/export, the streamed ZIP, its signed 24 h link, the clean-up, S3 redirects."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import boto3
import pytest
import sqlalchemy as sa
import time_machine
from botocore.exceptions import ClientError
from flask import current_app
from moto.server import ThreadedMotoServer

from app.core.storage import S3Storage
from app.extensions import db
from app.notifications.models import Notification
from app.privacy import services as privacy_services
from app.privacy.models import DataExport, ExportStatus
from tests.conftest import free_port
from tests.factories import make_user
from tests.privacy.conftest import make_world


def _build(export_id: str) -> bool:
    """Run the export job as a worker of this app runs it (the task bound to this app's Celery)."""
    return current_app.extensions["celery"].tasks["privacy.build_export"](export_id)


def _ask(client, headers) -> str:
    response = client.post("/api/users/me/export", headers=headers)
    assert response.status_code == 202, response.get_json()
    return response.get_json()["export_id"]


def _zip(client, url: str) -> zipfile.ZipFile:
    response = client.get(url)
    assert response.status_code == 200
    return zipfile.ZipFile(io.BytesIO(response.data))


def test_an_export_holds_every_kind_of_my_data_with_a_manifest(client, login, store):
    world = make_world(store)
    store.put(f"avatars/{world.me.id}/v-512.webp", b"variant bytes", "image/webp")
    world.me.profile_image_key = f"avatars/{world.me.id}/v-512.webp"
    db.session.commit()
    headers = login(world.me)
    export_id = _ask(client, headers)
    assert client.get(f"/api/users/me/export/{export_id}", headers=headers).get_json()["status"] == "Pending"

    assert _build(export_id) is True
    body = client.get(f"/api/users/me/export/{export_id}", headers=headers).get_json()
    assert body["status"] == "Ready" and body["download_url"]
    archive = _zip(client, body["download_url"])

    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["schema_version"] == 1
    for name, entry in manifest["files"].items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == entry["sha256"], name
    account = json.loads(archive.read("account.json"))[0]
    assert account["email"] == world.email and "password_hash" not in account
    assert len(json.loads(archive.read("messages.json"))) == 2
    assert json.loads(archive.read("sessions.json"))[0]["notes"] == "felt great, zelda_erase"
    assert manifest["files"]["session_sets.json"]["rows"] == 1
    for kind in ("measurements", "events", "tasks", "follows", "comments", "consents", "activities"):
        assert f"{kind}.json" in manifest["files"], kind
    assert archive.read("media/v-512.webp") == b"variant bytes"
    notification = db.session.scalars(sa.select(Notification).where(Notification.user_id == world.me.id)).all()
    assert [n.data for n in notification if n.type == "export_ready"] == [{"export_id": export_id}]


def test_one_export_in_progress_at_a_time(client, login, store):
    me = make_user()
    headers = login(me)
    export_id = _ask(client, headers)
    second = client.post("/api/users/me/export", headers=headers)
    assert second.status_code == 409
    _build(export_id)
    assert _build(export_id) is False  # done: a redelivered job does nothing
    _ask(client, headers)  # once Ready, another may be asked for
    assert db.session.scalar(sa.select(sa.func.count()).where(DataExport.user_id == me.id)) == 2


def test_the_link_lives_24_hours_then_is_gone_whether_or_not_cleaned_up(client, login, store):
    me = make_user()
    headers = login(me)
    export_id = _ask(client, headers)
    _build(export_id)
    url = client.get(f"/api/users/me/export/{export_id}", headers=headers).get_json()["download_url"]
    key = db.session.get(DataExport, export_id).storage_key
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=23, minutes=59), tick=False):
        assert client.get(url).status_code == 200
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=24, seconds=1), tick=False):
        assert client.get(url).status_code == 410  # no clean-up has run
        body = client.get(f"/api/users/me/export/{export_id}", headers=login(me)).get_json()
        assert body["status"] == "Expired" and body["download_url"] is None
        assert store.exists(key)
        assert privacy_services.expire_exports() == 1
        db.session.commit()
        assert not store.exists(key)
        assert client.get(url).status_code == 410
        assert db.session.get(DataExport, export_id).status == ExportStatus.EXPIRED


def test_exports_are_private(client, login, store):
    me, other = make_user(), make_user()
    export_id = _ask(client, login(me))
    assert client.get(f"/api/users/me/export/{export_id}", headers=login(other)).status_code == 404
    assert client.get(f"/api/users/me/export/{export_id}").status_code == 401
    assert client.post("/api/users/me/export").status_code == 401
    assert client.get("/api/exports/download/forged-token").status_code == 404


@pytest.fixture
def s3_store(app):
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    options = {"endpoint_url": endpoint, "region_name": "us-east-1"}
    creds = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
    boto3.client("s3", **options, **creds).create_bucket(Bucket="exports")
    saved = app.extensions.get("storage")
    app.extensions["storage"] = S3Storage(
        "exports", endpoint_url=endpoint, access_key="test", secret_key="test", public_url="https://cdn.example"
    )
    yield app.extensions["storage"]
    app.extensions["storage"] = saved
    server.stop()


def test_on_s3_the_link_redirects_to_a_short_presigned_url(client, login, s3_store):
    me = make_user()
    headers = login(me)
    export_id = _ask(client, headers)
    _build(export_id)
    url = client.get(f"/api/users/me/export/{export_id}", headers=headers).get_json()["download_url"]
    response = client.get(url)
    assert response.status_code == 302
    target = response.headers["Location"]
    assert "X-Amz-Expires=60" in target and not target.startswith("https://cdn.example")
    archive = zipfile.ZipFile(io.BytesIO(s3_store.open(db.session.get(DataExport, export_id).storage_key).read()))
    assert "manifest.json" in archive.namelist()


def test_a_failed_build_is_marked_failed_and_may_be_asked_again(client, login, s3_store):
    me = make_user()
    headers = login(me)
    export_id = _ask(client, headers)
    s3_store.bucket = "no-such-bucket"  # the store refuses the upload
    with pytest.raises(ClientError):
        _build(export_id)
    assert db.session.get(DataExport, export_id).status == ExportStatus.FAILED
    assert client.get(f"/api/users/me/export/{export_id}", headers=headers).get_json()["status"] == "Failed"
    _ask(client, headers)
