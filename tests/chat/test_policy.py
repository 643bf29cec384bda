"""Who may message whom (app/chat/policy.py), tested directly."""

from __future__ import annotations

import pytest

from app.chat import policy
from app.chat.models import Block
from app.extensions import db
from tests.chat.conftest import send
from tests.factories import make_coaching, make_user


@pytest.mark.parametrize(
    ("sender", "receiver", "allowed"),
    [
        ("client", "trainer", True),  # active coaching pair, both ways
        ("trainer", "client", True),
        ("stranger", "trainer", True),  # an inquiry to a trainer accepting clients
        ("trainer", "stranger", False),  # a trainer may not cold-message a User
        ("stranger", "closed_trainer", False),  # not accepting clients
        ("stranger", "other_user", False),  # two Users
        ("trainer", "closed_trainer", False),  # two Trainers, no coaching
        ("closed_trainer", "trainer", False),  # a Trainer is not an inquirer
        ("owner", "stranger", True),  # an Owner writes to anyone
        ("stranger", "owner", True),  # and anyone to an Owner
        ("owner", "closed_trainer", True),
        ("client", "client", False),  # not yourself
    ],
)
def test_can_message_matrix(cast, sender, receiver, allowed):
    assert policy.can_message(getattr(cast, sender), getattr(cast, receiver)) is allowed


@pytest.mark.parametrize("status", ["Pending", "Declined", "Ended"])
def test_only_an_active_relationship_counts(status):
    trainer, client = make_user(role="Trainer"), make_user(role="Trainer")  # a Trainer client: no inquiry rule
    make_coaching(trainer, client, status=status)
    assert not policy.can_message(trainer, client)
    assert not policy.can_message(client, trainer)


def test_a_trainer_may_answer_a_user_who_wrote_to_them(cast):
    assert not policy.can_message(cast.trainer, cast.stranger)
    send(cast.stranger, cast.trainer, "Do you coach beginners?")
    assert policy.can_message(cast.trainer, cast.stranger)
    assert not policy.can_message(cast.trainer, cast.other_user)


@pytest.mark.parametrize(("blocker", "blocked"), [("client", "trainer"), ("trainer", "client")])
def test_a_block_stops_messages_both_ways(cast, blocker, blocked):
    db.session.add(Block(blocker_id=getattr(cast, blocker).id, blocked_id=getattr(cast, blocked).id))
    db.session.flush()
    assert policy.is_blocked(cast.client.id, cast.trainer.id)
    assert not policy.can_message(cast.client, cast.trainer)
    assert not policy.can_message(cast.trainer, cast.client)


def test_a_block_overrides_the_owner_rule(cast):
    db.session.add(Block(blocker_id=cast.stranger.id, blocked_id=cast.owner.id))
    db.session.flush()
    assert not policy.can_message(cast.owner, cast.stranger)
    assert not policy.can_message(cast.stranger, cast.owner)
