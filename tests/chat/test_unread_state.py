"""A Hypothesis state machine: whatever the order of sends, reads, blocks and unblocks, unread counts are right."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from app.chat.models import Message
from app.extensions import db
from tests.chat.conftest import bearer
from tests.factories import make_coaching, make_user

NAMES = ("trainer", "client", "owner", "stranger")


def allowed(sender: str, receiver: str, blocks: set, wrote: set) -> bool:
    """The model of API.md §5 for these four people."""
    if sender == receiver or (sender, receiver) in blocks or (receiver, sender) in blocks:
        return False
    if "owner" in (sender, receiver) or {sender, receiver} == {"trainer", "client"}:
        return True
    if (sender, receiver) == ("stranger", "trainer"):
        return True  # an inquiry
    return (sender, receiver) == ("trainer", "stranger") and ("stranger", "trainer") in wrote


@pytest.fixture
def fast_sends(app_config):
    app_config["CHAT_SEND_RATE"] = "1000 per second"


def test_unread_counts_state_machine(client, fast_sends):
    class Chat(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.users = {
                "trainer": make_user(role="Trainer"),
                "client": make_user(),
                "owner": make_user(role="Owner"),
                "stranger": make_user(),
            }
            make_coaching(self.users["trainer"], self.users["client"])
            self.headers = {name: bearer(user) for name, user in self.users.items()}
            self.messages: list[dict] = []  # the model: {id, sender, receiver, read}
            self.blocks: set[tuple[str, str]] = set()
            self.wrote: set[tuple[str, str]] = set()

        @rule(sender=st.sampled_from(NAMES), receiver=st.sampled_from(NAMES))
        def send(self, sender, receiver):
            response = client.post(
                "/api/messages",
                json={"receiver_id": self.users[receiver].id, "content": "hi"},
                headers=self.headers[sender],
            )
            if sender == receiver:
                assert response.status_code == 422
            elif allowed(sender, receiver, self.blocks, self.wrote):
                assert response.status_code == 201, response.get_json()
                self.messages.append({"id": response.get_json()["id"], "s": sender, "r": receiver, "read": False})
                self.wrote.add((sender, receiver))
            else:
                assert response.status_code == 403, response.get_json()

        @rule(reader=st.sampled_from(NAMES), peer=st.sampled_from(NAMES), back=st.integers(0, 5))
        def read(self, reader, peer, back):
            ids = [m["id"] for m in self.messages]
            up_to = ids[-1 - back] if len(ids) > back else 1
            response = client.post(
                "/api/messages/read", json={"with": self.users[peer].id, "up_to": up_to}, headers=self.headers[reader]
            )
            assert response.status_code == 204
            for message in self.messages:
                if message["r"] == reader and message["s"] == peer and message["id"] <= up_to:
                    message["read"] = True

        @rule(blocker=st.sampled_from(NAMES), blocked=st.sampled_from(NAMES), lift=st.booleans())
        def block(self, blocker, blocked, lift):
            path = f"/api/users/{self.users[blocked].id}/block"
            response = (client.delete if lift else client.post)(path, headers=self.headers[blocker])
            if blocker == blocked and not lift:
                assert response.status_code == 422
                return
            assert response.status_code == 204
            (self.blocks.discard if lift else self.blocks.add)((blocker, blocked))

        @invariant()
        def unread_matches_the_rows_and_the_model(self):
            for name, user in self.users.items():
                body = client.get("/api/messages/unread", headers=self.headers[name]).get_json()
                rows = db.session.execute(
                    db.select(Message.sender_id).where(Message.receiver_id == user.id, Message.read_at.is_(None))
                ).scalars()
                from_rows = Counter(str(sender_id) for sender_id in rows)
                model = Counter(str(self.users[m["s"]].id) for m in self.messages if m["r"] == name and not m["read"])
                assert body["by_sender"] == dict(from_rows) == dict(model)
                assert body["total"] == sum(from_rows.values())

        @invariant()
        def conversations_agree_with_unread(self):
            for name in ("trainer", "client"):
                rows = client.get("/api/conversations?page_size=100", headers=self.headers[name]).get_json()
                unread = client.get("/api/messages/unread", headers=self.headers[name]).get_json()
                assert {str(r["peer"]["id"]): r["unread_count"] for r in rows if r["unread_count"]} == unread[
                    "by_sender"
                ]

    run_state_machine_as_test(
        Chat,
        settings=settings(
            max_examples=25,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
