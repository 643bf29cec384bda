"""REST endpoints of notifications: the cursor list, read marks, preferences, devices."""

from __future__ import annotations

import json

import pytest

from app.extensions import db
from app.notifications import services
from app.notifications.models import Device, Notification
from tests.chat.conftest import bearer
from tests.factories import make_user


def make_notifications(user, n: int) -> list[int]:
    ids = [services.notify(user.id, "reminder", f"n{i}", data={"i": i}).id for i in range(n)]
    db.session.commit()
    return ids


def listed(client, user, **query) -> list[int]:
    response = client.get("/api/notifications", query_string=query, headers=bearer(user))
    assert response.status_code == 200, response.get_json()
    return [n["id"] for n in response.get_json()]


# ---- GET /api/notifications


def test_list_is_a_cursor_stream_of_my_notifications(client, user):
    ids = make_notifications(user, 5)
    make_notifications(make_user(), 2)
    response = client.get("/api/notifications", headers=bearer(user))
    body = response.get_json()
    assert [n["id"] for n in body] == ids[::-1]
    assert body[0] == {
        "id": ids[-1],
        "type": "reminder",
        "title": "n4",
        "body": None,
        "data": {"i": 4},
        "created_at": body[0]["created_at"],
        "read_at": None,
    }
    assert body[0]["created_at"].endswith("Z")
    assert listed(client, user, limit=2) == ids[:2:-1]
    assert listed(client, user, limit=2, before=ids[3]) == [ids[2], ids[1]]
    assert listed(client, user, after=ids[1]) == ids[2:]


def test_unread_filter_and_marking_read(client, user):
    ids = make_notifications(user, 4)
    headers = bearer(user)
    assert client.post("/api/notifications/read", json={"ids": ids[:2]}, headers=headers).status_code == 204
    assert listed(client, user, unread="true") == [ids[3], ids[2]]
    assert listed(client, user, unread="false") == [ids[1], ids[0]]
    assert client.post("/api/notifications/read", json={"all": True}, headers=headers).status_code == 204
    assert listed(client, user, unread="true") == []
    read_at = {n.id: n.read_at for n in db.session.execute(db.select(Notification)).scalars()}
    assert all(read_at[i] for i in ids)


def test_marking_someone_elses_notifications_changes_nothing(client, user):
    theirs = make_notifications(make_user(), 2)
    response = client.post("/api/notifications/read", json={"ids": theirs}, headers=bearer(user))
    assert response.status_code == 204
    assert all(db.session.get(Notification, i).read_at is None for i in theirs)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "_schema"),
        ({"ids": [1], "all": True}, "_schema"),
        ({"all": False}, "all"),
        ({"ids": []}, "ids"),
        ({"ids": ["x"]}, "ids"),
        ({"ids": [0]}, "ids"),
        ({"ids": 5}, "ids"),
        ({"ids": [1], "extra": 1}, "extra"),
    ],
)
def test_read_validation(client, user, body, field):
    response = client.post("/api/notifications/read", json=body, headers=bearer(user))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("before=x", "before"),
        ("before=1&after=2", "after"),
        ("unread=maybe", "unread"),
        ("page=1", "page"),
    ],
)
def test_list_validation(client, user, query, field):
    response = client.get(f"/api/notifications?{query}", headers=bearer(user))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["query"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/notifications"),
        ("post", "/api/notifications/read"),
        ("get", "/api/notifications/preferences"),
        ("put", "/api/notifications/preferences"),
        ("post", "/api/devices"),
        ("get", "/api/devices"),
        ("delete", "/api/devices/1"),
    ],
)
def test_every_endpoint_needs_a_token(client, method, path):
    assert getattr(client, method)(path, json={}).status_code == 401


# ---- preferences


def test_preferences_default_then_update(client, user):
    headers = bearer(user)
    assert client.get("/api/notifications/preferences", headers=headers).get_json() == {
        "email": True,
        "push": True,
        "quiet_hours": None,
    }
    response = client.put(
        "/api/notifications/preferences",
        json={"email": False, "quiet_hours": {"start": "22:00", "end": "07:00"}},
        headers=headers,
    )
    assert response.status_code == 200
    expected = {"email": False, "push": True, "quiet_hours": {"start": "22:00", "end": "07:00"}}
    assert response.get_json() == expected
    assert client.get("/api/notifications/preferences", headers=headers).get_json() == expected
    response = client.patch("/api/notifications/preferences", json={"push": False}, headers=headers)
    assert response.get_json() == {**expected, "push": False}
    response = client.put("/api/notifications/preferences", json={"quiet_hours": None}, headers=headers)
    assert response.get_json() == {"email": False, "push": False, "quiet_hours": None}
    assert client.get("/api/notifications/preferences", headers=bearer(make_user())).get_json()["email"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "sometimes"}, "email"),
        ({"quiet_hours": {"start": "22:00"}}, "quiet_hours"),
        ({"quiet_hours": {"start": "25:00", "end": "07:00"}}, "quiet_hours"),
        ({"quiet_hours": {"start": "22:00", "end": "7:00"}}, "quiet_hours"),
        ({"quiet_hours": {"start": "22:00", "end": "22:00"}}, "quiet_hours"),
        ({"quiet_hours": {"start": 22, "end": 7}}, "quiet_hours"),
        ({"quiet_hours": "22-07"}, "quiet_hours"),
        ({"sms": True}, "sms"),
    ],
)
def test_preferences_validation(client, user, body, field):
    response = client.put("/api/notifications/preferences", json=body, headers=bearer(user))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]


