"""Socket.IO as a transport: authenticated connections, validated handlers, and the one emit helper."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache, partial, wraps
from typing import TYPE_CHECKING, Any

import marshmallow as ma
import redis
import socketio as socketio_lib
from flask import Flask, Request, current_app, has_request_context, request, session
from flask_jwt_extended import decode_token
from flask_socketio import SocketIO, join_room, leave_room
from socketio.exceptions import ConnectionRefusedError
from sqlalchemy.exc import IntegrityError
from werkzeug.routing import MapAdapter

from app.core import metrics
from app.core.api import json_type_errors, refusal
from app.core.auth import login_revoked
from app.core.db import after_commit, read_without_transaction
from app.core.errors import AppError, Unauthorized, error_body, service_unavailable
from app.core.json import UntrustedJSON, check_untrusted
from app.extensions import db, socketio

if TYPE_CHECKING:
    from app.accounts.models import User

log = logging.getLogger(__name__)

NAMESPACE = "/"
PATH = "/socket.io"  # Flask-SocketIO's path: Engine.IO's middleware takes the requests under it away from Flask
SESSION_USER_ID = "socket_user_id"
SESSION_CLAIMS = "socket_token_claims"
Handler = Callable[[Any, Any], dict | None]


@dataclass(frozen=True, slots=True)
class SocketUser:
    """The user a socket authenticated as, by id: what a handler declared with `load_user=False` gets."""

    id: int


@dataclass(frozen=True)
class _Declared:
    """A domain's handler and how to run it (see `on_event`)."""

    event: str
    fn: Handler
    schema: type[ma.Schema] | None
    load_user: bool
    single_statement: bool


# Every domain handler; registered on the server by `register_handlers`.
_registry: list[_Declared] = []


def async_mode() -> str:
    """Socket.IO's concurrency: gevent in a process gevent has monkey-patched (gunicorn -k gevent), else threads.

    Chosen explicitly: left to itself Flask-SocketIO picks gevent whenever it is installed, patched or not.
    """
    monkey = sys.modules.get("gevent.monkey")
    return "gevent" if monkey is not None and monkey.is_module_patched("socket") else "threading"


class SocketAwareFlask(Flask):
    """Flask, except that the request contexts Flask-SocketIO pushes for Socket.IO events route nowhere.

    Flask-SocketIO runs the connect handler and every event in a request context rebuilt from the connection's
    handshake (`/socket.io/...`). Flask matched that URL against the routes each time and kept the NotFound,
    whose traceback tied the context and its frames into a reference cycle: ~40 objects of cyclic garbage per
    event, so the collector ran every few hundred events and each full pass stalled every socket of the
    process. Only those replayed contexts carry the Socket.IO path (the middleware gives real requests there
    to Engine.IO), so they get no URL adapter: no matching, no exception. (`url_for` in a socket handler would
    need `SERVER_NAME`, as outside a request.)
    """

    def create_url_adapter(self, request: Request | None) -> MapAdapter | None:
        if request is not None and request.environ.get("PATH_INFO", "").startswith(PATH):
            return None
        return super().create_url_adapter(request)


UNDECODABLE_EVENT = "spotter:undecodable"  # what an event packet the server cannot decode becomes
# The handlers the core binds itself (`register_handlers`): the connection's lifecycle and the answers to unknown
# and undecodable events. None is a client event: the AsyncAPI document lists `declared_events()` only.
CORE_HANDLERS = frozenset({"connect", "disconnect", "*", UNDECODABLE_EVENT})


class AnsweredPacket(socketio_lib.packet.Packet):
    """Socket.IO packets (the server's `serializer`), where an event whose payload cannot be decoded (nested
    deeper than the decoder's limit, or not JSON) becomes the `UNDECODABLE_EVENT`, which is answered with a 400
    ack like any other refused event, instead of an exception python-socketio logs and nobody answers."""

    def decode(self, encoded_packet: Any) -> int:
        """Decode a packet; an event whose payload cannot be read keeps its ack id and names UNDECODABLE_EVENT."""
        try:
            return super().decode(encoded_packet)
        except ValueError:
            if self.packet_type != socketio_lib.packet.EVENT:
                raise
            self.data = [UNDECODABLE_EVENT]
            return 0


