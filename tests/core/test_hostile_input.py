"""Hostile input (issue 15 §1) is a 4xx in API.md's shape with nothing stored: REST bodies, queries, paths, sockets."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.chat.models import Message
from app.core.json import UntrustedJSON, check_untrusted, load_untrusted
from app.core.time import is_timezone
from app.exercises.models import Exercise
from app.extensions import db
from app.notifications.models import NotificationPreference
from tests.chat.conftest import token_of
from tests.factories import make_coaching

EVENT = {"title": "Run", "start_time": "2026-01-01T07:00:00Z", "end_time": "2026-01-01T08:00:00Z"}


def count(model) -> int:
    return db.session.execute(db.select(db.func.count()).select_from(model)).scalar_one()


def error_of(response, code: int) -> dict:
    assert response.status_code == code, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == code and body["status"] and body["message"]
    return body


def test_a_nul_byte_in_an_unauthenticated_login_is_a_422_naming_the_field(client):
    body = error_of(client.post("/api/login", json={"email": "\u0000", "password": "whatever1"}), 422)
    assert list(body["errors"]["json"]) == ["email"]


def test_a_lone_surrogate_is_refused_as_a_malformed_body(client):
    response = client.post(
        "/api/login", data=b'{"email": "\\ud800", "password": "x"}', headers={"Content-Type": "application/json"}
    )
    error_of(response, 400)


def test_a_nul_byte_in_a_nested_string_names_its_path_and_stores_nothing(client, login, trainer):
    body = {"name": "Squat", "category": "Strength", "difficulty_level": "Beginner", "muscles": ["legs\u0000"]}
    error = error_of(client.post("/api/exercises", json=body, headers=login(trainer)), 422)
    assert error["errors"] == {"json": {"muscles": {"0": ["Text may not contain NUL characters or lone surrogates."]}}}
    assert count(Exercise) == 0


def test_json_nested_a_thousand_levels_is_a_400(client, login, trainer):
    data = "[" * 1000 + "]" * 1000
    response = client.post("/api/exercises", data=data, headers={**login(trainer), "Content-Type": "application/json"})
    error_of(response, 400)


def test_an_integer_of_thousands_of_digits_is_a_400(client, login, user):
    data = '{"receiver_id": ' + "9" * 5000 + ', "content": "hi"}'
    response = client.post("/api/messages", data=data, headers={**login(user), "Content-Type": "application/json"})
    error_of(response, 400)
    assert count(Message) == 0


@pytest.mark.parametrize(
    "path",
    [
        "/api/exercises/2147483648",
        "/api/workouts/2147483648",
        "/api/workouts/2147483648/copy",
        "/api/plans/2147483648",
        "/api/users/2147483648",
        "/api/users/\u00b9",
        "/api/users/\u00b9/stats",
        "/api/exercises/\u0661",
        "/api/calendar/feed/a%00b.ics",
    ],
)
def test_ids_beyond_the_column_or_in_other_digits_are_404(client, login, owner, path):
    method = "POST" if path.endswith("/copy") else "GET"
    error_of(client.open(path, method=method, headers=login(owner)), 404)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("/api/exercises?created_by=2147483648", "created_by"),
        ("/api/workouts?trainer_id=2147483648", "trainer_id"),
        ("/api/sessions?exercise_id=99999999999", "exercise_id"),
        ("/api/exercises?page=1000000000000000000", "page"),
        ("/api/projects?page=2147483648", "page"),
        ("/api/tasks?assignee=%E2%9E%8E", "assignee"),
        ("/api/tasks?assignee=" + "9" * 5000, "assignee"),
        ("/api/exercises?q=a%00b", "q"),
        ("/api/sessions?to=9999-12-31", "to"),
        ("/api/measurements?to=9999-12-31", "to"),
        ("/api/events?from=9999-12-01&to=9999-12-31", "to"),
        ("/api/sessions?from=0001-01-01T00:00:00%2B05:00", "from"),
    ],
)
def test_out_of_range_query_values_are_422_naming_the_parameter(client, login, owner, query, field):
    assert field in error_of(client.get(query, headers=login(owner)), 422)["errors"]["query"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/sessions", {"started_at": "0001-01-01T00:00:00+05:00", "sets": []}, "started_at"),
        ("/api/events", {**EVENT, "timezone": "localtime"}, "timezone"),
        ("/api/events", {**EVENT, "start_time": "9999-12-31T23:00:00-05:00"}, "start_time"),
        ("/api/messages", {"receiver_id": "5", "content": "hi"}, "receiver_id"),
        ("/api/messages", {"receiver_id": 5.5, "content": "hi"}, "receiver_id"),
        ("/api/messages", {"receiver_id": 2**31, "content": "hi"}, "receiver_id"),
    ],
)
def test_out_of_range_body_values_are_422_naming_the_field(client, login, user, path, body, field):
    assert field in error_of(client.post(path, json=body, headers=login(user)), 422)["errors"]["json"]


def test_a_number_is_no_boolean_in_a_body(client, login, user):
    headers = login(user)
    error = error_of(client.put("/api/notifications/preferences", json={"push": 0}, headers=headers), 422)
    assert list(error["errors"]["json"]) == ["push"]
    assert count(NotificationPreference) == 0


def test_an_email_longer_than_its_column_is_a_422_at_register(client):
    email = "a" * 64 + "@" + ("b" * 60 + ".") * 4 + "com"
    body = {"email": email, "username": "longmail", "password": "Passw0rd!x"}
    assert list(error_of(client.post("/api/register", json=body), 422)["errors"]["json"]) == ["email"]


def test_localtime_and_posix_files_are_no_time_zones():
    assert is_timezone("Europe/Berlin") and is_timezone("UTC")
    assert not any(is_timezone(name) for name in ("localtime", "posixrules", "Factory", "posix/Europe/Berlin"))


def test_the_decoder_refuses_depth_nul_and_surrogates_wherever_they_are():
    with pytest.raises(UntrustedJSON) as too_deep:
        load_untrusted(b"[" * 40 + b"]" * 40)
    assert too_deep.value.too_deep
    with pytest.raises(UntrustedJSON) as in_key:
        check_untrusted({"a": [{"b\u0000": 1}]})
    assert in_key.value.path == ("a", 0)
    with pytest.raises(UntrustedJSON):
        check_untrusted(["\udc00"])
    with pytest.raises(ValueError):
        load_untrusted(b'"\\ud800"')
    assert load_untrusted(b'{"a": [1, "x"]}') == {"a": [1, "x"]}


@pytest.fixture
def pair(make_user):
    trainer, client = make_user(role="Trainer"), make_user()
    make_coaching(trainer, client)
    return SimpleNamespace(trainer=trainer, client=client)


@pytest.mark.parametrize(
    ("payload", "code", "field"),
    [
        ({"content": "a\u0000b", "client_msg_id": "n1"}, 422, "content"),
        ({"content": "hi", "receiver_id": 2**40}, 422, "receiver_id"),
        ({"content": "hi", "receiver_id": "7"}, 422, "receiver_id"),
        ({"content": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["deep"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}, 400, None),
    ],
)
def test_hostile_socket_payloads_are_error_acks_and_store_nothing(socket_client, pair, payload, code, field):
    sender = socket_client(token=token_of(pair.client))
    ack = sender.emit("send_message", {"receiver_id": pair.trainer.id, **payload}, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == code
    if field:
        assert field in ack["error"]["errors"]["json"]
    assert count(Message) == 0
    assert sender.is_connected()
