"""Google Calendar sync against a small local HTTP server that checks method, path, body and bearer token."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from types import SimpleNamespace
from urllib.parse import parse_qs

import pytest

from app.calendar import sync, tasks
from app.calendar.models import CalendarConnection
from app.extensions import db
from tests.factories import make_event
from tests.live import JsonStandIn

START = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)
CODE, ACCESS, REFRESHED, REFRESH = "auth-code-1", "access-1", "access-2", "refresh-1"


class FakeGoogle(JsonStandIn):
    """Google's token endpoint and Calendar API, as much as Spotter uses, with what it received recorded."""

    state: SimpleNamespace

    def _handle(self) -> None:
        state = self.state
        raw = self._body()
        if self.path == "/token":
            form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            state.received.append(("TOKEN", form))
            if form.get("client_id") != "cid" or form.get("client_secret") != "csecret":
                return self._reply(401, {"error": "invalid_client"})
            if form.get("grant_type") == "authorization_code" and form.get("code") == CODE:
                return self._reply(200, {"access_token": ACCESS, "refresh_token": REFRESH, "expires_in": 3600})
            if form.get("grant_type") == "refresh_token" and form.get("refresh_token") == REFRESH:
                state.token = REFRESHED
                return self._reply(200, {"access_token": REFRESHED, "expires_in": 3600})
            return self._reply(400, {"error": "invalid_grant", "error_description": "Bad code."})
        prefix = "/calendar/v3/calendars/primary/events"
        assert self.path.startswith(prefix), self.path
        body = json.loads(raw) if raw else None
        state.received.append((self.command, self.path.removeprefix(prefix), body, self.headers["Authorization"]))
        if self.headers["Authorization"] != f"Bearer {state.token}":
            return self._reply(401, {"error": {"message": "Invalid Credentials"}})
        if state.fail:
            return self._reply(503, {"error": {"message": "Backend Error"}})
        event_id = self.path.removeprefix(prefix).lstrip("/")
        if self.command == "POST":
            state.events[body["id"]] = body
            return self._reply(200, body)
        if event_id not in state.events:
            return self._reply(404, {"error": {"message": "Not Found"}})
        if self.command == "PATCH":
            state.events[event_id].update(body)
            return self._reply(200, state.events[event_id])
        del state.events[event_id]
        return self._reply(204)

    do_POST = do_PATCH = do_DELETE = _handle  # noqa: N815 - http.server's handler names


