"""DELETE /api/users/me and the erasure job: logins revoked at once, no trace left, idempotent."""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from threading import Thread

import jwt
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import rsa

from app.accounts.models import Identity, LoginSession, OAuthProvider, User
from app.chat.models import Message
from app.extensions import db
from app.privacy import erasure
from app.privacy import services as privacy_services
from app.privacy.models import Consent, Erasure
from app.social.models import Activity, Comment
from app.training.models import TrainingSession
from app.workouts.models import Workout
from tests.conftest import free_port, wait_for
from tests.factories import PASSWORD, make_user
from tests.privacy.conftest import make_world


def scan(world) -> list[str]:
    """Every text and JSON value of every table (and every stored object) that still names the person."""
    needles = (world.email.lower(), world.username.lower())
    found = []
    for table, column in erasure.text_columns():
        key = list(table.primary_key.columns)
        for row in db.session.execute(sa.select(*key, column)).all():
            value = row[-1]
            if value is None:
                continue
            text = value if isinstance(value, str) else json.dumps(value, default=str)
            if any(needle in text.lower() for needle in needles):
                found.append(f"{table.name}.{column.name} {row[:-1]}: {text[:80]}")
            if isinstance(column.type, sa.JSON) and erasure.names_person(value, world.me.id):
                found.append(f"{table.name}.{column.name} {row[:-1]} names the id: {text[:80]}")
    return found


def stored_traces(store, world) -> list[str]:
    return [key for key in store.list("") if f"/{world.me.id}/" in f"/{key}" or world.username in key]


def test_erasure_leaves_no_trace_but_the_tombstone(client, login, store):
    world = make_world(store)
    headers = login(world.me)
    assert scan(world), "the scan must see the person before the erasure"
    assert stored_traces(store, world)

    response = client.delete("/api/users/me", json={"password": PASSWORD}, headers=headers)
    assert response.status_code == 202
    assert client.get("/api/users/me", headers=headers).status_code == 401  # every login revoked at once
    assert privacy_services.erase_user(world.me.id) is True
    db.session.commit()

    assert scan(world) == []
    assert stored_traces(store, world) == []
    tombstone = db.session.get(User, world.me.id)
    assert tombstone.password_hash is None and tombstone.email.endswith("@erased.invalid")
    assert db.session.get(Erasure, world.me.id).completed_at is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Consent)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).where(LoginSession.user_id == world.me.id)) == 0


def test_what_others_need_stays_under_the_tombstone(client, login, store):
    world = make_world(store)
    privacy_services.request_erasure(world.me, password=PASSWORD)
    privacy_services.erase_user(world.me.id)
    db.session.commit()

    # The client's session of the trainer's workout, and the workout it refers to, stay.
    assert db.session.get(TrainingSession, world.client_session_id) is not None
    assert db.session.get(Workout, world.workout_id).created_by_id == world.me.id
    # Messages both ways stay, with the text scrubbed; the comment stays, its author the tombstone.
    contents = db.session.scalars(sa.select(Message.content).order_by(Message.id)).all()
    assert contents == ["hi, it's deleted user", "hello deleted user"]
    comment = db.session.scalars(sa.select(Comment)).one()
    assert comment.user_id == world.me.id and comment.content == "nice one from deleted user"
    activity = db.session.get(Activity, world.friend_activity_id)
    assert activity.kudos_count == 0  # the denormalized counter follows the deleted kudos
    # The person's own rows are gone.
    assert db.session.scalar(sa.select(sa.func.count()).where(TrainingSession.user_id == world.me.id)) == 0


def test_comments_show_deleted_user_and_two_tombstones_coexist(client, login, store):
    world = make_world(store)
    second = make_user()
    for person in (world.me, second):
        privacy_services.request_erasure(person, password=PASSWORD)
        privacy_services.erase_user(person.id)
    db.session.commit()
    listed = client.get(f"/api/activities/{world.friend_activity_id}/comments", headers=login(world.friend))
    assert listed.status_code == 200
    [comment] = listed.get_json()
    assert comment["user"]["id"] == world.me.id and comment["user"]["username"] == "deleted user"
    assert comment["content"] == "nice one from deleted user"
    names = db.session.scalars(sa.select(User.username).where(User.id.in_([world.me.id, second.id]))).all()
    assert names == ["deleted user", "deleted user"]


