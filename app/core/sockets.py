"""Socket.IO as a transport: authenticated connections, validated handlers, and the one emit helper."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache, partial, wraps
from typing import TYPE_CHECKING, Any

import marshmallow as ma
from flask import Flask, current_app, request, session
from flask_jwt_extended import decode_token
from flask_socketio import SocketIO, join_room, leave_room
from socketio.exceptions import ConnectionRefusedError
from sqlalchemy.exc import IntegrityError

from app.core.db import after_commit
from app.core.errors import AppError, Unauthorized, error_body
from app.extensions import db, socketio

if TYPE_CHECKING:
    from app.accounts.models import User

log = logging.getLogger(__name__)

NAMESPACE = "/"
SESSION_USER_ID = "socket_user_id"
SESSION_CLAIMS = "socket_token_claims"
Handler = Callable[[Any, Any], dict | None]


@dataclass(frozen=True, slots=True)
class SocketUser:
    """The user a socket authenticated as, by id: what a handler declared with `load_user=False` gets."""

    id: int


# (event, handler, schema, load_user) of every domain handler; registered on the server by `register_handlers`.
_registry: list[tuple[str, Handler, type[ma.Schema] | None, bool]] = []


def user_room(user_id: int) -> str:
    """Name the room every socket of a user joins on connect."""
    return f"user:{user_id}"


# ---- emitting


def emit_to_room(room: str | list[str], event: str, payload: Any, *, now: bool = False) -> None:
    """Emit to a room (or to several, once per socket) on every web process, once the current transaction
    commits (`now=True`: at once)."""
    if now:
        _emit(room, event, payload)
    else:
        after_commit(db.session, partial(_emit, room, event, payload))


def emit_to_user(user_id: int, event: str, payload: Any, *, now: bool = False) -> None:
    """Emit to every socket of a user, once the current transaction commits (`now=True`: at once)."""
    emit_to_room(user_room(user_id), event, payload, now=now)


def emit_to_users(user_ids: Iterable[int], event: str, payload: Any, *, now: bool = False) -> None:
    """Emit to every socket of several users in one publish on the message queue (a socket in two of their
    rooms gets it once), after commit (`now=True`: at once)."""
    emit_to_room([user_room(user_id) for user_id in user_ids], event, payload, now=now)


def _emit(room: str | list[str], event: str, payload: Any) -> None:
    # The change is already committed: a failed emit is logged, never turned into a failed request.
    try:
        _emitter().emit(event, payload, to=room, namespace=NAMESPACE)
    except Exception:
        log.exception("socket emit failed: %s to %s", event, room)


def _emitter() -> SocketIO:
    """The app's server in web and worker processes (it publishes to the message queue when one is set).

    A worker never accepts connections, so its queue manager never starts listening: it only publishes,
    like Flask-SocketIO's write-only emitter for external processes, which is the fallback when no
    server was bound in this process.
    """
    if socketio.server is not None:
        return socketio
    return external_emitter(current_app.config["SOCKETIO_MESSAGE_QUEUE"], current_app.config["SOCKETIO_CHANNEL"])


@lru_cache(maxsize=4)
def external_emitter(message_queue: str, channel: str) -> SocketIO:
    """A write-only emitter for a process with no Socket.IO server ("Emitting from an External Process")."""
    return SocketIO(message_queue=message_queue, channel=channel)


def remove_user_from_room(user_id: int, room: str) -> None:
    """Make this process's sockets of a user leave a room (e.g. a project they were removed from)."""
    server = socketio.server
    if server is None:
        return
    for sid, _eio_sid in list(server.manager.get_participants(NAMESPACE, user_room(user_id))):
        server.leave_room(sid, room, namespace=NAMESPACE)


# ---- acks


def ok_ack(**fields: Any) -> dict:
    """Build a success ack."""
    return {"ok": True, **fields}


def error_ack(code: int, message: str | None = None, errors: dict | None = None) -> dict:
    """Build an error ack with REST's status code and message (and field errors for a 422)."""
    body = error_body(code, message, errors)
    error = {"code": body["code"], "message": body["message"]}
    if errors:
        error["errors"] = errors
    return {"ok": False, "error": error}


# ---- handlers


