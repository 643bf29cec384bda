"""Reading and editing users, the Owner's user list, and the trainer directory."""

from __future__ import annotations

import json

import pytest

from tests.factories import make_coaching

FULL_KEYS = {"id", "email", "email_verified", "username", "role", "profile_image", "created_at", "profile", "trainer"}
PUBLIC_KEYS = {"id", "username", "role", "profile_image", "profile", "trainer"}


@pytest.fixture
def people(make_user):
    trainer = make_user(role="Trainer", username="coach")
    client_user = make_user(username="client", bio="Runs a lot", fitness_goals="Marathon")
    make_coaching(trainer, client_user, "Active")
    return {
        "owner": make_user(role="Owner", username="boss"),
        "trainer": trainer,
        "client": client_user,
        "other_client": make_user(username="stranger"),
        "other_trainer": make_user(role="Trainer", username="rival"),
    }


# who reads `client`, and sees what
@pytest.mark.parametrize(
    ("viewer", "full"),
    [("client", True), ("owner", True), ("trainer", True), ("other_client", False), ("other_trainer", False)],
)
def test_get_user_visibility(client, login, people, viewer, full):
    response = client.get(f"/api/users/{people['client'].id}", headers=login(people[viewer]))
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == (FULL_KEYS if full else PUBLIC_KEYS)
    if full:
        assert body["profile"]["fitness_goals"] == "Marathon"
    else:
        assert body["profile"] == {"bio": "Runs a lot"}


def test_a_pending_trainer_sees_only_the_public_part(client, login, make_user):
    trainer, someone = make_user(role="Trainer"), make_user()
    make_coaching(trainer, someone, "Pending")
    body = client.get(f"/api/users/{someone.id}", headers=login(trainer)).get_json()
    assert "email" not in body


def test_get_user_anonymous_is_401(client, people):
    assert client.get(f"/api/users/{people['client'].id}").status_code == 401


@pytest.mark.parametrize("user_id", ["999999", "abc", "-1", "0", "99999999999"])
def test_get_unknown_user_is_404(client, login, people, user_id):
    assert client.get(f"/api/users/{user_id}", headers=login(people["client"])).status_code == 404


def test_me_is_the_caller(client, login, people):
    assert client.get("/api/users/me", headers=login(people["trainer"])).get_json()["username"] == "coach"


# ---- update


@pytest.mark.parametrize(
    ("editor", "status"),
    [("client", 200), ("owner", 200), ("trainer", 403), ("other_client", 403), ("other_trainer", 403)],
)
def test_put_user_permission_matrix(client, login, people, editor, status):
    response = client.put(
        f"/api/users/{people['client'].id}", json={"profile": {"bio": "New"}}, headers=login(people[editor])
    )
    assert response.status_code == status


def test_update_profile_fields_partially(client, login, people):
    headers = login(people["client"])
    update = {
        "username": "client_renamed",
        "profile": {
            "weight_kg": 72.5,
            "height_cm": 180,
            "activity_level": "Very Active",
            "timezone": "Pacific/Auckland",
            "birth_date": "1990-05-01",
        },
    }
    body = client.put("/api/users/me", json=update, headers=headers).get_json()
    assert body["username"] == "client_renamed"
    assert body["profile"]["activity_level"] == "Very Active"
    assert body["profile"]["timezone"] == "Pacific/Auckland"
    assert body["profile"]["fitness_goals"] == "Marathon"  # untouched fields stay
    assert client.get("/api/users/me", headers=headers).get_json()["profile"]["weight_kg"] == 72.5


def test_patch_is_a_synonym_of_put(client, login, people):
    response = client.patch("/api/users/me", json={"profile": {"bio": "x"}}, headers=login(people["client"]))
    assert response.status_code == 200 and response.get_json()["profile"]["bio"] == "x"


@pytest.mark.parametrize(
    ("update", "field"),
    [
        ({"profile": {"timezone": "Mars/Olympus"}}, "profile"),
        ({"profile": {"activity_level": "Lazy"}}, "profile"),
        ({"profile": {"weight_kg": -3}}, "profile"),
        ({"profile": {"birth_date": "2999-01-01"}}, "profile"),
        ({"profile": {"unknown": 1}}, "profile"),
        ({"email": "nope"}, "email"),
        ({"id": 3}, "id"),
        ({"created_at": "2020-01-01T00:00:00Z"}, "created_at"),
    ],
)
def test_update_validation(client, login, people, update, field):
    response = client.put("/api/users/me", json=update, headers=login(people["client"]))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]


