"""The AsyncAPI 3.0 document of the Socket.IO events, served at /api/asyncapi.json.

Client events come from the handlers the domains declared (`sockets.declared_events()`: name, payload schema,
docstring); server events are listed here with their rooms. Payloads that are REST objects (message,
notification, task) are the OpenAPI document's own schemas, in OpenAPI's schema format.
"""

from __future__ import annotations

import copy
from typing import Any

from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app

from app.core import sockets
from app.extensions import api

OPENAPI_FORMAT = "application/vnd.oai.openapi+json;version=3.0.0"
CHANNEL = "socket"

ERROR = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {
            "type": "integer",
            "description": "The HTTP status REST would give (401, 403, 404, 409, 413, 422, 429)",
        },
        "message": {"type": "string"},
        "errors": {
            "type": "object",
            "description": "For a 422: `{location: {field: [messages]}}`, as REST's",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
        },
    },
}
FAILED_ACK = {
    "type": "object",
    "required": ["ok", "error"],
    "properties": {"ok": {"type": "boolean", "enum": [False]}, "error": ERROR},
}
OK = {"type": "boolean", "enum": [True]}
# The ack of each client event when it succeeds (None: the event is not acknowledged when it succeeds); OpenAPI
# schemas (`$ref`s name the REST API's components).
OK_ACKS: dict[str, dict[str, Any] | None] = {
    "send_message": {
        "type": "object",
        "required": ["ok", "message"],
        "properties": {"ok": OK, "message": {"$ref": "#/components/schemas/Message"}},
    },
    "mark_read": {"type": "object", "required": ["ok"], "properties": {"ok": OK}},
    "typing": None,
    "join_project": {"type": "object", "required": ["ok"], "properties": {"ok": OK}},
    "leave_project": {"type": "object", "required": ["ok"], "properties": {"ok": OK}},
}


def _ids(*names: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": list(names),
        "properties": {name: {"type": "integer"} for name in names},
        "additionalProperties": False,
    }


# Server → client events: payload (a schema here, or an OpenAPI component by name), rooms, what it means.
SERVER_EVENTS: dict[str, tuple[dict[str, Any] | str, str, str]] = {
    "message": ("Message", "user:<receiver_id>, user:<sender_id>", "A chat message was stored (REST or socket)."),
    "messages_read": (
        _ids("by", "up_to"),
        "user:<sender_id>, and the reader's other sockets",
        "`by` read the messages sent to them up to `up_to`.",
    ),
    "typing": (
        {"type": "object", "required": ["from"], "properties": {"from": {"type": "integer"}}},
        "user:<to>",
        "`from` is typing to you (not stored).",
    ),
    "notification": ("Notification", "user:<id>", "A new notification (reminder, message digest, assignment...)."),
    "task_created": ("Task", "project:<project_id>", "A task was created in a project you joined."),
    "task_updated": ("Task", "project:<project_id>", "A task of a project you joined changed."),
    "task_deleted": (_ids("id", "project_id"), "project:<project_id>", "A task was deleted."),
    "task_assigned": ("Task", "user:<assignee_id>", "A task was assigned to you."),
    "project_deleted": (
        _ids("id"),
        "project:<id>",
        "A project you joined was deleted; its room is closed.",
    ),
}

DESCRIPTION = """Spotter's real-time events over Socket.IO (Engine.IO 4), namespace `/`.

Connect with `auth={"token": "<access JWT>"}` (or the query `?token=`); a missing, invalid or revoked token
refuses the connection. Every socket joins the room `user:<id>`; `join_project` adds `project:<id>`.
Every client event but `typing` is acknowledged: `{ok: true, ...}` or `{ok: false, error: {code, message}}`
with the HTTP status REST would give. An unknown event gets `{ok: false, error: {code: 404}}`; one whose payload
is not JSON the server reads (malformed, or nested too deeply) gets `{ok: false, error: {code: 400}}`.
After a reconnect, catch up over REST (the reconnect recipe in the REST API's description)."""