def client_manager(
    message_queue: str | None, channel: str, folder: str | None = None
) -> socketio_lib.PubSubManager | None:
    """The queue that joins the web processes and workers: Redis, or the embedded mode's filesystem queue.

    For Redis, one whose publishes share one connection: python-socketio's Redis manager publishes through
    redis-py's pool, which checks each connection it lends for unread data (a poll with a timeout): ~6% of a
    chat server's CPU at the bench's load, for a command that takes a fraction of a millisecond. A client with
    a single connection publishes on it under a lock instead (redis-py reconnects it as its pool would). Its
    messages are written and read with the server's packet JSON (`PacketJSON`: python-socketio gives a manager
    its server's).

    `filesystem://` (the embedded mode, no Redis): kombu's filesystem transport, the one Celery's embedded
    broker uses, with a fanout exchange in `folder` (see `filesystem_queue`). Other queues (or none) are left to
    Flask-SocketIO.
    """
    if message_queue == FILESYSTEM_QUEUE:
        return filesystem_queue(folder, channel)
    if not message_queue or not message_queue.startswith(("redis://", "rediss://")):
        return None
    return socketio_lib.RedisManager(message_queue, channel=channel, redis_options={"single_connection_client": True})


FILESYSTEM_QUEUE = "filesystem://"
FILESYSTEM_POLL_SECONDS = 0.2  # how often a web process looks for new events in the folder


def filesystem_queue(folder: str | None, channel: str) -> socketio_lib.KombuManager:
    """The embedded mode's Socket.IO queue: kombu's filesystem transport under `folder` (made if missing).

    Each web process binds a queue of its own to a fanout exchange (the bindings live in `folder/control`); a
    worker's emit is written once per bound queue into `folder/data` and picked up by each web process within
    `FILESYSTEM_POLL_SECONDS`. `make run` empties the folder at start, so queues of processes gone by do not
    keep collecting copies.
    """
    if not folder:
        raise RuntimeError("A filesystem:// Socket.IO queue needs SOCKETIO_QUEUE_FOLDER")
    data, control = os.path.join(folder, "data"), os.path.join(folder, "control")
    for path in (data, control):
        os.makedirs(path, exist_ok=True)
    options = {
        "data_folder_in": data,
        "data_folder_out": data,
        "control_folder": control,
        "store_processed": False,
        "polling_interval": FILESYSTEM_POLL_SECONDS,
    }
    return socketio_lib.KombuManager(
        FILESYSTEM_QUEUE, channel=channel, connection_options={"transport_options": options}
    )


def user_room(user_id: int) -> str:
    """Name the room every socket of a user joins on connect."""
    return f"user:{user_id}"


# ---- emitting


def emit_to_room(
    room: str | list[str], event: str, payload: Any, *, now: bool = False, skip_this_socket: bool = False
) -> None:
    """Emit to a room (or to several, once per socket) on every web process, once the current transaction
    commits (`now=True`: at once). `skip_this_socket=True` leaves out the socket whose event is being handled
    (its ack already tells it)."""
    skip_sid = this_socket() if skip_this_socket else None
    if now:
        _emit(room, event, payload, skip_sid)
    else:
        after_commit(db.session, partial(_emit, room, event, payload, skip_sid))


def emit_to_user(user_id: int, event: str, payload: Any, *, now: bool = False) -> None:
    """Emit to every socket of a user, once the current transaction commits (`now=True`: at once)."""
    emit_to_room(user_room(user_id), event, payload, now=now)


def emit_to_users(
    user_ids: Iterable[int], event: str, payload: Any, *, now: bool = False, skip_this_socket: bool = False
) -> None:
    """Emit to every socket of several users in one publish on the message queue (a socket in two of their
    rooms gets it once), after commit (`now=True`: at once; `skip_this_socket`: see `emit_to_room`)."""
    rooms = [user_room(user_id) for user_id in user_ids]
    emit_to_room(rooms, event, payload, now=now, skip_this_socket=skip_this_socket)


def this_socket() -> str | None:
    """The Socket.IO id of the socket whose event is being handled (None in an HTTP request or a job)."""
    return getattr(request, "sid", None) if has_request_context() else None


def _emit(room: str | list[str], event: str, payload: Any, skip_sid: str | None = None) -> None:
    # The change is already committed: a failed emit is logged, never turned into a failed request.
    try:
        _emitter().emit(event, payload, to=room, namespace=NAMESPACE, skip_sid=skip_sid)
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
    event: str, schema: type[ma.Schema] | None = None, *, load_user: bool = True, single_statement: bool = False
) -> Callable[[Handler], Handler]:
    """Declare a client event handler `fn(user, payload)`; it runs validated, authenticated, in a unit of work.

    `user` is the User row, loaded per event; with `load_user=False` it is a `SocketUser` (the id only), for
    handlers whose services need no more. `single_statement=True` declares that the handler changes the
    database in at most one statement, so its unit of work needs no transaction around it: it runs in
    autocommit, without the BEGIN and COMMIT round trips (emits still wait until that statement is done).
    """

    def decorator(fn: Handler) -> Handler:
        declared = _Declared(event, fn, schema, load_user, single_statement)
        _registry.append(declared)
        if socketio.server is not None:  # declared after the app was built: bind it now too
            socketio.on_event(event, _wrap(declared), namespace=NAMESPACE)
        return fn

    return decorator


