"""REST endpoints of chat: sending, history, read marks, unread counts, conversations, blocks."""

from __future__ import annotations

import json

import pytest

from app.chat.models import Message
from app.extensions import db
from tests.chat.conftest import bearer, send
from tests.conftest import sql_statements
from tests.factories import make_user


def post_message(client, sender, receiver_id, content="Hi coach", **extra):
    body = {"receiver_id": receiver_id, "content": content, **extra}
    return client.post("/api/messages", json=body, headers=bearer(sender))


def stored() -> list[Message]:
    return list(db.session.execute(db.select(Message).order_by(Message.id)).scalars())


# ---- POST /api/messages


def test_send_returns_201_with_the_message(client, cast):
    response = post_message(client, cast.client, cast.trainer.id, "  Squats today?  ")
    assert response.status_code == 201
    body = response.get_json()
    assert body["sender_id"] == cast.client.id and body["receiver_id"] == cast.trainer.id
    assert body["content"] == "Squats today?"  # trimmed
    assert body["read_at"] is None and body["is_read"] is False and body["client_msg_id"] is None
    assert body["created_at"].endswith("Z")
    assert [m.id for m in stored()] == [body["id"]]


@pytest.mark.parametrize(
    ("sender", "receiver", "status"),
    [
        ("client", "trainer", 201),
        ("trainer", "client", 201),
        ("stranger", "trainer", 201),
        ("owner", "stranger", 201),
        ("stranger", "owner", 201),
        ("trainer", "stranger", 403),
        ("stranger", "closed_trainer", 403),
        ("stranger", "other_user", 403),
    ],
)
def test_send_permission_matrix(client, cast, sender, receiver, status):
    response = post_message(client, getattr(cast, sender), getattr(cast, receiver).id)
    assert response.status_code == status, response.get_json()
    if status == 403:
        assert response.get_json()["code"] == 403
        assert stored() == []  # stored nowhere


def test_send_to_a_missing_user_is_404(client, cast):
    response = post_message(client, cast.client, 999_999)
    assert response.status_code == 404
    assert stored() == []


def test_send_to_yourself_is_422(client, cast):
    response = post_message(client, cast.client, cast.client.id)
    assert response.status_code == 422
    assert "receiver_id" in response.get_json()["errors"]["json"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"content": "x"}, "receiver_id"),
        ({"receiver_id": 1}, "content"),
        ({"receiver_id": "abc", "content": "x"}, "receiver_id"),
        ({"receiver_id": 0, "content": "x"}, "receiver_id"),
        ({"receiver_id": 1, "content": "   "}, "content"),
        ({"receiver_id": 1, "content": ""}, "content"),
        ({"receiver_id": 1, "content": "x" * 4001}, "content"),
        ({"receiver_id": 1, "content": 5}, "content"),
        ({"receiver_id": 1, "content": "x", "client_msg_id": ""}, "client_msg_id"),
        ({"receiver_id": 1, "content": "x", "client_msg_id": "x" * 65}, "client_msg_id"),
        ({"receiver_id": 1, "content": "x", "sender_id": 2}, "sender_id"),
        ({"receiver_id": 1, "content": "x", "read_at": "2026-01-01T00:00:00Z"}, "read_at"),
    ],
)
def test_send_validation_names_the_field(client, cast, body, field):
    response = client.post("/api/messages", json=body, headers=bearer(cast.client))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]


def test_content_of_4000_characters_after_trimming_is_accepted(client, cast):
    content = "é" * 4000
    response = post_message(client, cast.client, cast.trainer.id, f"\n {content} \t")
    assert response.status_code == 201
    assert response.get_json()["content"] == content


def test_send_needs_a_token_and_a_json_body(client, cast):
    assert client.post("/api/messages", json={"receiver_id": 1, "content": "x"}).status_code == 401
    response = client.post("/api/messages", data="not json", headers=bearer(cast.client))
    assert response.status_code == 400