def test_only_an_owner_sets_roles(client, login, people):
    me = people["client"]
    assert client.put("/api/users/me", json={"role": "Trainer"}, headers=login(me)).status_code == 403
    assert client.put("/api/users/me", json={"role": "User"}, headers=login(me)).status_code == 403
    response = client.put(f"/api/users/{me.id}", json={"role": "Trainer"}, headers=login(people["owner"]))
    assert response.status_code == 200
    assert response.get_json()["trainer"]["accepting_clients"] is True


def test_the_last_owner_cannot_step_down(client, login, people):
    owner = people["owner"]
    response = client.put("/api/users/me", json={"role": "User"}, headers=login(owner))
    assert response.status_code == 409


def test_email_change_keeps_uniqueness(client, login, people):
    taken = people["trainer"].email.upper()
    response = client.put("/api/users/me", json={"email": taken}, headers=login(people["client"]))
    assert response.status_code == 409


def test_email_change_to_own_address_is_fine(client, login, people):
    me = people["client"]
    response = client.put("/api/users/me", json={"email": me.email.upper()}, headers=login(me))
    assert response.status_code == 200 and response.get_json()["email"] == me.email


def test_trainer_block_only_for_trainers(client, login, people):
    response = client.put(
        "/api/users/me", json={"trainer": {"accepting_clients": False}}, headers=login(people["client"])
    )
    assert response.status_code == 422
    response = client.put(
        "/api/users/me",
        json={"trainer": {"specialization": "Powerlifting", "experience_years": 7, "accepting_clients": False}},
        headers=login(people["trainer"]),
    )
    assert response.get_json()["trainer"] == {
        "specialization": "Powerlifting",
        "experience_years": 7,
        "accepting_clients": False,
    }


# ---- the Owner's user list


@pytest.mark.parametrize(("viewer", "status"), [("owner", 200), ("trainer", 403), ("client", 403)])
def test_list_users_is_for_owners(client, login, people, viewer, status):
    assert client.get("/api/users", headers=login(people[viewer])).status_code == status


def test_list_users_filters_and_paginates(client, login, people):
    headers = login(people["owner"])
    trainers = client.get("/api/users?role=Trainer", headers=headers).get_json()
    assert {u["username"] for u in trainers} == {"coach", "rival"}
    assert [u["username"] for u in client.get("/api/users?q=STRAN", headers=headers).get_json()] == ["stranger"]
    page = client.get("/api/users?page=2&page_size=2", headers=headers)
    meta = json.loads(page.headers["X-Pagination"])
    assert meta["total"] == 5 and meta["total_pages"] == 3 and meta["page"] == 2
    assert len(page.get_json()) == 2


def test_like_wildcards_in_q_are_literal(client, login, people):
    assert client.get("/api/users?q=%25", headers=login(people["owner"])).get_json() == []


@pytest.mark.parametrize("query", ["page_size=101", "page_size=0", "page=0", "role=Admin", "colour=red"])
def test_list_users_bad_query_is_422(client, login, people, query):
    response = client.get(f"/api/users?{query}", headers=login(people["owner"]))
    assert response.status_code == 422
    assert "query" in response.get_json()["errors"]


# ---- trainers


def test_trainer_directory(client, login, people, make_user):
    headers = login(people["client"])
    client.put(
        "/api/users/me",
        json={"trainer": {"specialization": "Yoga", "accepting_clients": False}},
        headers=login(people["other_trainer"]),
    )
    everyone = client.get("/api/trainers", headers=headers).get_json()
    assert [t["username"] for t in everyone] == ["coach", "rival"]
    assert "email" not in everyone[0]
    accepting = client.get("/api/trainers?accepting_clients=true", headers=headers).get_json()
    assert [t["username"] for t in accepting] == ["coach"]
    yoga = client.get("/api/trainers?specialization=yog", headers=headers).get_json()
    assert [t["username"] for t in yoga] == ["rival"]
    assert [t["username"] for t in client.get("/api/trainers?q=coa", headers=headers).get_json()] == ["coach"]


def test_trainer_directory_needs_auth(client):
    assert client.get("/api/trainers").status_code == 401