# ---- devices


def subscription(endpoint: str = "https://push.example.com/abc") -> str:
    return json.dumps({"endpoint": endpoint, "keys": {"p256dh": "BPk", "auth": "c2VjcmV0"}, "expirationTime": None})


def test_register_is_idempotent_and_delete(client, user):
    headers = bearer(user)
    first = client.post("/api/devices", json={"platform": "android", "token": "fcm-1"}, headers=headers)
    assert first.status_code == 201
    body = first.get_json()
    assert (body["platform"], body["token"]) == ("android", "fcm-1")
    again = client.post("/api/devices", json={"platform": "android", "token": "fcm-1"}, headers=headers)
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    listed_devices = client.get("/api/devices", headers=headers)
    assert [d["id"] for d in listed_devices.get_json()] == [body["id"]]
    assert client.delete(f"/api/devices/{body['id']}", headers=headers).status_code == 204
    assert client.delete(f"/api/devices/{body['id']}", headers=headers).status_code == 404
    assert db.session.get(Device, body["id"]) is None


def test_a_token_registered_by_someone_else_moves_to_the_new_user(client, user):
    other = make_user()
    first = client.post("/api/devices", json={"platform": "ios", "token": "shared"}, headers=bearer(other)).get_json()
    moved = client.post("/api/devices", json={"platform": "ios", "token": "shared"}, headers=bearer(user))
    assert moved.status_code == 200 and moved.get_json()["id"] == first["id"]
    assert client.get("/api/devices", headers=bearer(other)).get_json() == []
    assert db.session.get(Device, first["id"]).user_id == user.id


def test_someone_elses_device_is_a_404(client, user):
    theirs = client.post("/api/devices", json={"platform": "ios", "token": "x1"}, headers=bearer(make_user()))
    device_id = theirs.get_json()["id"]
    assert client.delete(f"/api/devices/{device_id}", headers=bearer(user)).status_code == 404
    assert db.session.get(Device, device_id) is not None


def test_web_subscriptions_are_stored_canonically(client, user):
    headers = bearer(user)
    response = client.post("/api/devices", json={"platform": "web", "token": subscription()}, headers=headers)
    assert response.status_code == 201
    stored = json.loads(response.get_json()["token"])
    assert stored == {"endpoint": "https://push.example.com/abc", "keys": {"auth": "c2VjcmV0", "p256dh": "BPk"}}
    reordered = json.dumps({"keys": {"auth": "c2VjcmV0", "p256dh": "BPk"}, "endpoint": "https://push.example.com/abc"})
    again = client.post("/api/devices", json={"platform": "web", "token": reordered}, headers=headers)
    assert again.status_code == 200 and again.get_json()["id"] == response.get_json()["id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"token": "x"}, "platform"),
        ({"platform": "ios"}, "token"),
        ({"platform": "blackberry", "token": "x"}, "platform"),
        ({"platform": "ios", "token": ""}, "token"),
        ({"platform": "ios", "token": "has space"}, "token"),
        ({"platform": "ios", "token": "x" * 2049}, "token"),
        ({"platform": "web", "token": "not json"}, "token"),
        (
            {"platform": "web", "token": json.dumps({"endpoint": "ftp://x/y", "keys": {"p256dh": "a", "auth": "b"}})},
            "token",
        ),
        ({"platform": "web", "token": json.dumps({"endpoint": "https://x/y", "keys": {"p256dh": "a"}})}, "token"),
        ({"platform": "web", "token": "[1, 2]"}, "token"),
        ({"platform": "ios", "token": "x", "user_id": 1}, "user_id"),
    ],
)
def test_device_validation(client, user, body, field):
    response = client.post("/api/devices", json=body, headers=bearer(user))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]


def test_a_coaching_request_notifies_the_other_party(client, login, make_user):
    coach, athlete, kim = make_user(role="Trainer", username="coachsam"), make_user(username="alex"), make_user()
    assert client.post("/api/coaching", json={"trainer_id": coach.id}, headers=login(athlete)).status_code == 201
    (note,) = client.get("/api/notifications", headers=login(coach)).get_json()
    assert (note["type"], note["title"]) == ("coaching_request", "alex asks you to coach them")
    assert client.get("/api/notifications", headers=login(athlete)).get_json() == []
    assert client.post("/api/coaching", json={"client_id": kim.id}, headers=login(coach)).status_code == 201
    (invite,) = client.get("/api/notifications", headers=login(kim)).get_json()
    assert invite["title"] == "coachsam invites you to train with them"
    assert invite["data"]["from"] == coach.id