def test_a_retried_client_msg_id_returns_the_stored_message(client, cast):
    first = post_message(client, cast.client, cast.trainer.id, "once", client_msg_id="c-1")
    again = post_message(client, cast.client, cast.trainer.id, "once", client_msg_id="c-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    assert len(stored()) == 1
    other_sender = post_message(client, cast.trainer, cast.client.id, "mine", client_msg_id="c-1")
    assert other_sender.status_code == 201  # unique per sender only


def test_a_client_msg_id_reused_for_a_different_message_is_409(client, cast):
    assert post_message(client, cast.client, cast.trainer.id, "one", client_msg_id="c-2").status_code == 201
    assert post_message(client, cast.client, cast.trainer.id, "two", client_msg_id="c-2").status_code == 409
    assert len(stored()) == 1


def test_a_flood_is_429_with_retry_after_and_retries_are_not_counted(app_config, client, cast):
    app_config["CHAT_SEND_RATE"] = "3 per 10 seconds"
    statuses = [
        post_message(client, cast.client, cast.trainer.id, f"m{i}", client_msg_id=f"f-{i}").status_code
        for i in range(5)
    ]
    assert statuses == [201, 201, 201, 429, 429]
    response = post_message(client, cast.client, cast.trainer.id, "again")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    assert response.get_json()["code"] == 429
    assert len(stored()) == 3
    # Retrying a stored message sends nothing new: the limit does not refuse it.
    assert post_message(client, cast.client, cast.trainer.id, "m0", client_msg_id="f-0").status_code == 200
    # The limit is per sender.
    assert post_message(client, cast.trainer, cast.client.id, "fine").status_code == 201


# ---- GET /api/messages


@pytest.fixture
def thread(cast):
    """Six messages between the client and the trainer, alternating, plus noise with others."""
    messages = []
    for i in range(6):
        sender, receiver = (cast.client, cast.trainer) if i % 2 == 0 else (cast.trainer, cast.client)
        messages.append(send(sender, receiver, f"m{i}"))
        send(cast.stranger, cast.trainer, f"noise{i}")
    return [m.id for m in messages]


def history(client, user, **query):
    response = client.get("/api/messages", query_string=query, headers=bearer(user))
    assert response.status_code == 200, response.get_json()
    return [m["id"] for m in response.get_json()]


def test_history_is_newest_first_and_pages_with_before(client, cast, thread):
    assert history(client, cast.client, **{"with": cast.trainer.id}) == thread[::-1]
    assert history(client, cast.trainer, **{"with": cast.client.id}) == thread[::-1]
    page = history(client, cast.client, **{"with": cast.trainer.id, "limit": 4})
    assert page == thread[::-1][:4]
    assert history(client, cast.client, **{"with": cast.trainer.id, "before": page[-1], "limit": 4}) == thread[1::-1]


def test_history_after_is_oldest_first(client, cast, thread):
    assert history(client, cast.client, **{"with": cast.trainer.id, "after": thread[1]}) == thread[2:]
    assert history(client, cast.client, **{"with": cast.trainer.id, "after": thread[1], "limit": 2}) == thread[2:4]
    assert history(client, cast.client, **{"with": cast.trainer.id, "after": thread[-1]}) == []


def test_history_shows_only_the_pair(client, cast, thread):
    assert history(client, cast.client, **{"with": cast.stranger.id}) == []
    stranger_view = history(client, cast.stranger, **{"with": cast.trainer.id})
    assert len(stranger_view) == 6 and not set(stranger_view) & set(thread)


def test_history_query_count_does_not_grow_with_the_page(client, cast, thread):
    headers = bearer(cast.client)
    counts = []
    for limit in (1, 6):
        with sql_statements() as seen:
            response = client.get(f"/api/messages?with={cast.trainer.id}&limit={limit}", headers=headers)
        assert len(response.get_json()) == limit
        counts.append(len(seen))
    assert counts[0] == counts[1]


@pytest.mark.parametrize(
    ("query", "location_field"),
    [
        ("", "with"),
        ("with=abc", "with"),
        ("with=1&limit=0", "limit"),
        ("with=1&limit=101", "limit"),
        ("with=1&before=0", "before"),
        ("with=1&before=1&after=2", "after"),
        ("with=1&page=2", "page"),
    ],
)
def test_history_validation(client, cast, query, location_field):
    response = client.get(f"/api/messages?{query}", headers=bearer(cast.client))
    assert response.status_code == 422
    assert location_field in response.get_json()["errors"]["query"]


def test_history_with_a_missing_user_is_404(client, cast):
    assert client.get("/api/messages?with=999999", headers=bearer(cast.client)).status_code == 404


# ---- read marks and unread counts


def unread(client, user) -> dict:
    response = client.get("/api/messages/unread", headers=bearer(user))
    assert response.status_code == 200
    return response.get_json()


def test_unread_counts_and_mark_read(client, cast, thread):
    assert unread(client, cast.trainer) == {"total": 9, "by_sender": {str(cast.client.id): 3, str(cast.stranger.id): 6}}
    assert unread(client, cast.client) == {"total": 3, "by_sender": {str(cast.trainer.id): 3}}
    response = client.post(
        "/api/messages/read", json={"with": cast.client.id, "up_to": thread[2]}, headers=bearer(cast.trainer)
    )
    assert response.status_code == 204
    assert unread(client, cast.trainer)["by_sender"] == {str(cast.client.id): 1, str(cast.stranger.id): 6}
    read = {m.id: m.read_at for m in stored()}
    assert read[thread[0]] and read[thread[2]] and not read[thread[4]]
    assert not read[thread[1]]  # the trainer's own messages are not theirs to mark


def test_marking_someone_elses_messages_changes_nothing(client, cast, thread):
    response = client.post(
        "/api/messages/read", json={"with": cast.trainer.id, "up_to": thread[-1]}, headers=bearer(cast.stranger)
    )
    assert response.status_code == 204
    assert unread(client, cast.client)["total"] == 3 and unread(client, cast.trainer)["total"] == 9


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"up_to": 1}, 422, "with"),
        ({"with": 1}, 422, "up_to"),
        ({"with": 1, "up_to": "x"}, 422, "up_to"),
        ({"with": 1, "up_to": 1, "extra": True}, 422, "extra"),
        ({"with": 999999, "up_to": 1}, 404, None),
    ],
)
def test_mark_read_validation(client, cast, body, status, field):
    response = client.post("/api/messages/read", json=body, headers=bearer(cast.client))
    assert response.status_code == status
    if field:
        assert field in response.get_json()["errors"]["json"]


