"""CalDAV push against a real Radicale server: connect (verified), create, move, delete; failures and retries."""

from __future__ import annotations

import socket
import threading
from datetime import UTC, datetime, timedelta

import caldav
import pytest
import sqlalchemy as sa

from app.calendar import sync, tasks
from app.calendar.models import CalendarConnection
from app.extensions import db
from tests.conftest import free_port, wait_for
from tests.factories import make_event

START = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)


def connect(client, headers, url, username, password):
    data = {"provider": "caldav", "url": url, "username": username, "password": password}
    return client.post("/api/calendar/connections", json=data, headers=headers)


def remote_events(calendar: caldav.Calendar) -> dict[str, object]:
    found = {}
    for obj in calendar.events():
        vevent = obj.icalendar_component
        found[str(vevent["uid"])] = vevent
    return found


def test_connect_verifies_and_hides_credentials(client, user, login, radicale, radicale_calendar):
    url, _ = radicale_calendar
    headers = login(user)
    r = connect(client, headers, url, radicale.username, radicale.password)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["provider"] == "caldav" and body["url"] == url and body["last_error"] is None
    assert "password" not in body and "username" not in body and "credentials" not in body
    stored = db.session.get(CalendarConnection, body["id"])
    assert radicale.password not in stored.credentials
    assert stored.credentials == {"username": radicale.username, "password": radicale.password}
    listed = client.get("/api/calendar/connections", headers=headers).get_json()
    assert [c["id"] for c in listed] == [body["id"]] and "password" not in listed[0]
    assert connect(client, headers, url, radicale.username, radicale.password).status_code == 409


@pytest.mark.parametrize(
    ("change", "field"),
    [({"password": "wrong"}, "password"), ({"url": "nope/"}, "url"), ({"url": "/"}, "url"), ({"port": True}, "url")],
)
def test_connect_refuses_what_does_not_verify(client, user, login, radicale, radicale_calendar, change, field):
    url, _ = radicale_calendar
    password = change.get("password", radicale.password)
    if "url" in change:
        url = (
            radicale.url + radicale.username + "/" + change["url"].lstrip("/") if change["url"] != "/" else radicale.url
        )
    if change.get("port"):
        url = f"http://127.0.0.1:{free_port()}/cal/"
    r = connect(client, login(user), url, radicale.username, password)
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["errors"]["json"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CalendarConnection)) == 0


def test_connection_validation_and_ownership(client, user, make_user, login):
    headers = login(user)
    r = client.post("/api/calendar/connections", json={"provider": "caldav", "url": "http://x/"}, headers=headers)
    assert r.status_code == 422 and {"username", "password"} <= set(r.get_json()["errors"]["json"])
    r = client.post("/api/calendar/connections", json={"provider": "outlook"}, headers=headers)
    assert r.status_code == 422 and "provider" in r.get_json()["errors"]["json"]
    r = client.post(
        "/api/calendar/connections", json={"provider": "google", "code": "c", "password": "x"}, headers=headers
    )
    assert r.status_code == 422 and "password" in r.get_json()["errors"]["json"]
    r = client.post(
        "/api/calendar/connections",
        json={"provider": "caldav", "url": "ftp://x/", "username": "a", "password": "b"},
        headers=headers,
    )
    assert r.status_code == 422 and "url" in r.get_json()["errors"]["json"]
    other = make_user()
    connection = CalendarConnection(user_id=other.id, provider="caldav", url="http://x/", credentials="x")
    db.session.add(connection)
    db.session.commit()
    assert client.delete(f"/api/calendar/connections/{connection.id}", headers=headers).status_code == 404
    assert client.get("/api/calendar/connections", headers=headers).get_json() == []
    assert client.delete(f"/api/calendar/connections/{connection.id}", headers=login(other)).status_code == 204


def _connection(user, url, username, password) -> CalendarConnection:
    credentials = {"username": username, "password": password}
    connection = CalendarConnection(user_id=user.id, provider="caldav", url=url, credentials=credentials)
    db.session.add(connection)
    db.session.commit()
    return connection