def test_the_job_is_idempotent_and_reruns_after_a_crash(store):
    world = make_world(store)
    privacy_services.request_erasure(world.me, password=PASSWORD)
    db.session.commit()
    savepoint = db.session.begin_nested()
    assert privacy_services.erase_user(world.me.id) is True
    savepoint.rollback()  # the worker died before its commit: nothing of it stays
    db.session.expire_all()
    assert db.session.get(Erasure, world.me.id).completed_at is None

    assert privacy_services.erase_user(world.me.id) is True
    db.session.commit()
    assert privacy_services.erase_user(world.me.id) is False  # done: a second run changes nothing
    assert scan(world) == []


def test_the_email_can_register_again(client, store):
    world = make_world(store)
    privacy_services.request_erasure(world.me, password=PASSWORD)
    privacy_services.erase_user(world.me.id)
    db.session.commit()
    body = {"email": world.email, "username": world.username, "password": PASSWORD}
    response = client.post("/api/register", json=body)
    assert response.status_code == 201, response.get_json()
    again = db.session.scalars(sa.select(User).where(User.email == world.email)).one()
    assert again.id != world.me.id


def test_a_wrong_or_missing_password_is_refused(client, login):
    me = make_user()
    headers = login(me)
    wrong = client.delete("/api/users/me", json={"password": "not it"}, headers=headers)
    assert wrong.status_code == 401
    missing = client.delete("/api/users/me", json={}, headers=headers)
    assert missing.status_code == 422 and "password" in missing.get_json()["errors"]["json"]
    assert client.delete("/api/users/me", json={"password": PASSWORD}).status_code == 401  # no token
    assert db.session.get(Erasure, me.id) is None
    assert client.get("/api/users/me", headers=headers).status_code == 200


def test_a_second_request_is_a_conflict(client, login):
    me = make_user()
    headers = login(me)
    other_login = login(me)
    assert client.delete("/api/users/me", json={"password": PASSWORD}, headers=headers).status_code == 202
    assert client.delete("/api/users/me", json={"password": PASSWORD}, headers=other_login).status_code == 401
    assert client.post("/api/login", json={"email": me.email, "password": PASSWORD}).status_code == 401


@pytest.mark.live
def test_the_job_runs_on_a_real_worker(client, login, store, celery_worker):
    me = make_user()
    headers = login(me)
    assert client.delete("/api/users/me", json={"password": PASSWORD}, headers=headers).status_code == 202

    def done():
        db.session.expire_all()
        return db.session.get(Erasure, me.id).completed_at

    wait_for(done)
    db.session.expire_all()
    fresh = db.session.execute(sa.text("SELECT email, now() FROM users WHERE id = :id"), {"id": me.id}).one()
    assert fresh[0].endswith("@erased.invalid"), (fresh, done(), db.session.get(Erasure, me.id).requested_at)


@pytest.fixture
def google_keys(app):
    """A JWKS server of our own standing in for Google's; returns a function signing ID tokens."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())), "kid": "k1", "alg": "RS256"}
    body = json.dumps({"keys": [jwk]}).encode()

    class Keys(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", free_port()), Keys)
    Thread(target=server.serve_forever, daemon=True).start()
    saved = {name: app.config[name] for name in ("GOOGLE_CLIENT_IDS", "GOOGLE_JWKS_URL")}
    app.config.update(GOOGLE_CLIENT_IDS="spotter-client", GOOGLE_JWKS_URL=f"http://127.0.0.1:{server.server_port}/")
    app.extensions.pop("oauth_key_sets", None)

    def sign(subject: str) -> str:
        now = int(time.time())
        claims = {
            "iss": "https://accounts.google.com",
            "aud": "spotter-client",
            "sub": subject,
            "iat": now,
            "exp": now + 600,
            "email": "x@example.com",
            "email_verified": True,
        }
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})

    yield sign
    app.config.update(saved)
    app.extensions.pop("oauth_key_sets", None)
    server.shutdown()


def test_an_account_without_a_password_proves_itself_with_an_id_token(client, login, google_keys):
    me = make_user()
    headers = login(me)
    me.password_hash = None
    db.session.add(Identity(user_id=me.id, provider=OAuthProvider.GOOGLE, subject="google-sub-1"))
    db.session.commit()
    missing = client.delete("/api/users/me", json={}, headers=headers)
    assert missing.status_code == 422 and "id_token" in missing.get_json()["errors"]["json"]
    stranger = {"provider": "google", "id_token": google_keys("someone-else")}
    assert client.delete("/api/users/me", json=stranger, headers=headers).status_code == 401
    assert db.session.get(Erasure, me.id) is None

    mine = {"provider": "google", "id_token": google_keys("google-sub-1")}
    assert client.delete("/api/users/me", json=mine, headers=headers).status_code == 202
    assert db.session.get(Erasure, me.id) is not None
    assert db.session.scalar(sa.select(sa.func.count()).where(Identity.user_id == me.id)) == 0
