"""Socket handlers are registered by the factory; each `single_statement` claim is held to by the statement counter."""

from __future__ import annotations

import re

from app.chat import events as chat_events
from app.core import sockets
from app.notifications import services as notifications_services
from app.projects import events as projects_events
from tests.chat.conftest import send, token_of
from tests.conftest import sql_statements

WRITE = re.compile(r"\b(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


def writes(statements: list[str]) -> list[str]:
    """The statements that change the database (a data-modifying CTE included)."""
    return [statement for statement in statements if WRITE.search(statement)]


# One scenario per single-statement event: what a client sends, on a cast (tests/chat/conftest.py) it may use.
SCENARIOS = {
    "send_message": lambda cast: {"receiver_id": cast.trainer.id, "content": "hi", "client_msg_id": "s1"},
    "mark_read": lambda cast: {"with": send(cast.trainer, cast.client, "x").sender_id, "up_to": 2_000_000_000},
    "typing": lambda cast: {"to": cast.trainer.id},
}


def test_the_factory_registers_every_domains_handlers_and_nothing_else(app):
    registered = [handler.event for handler in app.extensions[sockets.HANDLERS]]
    declared = [handler.event for handler in chat_events.HANDLERS + projects_events.HANDLERS]
    assert registered[: len(declared)] == declared  # then only what tests bind for themselves
    assert all(event.startswith("test_") for event in registered[len(declared) :])


def test_every_single_statement_handler_changes_the_database_in_at_most_one_statement(app, socket_client, cast):
    claimed = [handler for handler in app.extensions[sockets.HANDLERS] if handler.single_statement]
    assert {handler.event for handler in claimed} == set(SCENARIOS)  # a new claim needs its scenario here
    client = socket_client(token=token_of(cast.client))
    counted = {}
    for handler in claimed:
        payload = SCENARIOS[handler.event](cast)
        with sql_statements() as seen:
            ack = client.emit(handler.event, payload, callback=True)
        assert ack is None or ack["ok"] is True, (handler.event, ack)
        assert len(writes(seen)) <= 1, (handler.event, writes(seen))
        counted[handler.event] = len(writes(seen))
    assert counted == {"send_message": 1, "mark_read": 1, "typing": 0}  # the counter sees the direct statements


def test_the_counter_sees_a_handler_that_writes_twice(app, socket_client, cast):
    """The check above can fail: a handler that claims one statement and runs two is caught."""

    @sockets.on_event("test_two_writes", single_statement=True)
    def two_writes(user, data):
        notifications_services.notify(user.id, "test", "One")
        notifications_services.notify(user.id, "test", "Two")

    sockets.register_handlers(app, [two_writes])
    client = socket_client(token=token_of(cast.client))
    with sql_statements() as seen:
        assert client.emit("test_two_writes", {}, callback=True)["ok"] is True
    assert len(writes(seen)) >= 2
