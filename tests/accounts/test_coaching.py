"""Coaching relationships: asking, inviting, accepting, declining, ending, listing."""

from __future__ import annotations

import pytest

from tests.factories import make_coaching


@pytest.fixture
def coach(make_user):
    return make_user(role="Trainer", username="coach")


def test_a_user_asks_a_trainer_and_the_trainer_accepts(client, login, coach, user):
    response = client.post("/api/coaching", json={"trainer_id": coach.id}, headers=login(user))
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "Pending"
    assert body["trainer"]["id"] == coach.id and body["client"]["id"] == user.id
    assert set(body) >= {"id", "trainer", "client", "status", "created_at"}
    # the asker cannot accept their own request
    assert client.post(f"/api/coaching/{body['id']}/accept", headers=login(user)).status_code == 403
    accepted = client.post(f"/api/coaching/{body['id']}/accept", headers=login(coach))
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "Active"
    # now the trainer sees the client's full profile
    assert "email" in client.get(f"/api/users/{user.id}", headers=login(coach)).get_json()


def test_a_trainer_invites_and_the_client_declines(client, login, coach, user):
    created = client.post("/api/coaching", json={"client_id": user.id}, headers=login(coach)).get_json()
    assert client.post(f"/api/coaching/{created['id']}/decline", headers=login(coach)).status_code == 403
    declined = client.post(f"/api/coaching/{created['id']}/decline", headers=login(user))
    assert declined.status_code == 200 and declined.get_json()["status"] == "Declined"
    # answered requests cannot be answered again
    assert client.post(f"/api/coaching/{created['id']}/accept", headers=login(user)).status_code == 409
    # after a decline a new request may be made
    assert client.post("/api/coaching", json={"client_id": user.id}, headers=login(coach)).status_code == 201


def test_a_third_party_gets_404(client, login, coach, user, make_user):
    relationship = make_coaching(coach, user, "Pending")
    stranger = make_user()
    for action in ("accept", "decline"):
        response = client.post(f"/api/coaching/{relationship.id}/{action}", headers=login(stranger))
        assert response.status_code == 404
    assert client.delete(f"/api/coaching/{relationship.id}", headers=login(stranger)).status_code == 404
    assert client.get(f"/api/coaching/{relationship.id}", headers=login(stranger)).status_code == 404


def test_either_party_ends_and_history_is_kept(client, login, coach, user):
    relationship = make_coaching(coach, user, "Active")
    assert client.delete(f"/api/coaching/{relationship.id}", headers=login(user)).status_code == 204
    body = client.get(f"/api/coaching/{relationship.id}", headers=login(coach)).get_json()
    assert body["status"] == "Ended"
    assert client.delete(f"/api/coaching/{relationship.id}", headers=login(coach)).status_code == 204


def test_a_declined_request_cannot_be_ended(client, login, coach, user):
    relationship = make_coaching(coach, user, "Declined")
    assert client.delete(f"/api/coaching/{relationship.id}", headers=login(user)).status_code == 409


def test_duplicate_open_request_is_a_conflict(client, login, coach, user):
    assert client.post("/api/coaching", json={"trainer_id": coach.id}, headers=login(user)).status_code == 201
    assert client.post("/api/coaching", json={"trainer_id": coach.id}, headers=login(user)).status_code == 409
    assert client.post("/api/coaching", json={"client_id": user.id}, headers=login(coach)).status_code == 409


def test_a_trainer_not_accepting_clients_refuses_requests(client, login, coach, user):
    client.put("/api/users/me", json={"trainer": {"accepting_clients": False}}, headers=login(coach))
    assert client.post("/api/coaching", json={"trainer_id": coach.id}, headers=login(user)).status_code == 403


@pytest.mark.parametrize(
    ("actor", "body_key", "target", "status"),
    [
        ("user", "client_id", "other_user", 403),  # only trainers invite
        ("owner", "trainer_id", "coach", 403),  # Owners are not coached
        ("user", "trainer_id", "other_user", 422),  # not a trainer
        ("user", "trainer_id", "missing", 404),
        ("coach", "client_id", "missing", 404),
        ("coach", "client_id", "coach", 422),  # not yourself
        ("other_trainer", "trainer_id", "coach", 201),  # a trainer may be coached too
    ],
)
def test_request_matrix(client, login, make_user, coach, actor, body_key, target, status):
    people = {
        "user": make_user(),
        "other_user": make_user(),
        "owner": make_user(role="Owner"),
        "coach": coach,
        "other_trainer": make_user(role="Trainer"),
    }
    target_id = 987654 if target == "missing" else people[target].id
    response = client.post("/api/coaching", json={body_key: target_id}, headers=login(people[actor]))
    assert response.status_code == status, response.get_json()


@pytest.mark.parametrize("body", [{}, {"trainer_id": 1, "client_id": 2}, {"trainer_id": "x"}, {"trainer_id": 0}])
def test_request_validation(client, login, user, body):
    assert client.post("/api/coaching", json=body, headers=login(user)).status_code == 422


def test_list_mine_with_status_filter(client, login, coach, user, make_user):
    other = make_user()
    make_coaching(coach, user, "Active")
    make_coaching(coach, other, "Pending")
    make_coaching(make_user(role="Trainer"), make_user(), "Active")  # not mine
    headers = login(coach)
    assert len(client.get("/api/coaching", headers=headers).get_json()) == 2
    active = client.get("/api/coaching?status=Active", headers=headers).get_json()
    assert [r["client"]["id"] for r in active] == [user.id]
    assert len(client.get("/api/coaching", headers=login(user)).get_json()) == 1
    assert client.get("/api/coaching?status=Bogus", headers=headers).status_code == 422


def test_coaching_needs_auth(client):
    assert client.get("/api/coaching").status_code == 401
    assert client.post("/api/coaching", json={"trainer_id": 1}).status_code == 401


def test_out_of_range_ids_are_404(client, login, user):
    assert client.get("/api/coaching/99999999999", headers=login(user)).status_code == 404
    assert client.post("/api/coaching/0/accept", headers=login(user)).status_code == 404