def test_create_move_delete_round_trip(client, make_user, login, radicale, radicale_calendar):
    url, calendar = radicale_calendar
    me = make_user(timezone="Europe/Berlin")
    connection = _connection(me, url, radicale.username, radicale.password)
    headers = login(me)
    created = client.post(
        "/api/events",
        json={
            "title": "Leg day", "start_time": "2026-06-01T06:00:00Z", "end_time": "2026-06-01T07:00:00Z",
            "rrule": "FREQ=WEEKLY;COUNT=4", "reminders": [30], "location": "Gym",
        },
        headers=headers,
    ).get_json()  # fmt: skip
    tasks.push_to_connection(connection.id, created["id"], created["uid"])
    vevent = remote_events(calendar)[created["uid"]]
    assert str(vevent["summary"]) == "Leg day" and str(vevent["location"]) == "Gym"
    assert vevent["dtstart"].dt.isoformat() == "2026-06-01T08:00:00+02:00"
    assert vevent["dtstart"].params["TZID"] == "Europe/Berlin"
    assert vevent["rrule"].to_ical() == b"FREQ=WEEKLY;COUNT=4"
    assert [a["trigger"].dt for a in vevent.walk("VALARM")] == [timedelta(minutes=-30)]

    moved = client.put(
        f"/api/events/{created['id']}",
        json={"start_time": "2026-06-02T16:00:00Z", "end_time": "2026-06-02T17:30:00Z", "rrule": None},
        headers=headers,
    ).get_json()
    tasks.push_to_connection(connection.id, moved["id"], moved["uid"])
    (vevent,) = remote_events(calendar).values()
    assert vevent["dtstart"].dt.isoformat() == "2026-06-02T18:00:00+02:00" and "rrule" not in vevent
    assert int(vevent["sequence"]) == 1
    db.session.refresh(connection)
    assert connection.last_synced_at is not None and connection.last_error is None

    assert client.delete(f"/api/events/{created['id']}", headers=headers).status_code == 204
    tasks.push_to_connection(connection.id, created["id"], created["uid"])
    assert remote_events(calendar) == {}
    tasks.push_to_connection(connection.id, created["id"], created["uid"])  # again: still fine


def test_connecting_pushes_existing_events(user, radicale, radicale_calendar):
    url, calendar = radicale_calendar
    events = [make_event(user, START + timedelta(days=d)) for d in range(3)]
    connection = _connection(user, url, radicale.username, radicale.password)
    tasks.push_all_events(connection.id)
    assert set(remote_events(calendar)) == {e.uid for e in events}


def test_failure_is_shown_and_retried_with_backoff(app, user, radicale, radicale_calendar):
    url, calendar = radicale_calendar
    event = make_event(user, START)
    connection = _connection(user, url, radicale.username, "changed-since")
    with pytest.raises(sync.SyncError, match="refused the username or password"):
        tasks.push_to_connection(connection.id, event.id, event.uid)  # called directly: the retry re-raises
    db.session.refresh(connection)
    assert "refused" in connection.last_error and connection.last_error_at is not None
    assert connection.last_synced_at is None
    assert [tasks.backoff(n) for n in range(4)] == [30, 60, 120, 240] and tasks.backoff(
        20
    ) == tasks.MAX_BACKOFF_SECONDS == 600
    # The user fixes the password: the next attempt succeeds and clears the error.
    connection.credentials = {"username": radicale.username, "password": radicale.password}
    db.session.commit()
    tasks.push_to_connection(connection.id, event.id, event.uid)
    db.session.refresh(connection)
    assert connection.last_error is None and connection.last_synced_at is not None
    assert set(remote_events(calendar)) == {event.uid}


def test_retries_stop_after_the_limit(app_config, user):
    event = make_event(user, START)

    def connections_made(max_retries: int) -> int:
        """Run the sync job eagerly (retries inline) against a listener that drops every connection."""
        with ClosingListener() as listener:
            connection = _connection(user, f"http://127.0.0.1:{listener.port}/cal/", "a", "b")
            app_config["CALENDAR_SYNC_MAX_RETRIES"] = max_retries
            result = tasks.push_to_connection.apply(args=(connection.id, event.id, event.uid))
        assert result.successful(), result.traceback  # gave up quietly; the error stays visible
        db.session.refresh(connection)
        assert "could not be reached" in connection.last_error
        return listener.attempts

    one_attempt = connections_made(0)  # however many connections the client opens for one try
    assert one_attempt >= 1
    assert connections_made(2) == 3 * one_attempt  # the first try and 2 retries, then no more


class ClosingListener:
    """A TCP listener on loopback that counts the connections it is sent and closes each at once."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.attempts = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:  # closed: the test is over
                return
            self.attempts += 1
            conn.close()

    def __enter__(self) -> ClosingListener:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.sock.close()
        self.thread.join(timeout=5)


def test_disconnected_calendar_is_skipped(user):
    event = make_event(user, START)
    assert sync.push(999999, event.id, event.uid) is False


@pytest.mark.live
def test_a_real_worker_pushes_changes_after_commit(
    app, client, make_user, login, celery_worker, radicale, radicale_calendar
):
    url, calendar = radicale_calendar
    me = make_user()
    _connection(me, url, radicale.username, radicale.password)
    headers = login(me)
    created = client.post(
        "/api/events",
        json={"title": "Live", "start_time": "2026-06-01T06:00:00Z", "end_time": "2026-06-01T07:00:00Z"},
        headers=headers,
    ).get_json()
    wait_for(lambda: created["uid"] in remote_events(calendar), timeout=20)
    client.put(f"/api/events/{created['id']}", json={"title": "Live, renamed"}, headers=headers)
    wait_for(lambda: str(remote_events(calendar).get(created["uid"], {}).get("summary")) == "Live, renamed", timeout=20)
    client.delete(f"/api/events/{created['id']}", headers=headers)
    wait_for(lambda: remote_events(calendar) == {}, timeout=20)