# ---- conversations


def test_conversations_one_row_per_peer_most_recent_first(client, cast, thread):
    response = client.get("/api/conversations", headers=bearer(cast.trainer))
    assert response.status_code == 200
    rows = response.get_json()
    assert [row["peer"]["id"] for row in rows] == [cast.stranger.id, cast.client.id]
    assert rows[0]["peer"] == {
        "id": cast.stranger.id,
        "username": cast.stranger.username,
        "role": "User",
        "profile_image": None,
    }
    assert rows[0]["last_message"]["content"] == "noise5"
    assert rows[1]["last_message"]["id"] == thread[-1]
    assert [row["unread_count"] for row in rows] == [6, 3]
    assert json.loads(response.headers["X-Pagination"])["total"] == 2
    send(cast.client, cast.trainer, "newest")
    rows = client.get("/api/conversations", headers=bearer(cast.trainer)).get_json()
    assert [row["peer"]["id"] for row in rows] == [cast.client.id, cast.stranger.id]
    assert rows[0]["unread_count"] == 4


def test_conversations_page_and_fixed_query_count(client, cast):
    trainer = cast.trainer
    peers = [make_user() for _ in range(5)]
    for peer in peers:
        send(peer, trainer, "hi")
    headers = bearer(trainer)
    counts = []
    for page_size in (1, 5):
        with sql_statements() as seen:
            response = client.get(f"/api/conversations?page_size={page_size}", headers=headers)
        assert len(response.get_json()) == page_size
        counts.append(len(seen))
    assert counts[0] == counts[1]
    second = client.get("/api/conversations?page=2&page_size=2", headers=headers).get_json()
    assert [row["peer"]["id"] for row in second] == [peers[2].id, peers[1].id]
    assert client.get("/api/conversations", headers=bearer(make_user())).get_json() == []
    assert client.get("/api/conversations?page_size=101", headers=headers).status_code == 422
    assert client.get("/api/conversations?q=x", headers=headers).status_code == 422


# ---- blocks


def test_block_stops_messages_both_ways_and_unblock_restores(client, cast):
    path = f"/api/users/{cast.trainer.id}/block"
    assert client.post(path, headers=bearer(cast.client)).status_code == 204
    assert client.post(path, headers=bearer(cast.client)).status_code == 204  # idempotent
    assert post_message(client, cast.client, cast.trainer.id).status_code == 403
    assert post_message(client, cast.trainer, cast.client.id).status_code == 403
    assert stored() == []
    assert client.delete(path, headers=bearer(cast.client)).status_code == 204
    assert client.delete(path, headers=bearer(cast.client)).status_code == 204  # idempotent
    assert post_message(client, cast.trainer, cast.client.id).status_code == 201


def test_only_the_blocker_can_lift_a_block(client, cast):
    assert client.post(f"/api/users/{cast.trainer.id}/block", headers=bearer(cast.client)).status_code == 204
    assert client.delete(f"/api/users/{cast.client.id}/block", headers=bearer(cast.trainer)).status_code == 204
    assert post_message(client, cast.trainer, cast.client.id).status_code == 403


def test_block_errors(client, cast):
    headers = bearer(cast.client)
    assert client.post(f"/api/users/{cast.client.id}/block", headers=headers).status_code == 422
    assert client.post("/api/users/999999/block", headers=headers).status_code == 404
    assert client.delete("/api/users/999999/block", headers=headers).status_code == 404
    assert client.post("/api/users/abc/block", headers=headers).status_code == 404
    assert client.post(f"/api/users/{cast.trainer.id}/block").status_code == 401