def on_event(
    event: str, schema: type[ma.Schema] | None = None, *, load_user: bool = True
) -> Callable[[Handler], Handler]:
    """Declare a client event handler `fn(user, payload)`; it runs validated, authenticated, in a unit of work.

    `user` is the User row, loaded per event; with `load_user=False` it is a `SocketUser` (the id only), for
    handlers whose services need no more, so that an event costs no query for the user.
    """

    def decorator(fn: Handler) -> Handler:
        _registry.append((event, fn, schema, load_user))
        if socketio.server is not None:  # declared after the app was built: bind it now too
            socketio.on_event(event, _wrap(fn, schema, load_user), namespace=NAMESPACE)
        return fn

    return decorator


def _wrap(fn: Handler, schema_class: type[ma.Schema] | None, load_user: bool) -> Callable[..., dict]:
    schema = schema_class() if schema_class else None  # one instance: loading keeps no state in it

    @wraps(fn)
    def handler(data: Any = None, *_ignored: Any) -> dict:
        try:
            user = _socket_user(load_user)
            payload = schema.load({} if data is None else data) if schema else data
            result = fn(user, payload)
            db.session.commit()
            return ok_ack(**(result or {}))
        except ma.ValidationError as error:
            db.session.rollback()
            messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
            return error_ack(422, "Validation failed.", {"json": messages})
        except AppError as error:
            db.session.rollback()
            return error_ack(error.code, error.message, error.errors)
        except IntegrityError:
            db.session.rollback()
            return error_ack(409, "The request conflicts with existing data.")
        except Exception:
            db.session.rollback()
            log.exception("socket handler %s failed", fn.__name__)
            return error_ack(500, "The server hit an unexpected error; it has been logged.")

    return handler


def _socket_user(load: bool) -> User | SocketUser:
    """The user of this socket (the row, or with `load=False` the id), as long as its login is not revoked."""
    from app.accounts import services as accounts_services

    claims = session.get(SESSION_CLAIMS)
    if claims is None or accounts_services.is_login_revoked(claims):
        raise Unauthorized("The token has been revoked.")
    if not load:
        return SocketUser(session[SESSION_USER_ID])
    user = accounts_services.user_for_identity(claims.get("sub"))
    if user is None:
        raise Unauthorized("The token has been revoked.")
    return user


def _token(auth: Any) -> str | None:
    if isinstance(auth, dict) and isinstance(auth.get("token"), str):
        return auth["token"]
    return request.args.get("token") or None


def _on_connect(auth: Any = None) -> None:
    """Authenticate with the access JWT; join the user's room; refuse anything else."""
    from app.accounts import services as accounts_services

    token = _token(auth)
    if not token:
        raise ConnectionRefusedError("A token is required.", {"code": 401})
    try:
        payload = decode_token(token)
    except Exception as error:  # expired, bad signature, malformed: all a refusal
        raise ConnectionRefusedError("The token is invalid or expired.", {"code": 401}) from error
    try:
        usable = payload.get("type") == "access" and not accounts_services.is_login_revoked(payload)
        user = accounts_services.user_for_identity(payload.get("sub")) if usable else None
    except Exception as error:
        log.exception("socket connect failed")
        raise ConnectionRefusedError("The server could not check the token.", {"code": 500}) from error
    finally:
        db.session.rollback()  # read only: close the transaction
    if user is None:
        raise ConnectionRefusedError("The token has been revoked.", {"code": 401})
    # Flask-SocketIO keeps this session per socket, for as long as it is connected.
    session[SESSION_USER_ID] = user.id
    session[SESSION_CLAIMS] = {"sub": payload["sub"], "sid": payload.get("sid")}
    join_room(user_room(user.id))


def socket_user_id() -> int | None:
    """Return the id of the user this socket connected as."""
    return session.get(SESSION_USER_ID)


def join(room: str) -> None:
    """Join this socket to a room."""
    join_room(room)


def leave(room: str) -> None:
    """Make this socket leave a room."""
    leave_room(room)


def _on_unknown_event(event: str, *_args: Any) -> dict:
    """Any event no domain declared: an error ack (a client waiting for one is not left hanging)."""
    return error_ack(404, f"Unknown event {event!r}.")


def register_handlers(app: Flask) -> None:
    """Bind the connect handler, every declared domain handler and the unknown-event answer."""
    socketio.on_event("connect", _on_connect, namespace=NAMESPACE)
    socketio.on_event("*", _on_unknown_event, namespace=NAMESPACE)
    for event, fn, schema, load_user in _registry:
        socketio.on_event(event, _wrap(fn, schema, load_user), namespace=NAMESPACE)