@pytest.fixture
def google(app):
    state = SimpleNamespace(received=[], events={}, token=ACCESS, fail=False)
    handler = type("Handler", (FakeGoogle,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    keys = (
        "GOOGLE_OAUTH_TOKEN_URL",
        "GOOGLE_CALENDAR_API_URL",
        "GOOGLE_CALENDAR_CLIENT_ID",
        "GOOGLE_CALENDAR_CLIENT_SECRET",
    )
    saved = {key: app.config[key] for key in keys}
    app.config.update(
        GOOGLE_OAUTH_TOKEN_URL=f"{base}/token",
        GOOGLE_CALENDAR_API_URL=f"{base}/calendar/v3",
        GOOGLE_CALENDAR_CLIENT_ID="cid",
        GOOGLE_CALENDAR_CLIENT_SECRET="csecret",
    )
    try:
        yield state
    finally:
        app.config.update(saved)
        server.shutdown()
        server.server_close()


def connect(client, headers, code=CODE):
    return client.post("/api/calendar/connections", json={"provider": "google", "code": code}, headers=headers)


def test_code_exchange_stores_encrypted_tokens(client, user, login, google):
    r = connect(client, login(user))
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["provider"] == "google" and r.get_json()["url"] is None
    ((kind, form),) = google.received
    assert kind == "TOKEN" and form["grant_type"] == "authorization_code" and form["code"] == CODE
    assert form["redirect_uri"] == "postmessage"
    stored = db.session.get(CalendarConnection, r.get_json()["id"])
    assert ACCESS not in stored.credentials and REFRESH not in stored.credentials
    assert stored.credentials["refresh_token"] == REFRESH
    assert connect(client, login(user)).status_code == 409


def test_a_bad_code_is_422(client, user, login, google):
    r = connect(client, login(user), code="stale")
    assert r.status_code == 422 and "code" in r.get_json()["errors"]["json"]
    assert "Bad code" in r.get_json()["message"]


def _connected(client, user, login) -> CalendarConnection:
    r = connect(client, login(user))
    return db.session.get(CalendarConnection, r.get_json()["id"])


def test_insert_patch_delete(client, make_user, login, google):
    me = make_user(timezone="Europe/Berlin")
    connection = _connected(client, me, login)
    event = make_event(me, START, title="Run", rrule="FREQ=WEEKLY;COUNT=3", reminders=[30, 10], location="Park")
    tasks.push_to_connection(connection.id, event.id, event.uid)
    patch, insert = google.received[-2:]
    assert patch[:2] == ("PATCH", f"/{event.uid}")  # unknown to Google yet: 404, then insert
    method, path, body, token = insert
    assert (method, path, token) == ("POST", "", f"Bearer {ACCESS}")
    assert body["id"] == event.uid and body["summary"] == "Run" and body["location"] == "Park"
    assert body["start"] == {"dateTime": "2026-06-01T08:00:00+02:00", "timeZone": "Europe/Berlin"}
    assert body["end"] == {"dateTime": "2026-06-01T09:00:00+02:00", "timeZone": "Europe/Berlin"}
    assert body["recurrence"] == ["RRULE:FREQ=WEEKLY;COUNT=3"]
    assert body["reminders"] == {
        "useDefault": False,
        "overrides": [{"method": "popup", "minutes": 30}, {"method": "popup", "minutes": 10}],
    }

    client.put(f"/api/events/{event.id}", json={"title": "Long run"}, headers=login(me))
    tasks.push_to_connection(connection.id, event.id, event.uid)
    method, path, body, _ = google.received[-1]
    assert (method, path) == ("PATCH", f"/{event.uid}") and body["summary"] == "Long run" and body["sequence"] == 1
    assert google.events[event.uid]["summary"] == "Long run"

    client.delete(f"/api/events/{event.id}", headers=login(me))
    tasks.push_to_connection(connection.id, event.id, event.uid)
    assert google.received[-1][:2] == ("DELETE", f"/{event.uid}") and google.events == {}
    tasks.push_to_connection(connection.id, event.id, event.uid)  # already gone: 404 is fine
    db.session.refresh(connection)
    assert connection.last_error is None and connection.last_synced_at is not None


def test_expired_access_token_is_refreshed_and_saved(client, user, login, google):
    connection = _connected(client, user, login)
    event = make_event(user, START)
    google.token = "rotated-by-google"  # the stored access token no longer works
    google.received.clear()

    def refresh_grants():
        return [r for r in google.received if r[0] == "TOKEN" and r[1]["grant_type"] == "refresh_token"]

    tasks.push_to_connection(connection.id, event.id, event.uid)
    assert len(refresh_grants()) == 1 and google.token == REFRESHED
    assert google.received[-1][3] == f"Bearer {REFRESHED}" and event.uid in google.events
    db.session.refresh(connection)
    assert connection.credentials["access_token"] == REFRESHED


def test_failure_records_last_error_then_recovers(client, user, login, google):
    connection = _connected(client, user, login)
    event = make_event(user, START)
    google.fail = True
    with pytest.raises(sync.SyncError, match="503"):
        tasks.push_to_connection(connection.id, event.id, event.uid)
    db.session.refresh(connection)
    assert "Backend Error" in connection.last_error
    google.fail = False
    tasks.push_to_connection(connection.id, event.id, event.uid)
    db.session.refresh(connection)
    assert connection.last_error is None and event.uid in google.events
