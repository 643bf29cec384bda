"""The AsyncAPI 3.0 document: valid against the AsyncAPI JSON Schema, and true to the registered handlers."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import jsonschema_rs
import pytest

from app.core import sockets
from app.extensions import socketio

ROOT = Path(__file__).resolve().parents[2]
# The AsyncAPI 3.0.0 JSON Schema, from the @asyncapi/specs package (schemas/3.0.0-without-$id.json, Apache-2.0).
ASYNCAPI_SCHEMA = Path(__file__).parent / "data" / "asyncapi-3.0.0.schema.json"
EMITTERS = {"emit_to_room", "emit_to_user", "emit_to_users", "_announce"}  # _announce: projects' task emits


@pytest.fixture(scope="module")
def document(app):
    response = app.test_client().get("/api/asyncapi.json")
    assert response.status_code == 200
    return response.get_json()


def operations(document, action: str) -> dict[str, dict]:
    """Event name → operation, for the operations of one action ('receive': client events; 'send': server's)."""
    found = {}
    for operation in document["operations"].values():
        if operation["action"] == action:
            (ref,) = operation["messages"]
            key = ref["$ref"].rsplit("/", 1)[1]
            found[document["components"]["messages"][key]["name"]] = operation
    return found


def test_the_document_is_valid_asyncapi_3(document):
    validator = jsonschema_rs.Draft7Validator(json.loads(ASYNCAPI_SCHEMA.read_text()))
    errors = [f"{error.instance_path}: {error.message}" for error in validator.iter_errors(document)]
    assert errors == []
    assert document["asyncapi"] == "3.0.0"


def test_the_validation_can_fail(document):
    broken = {**document, "operations": {"x": {"action": "publish", "channel": {"$ref": "#/channels/socket"}}}}
    assert not jsonschema_rs.Draft7Validator(json.loads(ASYNCAPI_SCHEMA.read_text())).is_valid(broken)


def test_client_events_are_exactly_the_registered_handlers(app, document):
    handlers = set(socketio.server.handlers["/"])
    assert handlers >= sockets.CORE_HANDLERS  # lifecycle, unknown- and undecodable-event answers: no client events
    registered = handlers - sockets.CORE_HANDLERS
    documented = set(operations(document, "receive"))
    assert documented.isdisjoint(sockets.CORE_HANDLERS)
    # Handlers that tests declare (tests/core/test_sockets.py) are registered, and documented, in a test run only.
    assert {n for n in documented if not n.startswith("test_")} == {n for n in registered if not n.startswith("test_")}
    assert {"send_message", "mark_read", "typing", "join_project", "leave_project"} <= documented


def test_server_events_are_exactly_the_ones_the_code_emits(document):
    assert set(operations(document, "send")) == emitted_events()


def test_every_acknowledged_client_event_documents_its_reply(document):
    for name, operation in operations(document, "receive").items():
        (reply,) = operation["reply"]["messages"]
        key = reply["$ref"].rsplit("/", 1)[1]
        assert document["components"]["messages"][key]["payload"]["schema"], name
    send = operations(document, "receive")["send_message"]
    payload = document["components"]["messages"]["client.send_message"]["payload"]["schema"]
    assert {"receiver_id", "content", "client_msg_id"} <= set(payload["properties"])
    assert send["reply"]


def test_payloads_are_the_rest_objects(app, document):
    messages = document["components"]["messages"]
    rest = app.test_client().get("/api/openapi.json").get_json()["components"]["schemas"]
    assert messages["server.message"]["payload"]["schema"]["properties"] == rest["Message"]["properties"]
    assert messages["server.notification"]["payload"]["schema"]["properties"] == rest["Notification"]["properties"]
    assert set(messages["server.task_created"]["payload"]["schema"]["properties"]) == set(rest["Task"]["properties"])


def test_the_docs_link_to_it_and_say_how_to_authorize(app):
    spec = app.test_client().get("/api/openapi.json").get_json()
    assert "/api/asyncapi.json" in spec["info"]["description"]
    for topic in ("Register", "Refresh", "Errors", "X-Pagination", "before=", "Retry-After", "reconnect recipe"):
        assert topic in spec["info"]["description"], topic
    assert "POST /api/login" in spec["components"]["securitySchemes"]["bearerAuth"]["description"]


def test_client_events_carry_the_rest_bodys_example(document):
    example = document["components"]["messages"]["client.send_message"]["examples"][0]["payload"]
    assert {"receiver_id", "content", "client_msg_id"} == set(example)


def emitted_events() -> set[str]:
    """Event names passed as string literals to the emit helpers anywhere under app/."""
    names = set()
    for path in (ROOT / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in EMITTERS:
                names |= {a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    return names