def declared_events() -> list[tuple[str, type[ma.Schema] | None, str]]:
    """Every declared client event: its name, payload schema and handler's docstring (for the AsyncAPI document)."""
    return [(declared.event, declared.schema, (declared.fn.__doc__ or "").strip()) for declared in _registry]


def _wrap(declared: _Declared) -> Callable[..., dict]:
    fn = declared.fn
    schema = declared.schema() if declared.schema else None  # one instance: loading keeps no state in it

    @wraps(fn)
    def handler(data: Any = None, *_ignored: Any) -> dict:
        ack = _handle(data)
        metrics.socket_event(declared.event, "ok" if ack.get("ok") else str(ack["error"]["code"]))
        return ack

    def _handle(data: Any) -> dict:
        try:
            claims = _unrevoked_claims()
            payload = _validated(schema, data)
            if declared.single_statement:  # before the first query, and not held through the checks above
                # One write statement is atomic by itself: like a read, it needs no transaction around it.
                read_without_transaction(db.session)
            user = _socket_user(claims) if declared.load_user else SocketUser(session[SESSION_USER_ID])
            result = fn(user, payload)
            _end(commit=True)
            return ok_ack(**(result or {}))
        except ma.ValidationError as error:
            _end(commit=False)
            messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
            return error_ack(422, "Validation failed.", {"json": messages})
        except UntrustedJSON as error:
            _end(commit=False)
            refused = refusal(error, "json")
            return error_ack(refused.code, refused.message, refused.errors)
        except AppError as error:
            _end(commit=False)
            return error_ack(error.code, error.message, error.errors)
        except IntegrityError:
            _end(commit=False)
            return error_ack(409, "The request conflicts with existing data.")
        except (redis.ConnectionError, redis.TimeoutError):
            _end(commit=False)
            unavailable = service_unavailable()
            return error_ack(unavailable.code, unavailable.message)
        except Exception:
            _end(commit=False)
            log.exception("socket handler %s failed", fn.__name__)
            return error_ack(500, "The server hit an unexpected error; it has been logged.")

    return handler


def _validated(schema: ma.Schema | None, data: Any) -> Any:
    """An event's payload as REST takes a JSON body: no NUL, surrogates or deep nesting; JSON types; the schema."""
    check_untrusted(data)
    if schema is None:
        return data
    errors = json_type_errors(schema, data)
    if errors:
        raise ma.ValidationError(errors)
    return schema.load({} if data is None else data)


def _end(*, commit: bool) -> None:
    """End the event's unit of work (one that ran only direct statements made no session: nothing to end)."""
    if db.session.registry.has():
        db.session.commit() if commit else db.session.rollback()


def _unrevoked_claims() -> dict:
    """The claims this socket connected with, as long as their login is not revoked (else a 401)."""
    claims = session.get(SESSION_CLAIMS)
    if claims is None or login_revoked(claims):
        raise Unauthorized("The token has been revoked.")
    return claims


def _socket_user(claims: dict) -> User:
    """The user row of this socket (a 401 if it no longer exists)."""
    from app.accounts import services as accounts_services

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
        usable = payload.get("type") == "access" and not login_revoked(payload)
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
    metrics.socket_connected()


def _on_disconnect(*_reason: Any) -> None:
    """Count the end of an authenticated connection (a refused one was never counted)."""
    if session.get(SESSION_USER_ID) is not None:
        metrics.socket_disconnected()


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


def _on_undecodable_event(*_args: Any) -> dict:
    """An event whose payload could not be decoded (`AnsweredPacket`): a 400 ack; the connection stays."""
    return error_ack(400, "The event's payload is not JSON this server reads (malformed, or nested too deeply).")


def register_handlers(app: Flask) -> None:
    """Bind the connect handler, every declared domain handler and the unknown- and undecodable-event answers."""
    socketio.on_event("connect", _on_connect, namespace=NAMESPACE)
    socketio.on_event("disconnect", _on_disconnect, namespace=NAMESPACE)
    socketio.on_event("*", _on_unknown_event, namespace=NAMESPACE)
    socketio.on_event(UNDECODABLE_EVENT, _on_undecodable_event, namespace=NAMESPACE)
    for declared in _registry:
        socketio.on_event(declared.event, _wrap(declared), namespace=NAMESPACE)
