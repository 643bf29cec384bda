"""Fixtures for chat: users of every kind, tokens issued through the services, in-process socket clients."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from app.accounts import services as accounts_services
from app.accounts.models import User
from app.chat import services as chat_services
from app.extensions import db
from tests.factories import make_coaching, make_user


def bearer(user: User) -> dict:
    """Open a login for the user and return its Authorization header."""
    tokens = accounts_services.issue_tokens(user)
    db.session.commit()
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def token_of(user: User) -> str:
    return bearer(user)["Authorization"].split()[1]


def send(sender: User, receiver: User, content: str = "hello", **kwargs):
    """Store a message through the service, as a request would, and commit it."""
    message, _created = chat_services.send_message(sender, receiver.id, content, **kwargs)
    db.session.commit()
    return message


@dataclass
class Cast:
    """A trainer with an active client, a trainer not accepting clients, a stranger, an Owner."""

    trainer: User
    client: User
    closed_trainer: User
    stranger: User
    other_user: User
    owner: User


@pytest.fixture
def cast() -> Cast:
    trainer = make_user(role="Trainer", username="coach_sam")
    client = make_user()
    closed = make_user(role="Trainer")
    closed.trainer_profile.accepting_clients = False
    db.session.commit()
    make_coaching(trainer, client)
    return Cast(trainer, client, closed, make_user(), make_user(), make_user(role="Owner"))


@pytest.fixture
def connect(socket_client):
    """Connect in-process Socket.IO test clients as users; all are disconnected afterwards."""

    def _connect(user):
        client = socket_client(token=token_of(user))
        assert client.is_connected()
        return client

    return _connect


def received(client, name: str) -> list:
    """Return (and consume) the payloads of one event a test client received."""
    # Flask-SocketIO's test client gives the `message` event's payload as is, other events' as a list of args.
    return [
        event["args"] if event["name"] == "message" else event["args"][0]
        for event in client.get_received()
        if event["name"] == name
    ]
