"""Every failure speaks API.md's error shape; 500s carry no stack trace; request ids."""

from __future__ import annotations

import json
import logging

import pytest

from app import create_app

SHAPE = {"code", "status", "message"}


def test_unknown_route_is_a_json_404(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert set(response.get_json()) == SHAPE
    assert response.get_json()["status"] == "Not Found"


def test_wrong_method_is_a_json_405_with_allow(client):
    response = client.delete("/api/login")
    assert response.status_code == 405
    assert set(response.get_json()) == SHAPE
    assert "POST" in response.headers["Allow"]


def test_validation_error_has_errors_by_location(client):
    body = client.post("/api/login", json={"email": "a@b.c"}).get_json()
    assert body == {
        "code": 422,
        "status": "Unprocessable Entity",
        "message": "Validation failed.",
        "errors": {"json": {"password": ["Missing data for required field."]}},
    }


def test_empty_body_is_400(client):
    assert client.post("/api/login").status_code == 400


def test_too_large_body_is_413(client):
    response = client.post("/api/login", data="x" * (7 * 1024 * 1024), content_type="application/json")
    assert response.status_code == 413
    assert set(response.get_json()) == SHAPE


def test_unexpected_error_is_a_plain_500_logged_with_the_request_id(caplog):
    app = create_app("testing")

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/boom", headers={"X-Request-ID": "req-42"})
    assert response.status_code == 500
    body = response.get_json()
    assert set(body) == SHAPE
    assert "secret" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    record = next(r for r in caplog.records if r.levelno == logging.ERROR)
    assert record.request_id == "req-42"
    assert "secret internals" in caplog.text


def test_request_id_is_echoed_when_valid_and_made_when_not(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"}).headers["X-Request-ID"]
    assert generated != "bad id with spaces" and len(generated) == 32
    assert client.get("/api/nothing").headers["X-Request-ID"]


def test_access_log_is_one_json_line_per_request(client, capsys):
    from app.core.logging import configure_logging

    configure_logging("INFO")  # bind the handler to the captured stdout
    client.get("/healthz", headers={"X-Request-ID": "log-me"})
    lines = [line for line in capsys.readouterr().out.splitlines() if '"log-me"' in line]
    record = json.loads(lines[-1])
    assert record["method"] == "GET" and record["path"] == "/healthz" and record["status"] == 200
    assert record["request_id"] == "log-me" and "duration_ms" in record


@pytest.mark.live  # the broken app must use its own engine, not the test's transaction
def test_an_unreachable_database_is_a_clean_503_not_a_500(client, login, user):
    headers = login(user)
    broken = create_app("testing", SQLALCHEMY_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:1/nope")
    response = broken.test_client().get("/api/workouts", headers=headers)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    body = response.get_json()
    assert (
        body["code"] == 503 and "unavailable" in body["message"] and "Traceback" not in response.get_data(as_text=True)
    )