def asyncapi_document() -> dict[str, Any]:
    """Build the AsyncAPI 3.0 document from the declared handlers and the OpenAPI components."""
    openapi = api.spec.to_dict()
    messages: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for event, schema, doc in sockets.declared_events():
        messages[f"client.{event}"] = _message(event, _openapi(openapi, _json_schema(schema)), doc)
        if getattr(schema, "EXAMPLE", None) is not None:  # the REST body's example, for the same payload
            messages[f"client.{event}"]["examples"] = [{"name": "example", "payload": schema.EXAMPLE}]
        operation: dict[str, Any] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{CHANNEL}"},
            "summary": doc.splitlines()[0] if doc else event,
            "messages": [{"$ref": f"#/channels/{CHANNEL}/messages/client.{event}"}],
        }
        ok = OK_ACKS.get(event)
        messages[f"ack.{event}"] = _message(
            f"{event} ack",
            _openapi(openapi, {"oneOf": [ok, FAILED_ACK]} if ok else FAILED_ACK),
            "The acknowledgement." if ok else "Sent only when the event is refused.",
        )
        operation["reply"] = {
            "channel": {"$ref": f"#/channels/{CHANNEL}"},
            "messages": [{"$ref": f"#/channels/{CHANNEL}/messages/ack.{event}"}],
        }
        operations[f"client.{event}"] = operation
    for event, (payload, rooms, doc) in SERVER_EVENTS.items():
        body = {"$ref": f"#/components/schemas/{payload}"} if isinstance(payload, str) else payload
        messages[f"server.{event}"] = _message(event, _openapi(openapi, body), doc)
        operations[f"server.{event}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{CHANNEL}"},
            "summary": doc,
            "description": f"Emitted to the room(s) {rooms}.",
            "x-rooms": rooms,
            "messages": [{"$ref": f"#/channels/{CHANNEL}/messages/server.{event}"}],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Spotter real-time events",
            "version": current_app.config["API_VERSION"],
            "description": DESCRIPTION,
        },
        "defaultContentType": "application/json",
        "servers": {
            "spotter": {
                "host": "localhost:5000",
                "protocol": "ws",
                "pathname": sockets.PATH,
                "description": "The web process: Socket.IO over WebSocket or long-polling (your deployment's host).",
                "security": [{"$ref": "#/components/securitySchemes/accessToken"}],
            }
        },
        "channels": {
            CHANNEL: {
                "address": sockets.NAMESPACE,
                "title": "Socket.IO namespace /",
                "description": "Rooms: `user:<id>` (joined on connect) and `project:<id>` (`join_project`).",
                "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in messages},
            }
        },
        "operations": operations,
        "components": {
            "messages": messages,
            "securitySchemes": {
                "accessToken": {
                    "type": "httpApiKey",
                    "name": "token",
                    "in": "query",
                    "description": "The access JWT from `POST /api/login`, as `auth={token}` or the `token` query.",
                }
            },
        },
    }


def _message(name: str, payload: dict[str, Any], summary: str) -> dict[str, Any]:
    """A message: its Socket.IO event name, what it means, its payload."""
    return {"name": name, "title": name, "summary": summary.splitlines()[0] if summary else name, "payload": payload}


def _json_schema(schema: Any) -> dict[str, Any]:
    """A client event's payload schema as OpenAPI reads the marshmallow schema (any object when it has none)."""
    if schema is None:
        return {}
    plugin = next(plugin for plugin in api.spec.plugins if isinstance(plugin, MarshmallowPlugin))
    return plugin.converter.schema2jsonschema(schema)


def _openapi(openapi: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """A payload in OpenAPI's schema format, with the REST API's components it names inlined."""
    return {"schemaFormat": OPENAPI_FORMAT, "schema": _inline(openapi, schema)}


def _inline(openapi: dict[str, Any], node: Any) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            return _inline(openapi, openapi["components"]["schemas"][ref.rsplit("/", 1)[1]])
        return {key: _inline(openapi, value) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(openapi, value) for value in node]
    return copy.deepcopy(node)
