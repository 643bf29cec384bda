"""The Spotter application factory: the one place where everything is wired together."""

from __future__ import annotations

import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import CONFIGS, INSTANCE_DIR, ProductionConfig


def create_app(config_name: str | None = None, **overrides) -> Flask:
    """Build the app for an environment (`SPOTTER_ENV`, default development)."""
    config_name = config_name or os.environ.get("SPOTTER_ENV", "development")
    config_class = CONFIGS[config_name]
    if issubclass(config_class, ProductionConfig):
        config_class.check()
    from app.core.json import FastJSONProvider
    from app.core.sockets import SocketAwareFlask

    app = SocketAwareFlask(__name__, instance_path=str(INSTANCE_DIR))
    app.json = FastJSONProvider(app)
    app.config.from_object(config_class)
    app.config.update(overrides)
    os.makedirs(app.instance_path, exist_ok=True)

    configure_logging(app)
    register_error_tracking(app)
    register_metrics(app)
    register_transport_security(app)
    register_extensions(app)
    register_migrations(app)
    register_read_replica(app)
    register_blueprints(app)
    register_socket_handlers(app)
    register_signal_handlers(app)
    register_error_handlers(app)
    register_unit_of_work(app)
    celery_init_app(app)
    register_commands(app)
    return app


def configure_logging(app: Flask) -> None:
    from app.core.logging import configure_logging as configure
    from app.core.logging import register_request_logging

    configure(app.config["LOG_LEVEL"])
    register_request_logging(app)


def register_error_tracking(app: Flask) -> None:
    """Sentry, scrubbed, when SENTRY_DSN is set (app/core/sentry.py)."""
    from app.core.sentry import init_sentry

    init_sentry(app)


def register_metrics(app: Flask) -> None:
    """Prometheus instruments on every request (served by `/metrics`, app/ops)."""
    from app.core.metrics import register_request_metrics

    register_request_metrics(app)


def register_transport_security(app: Flask) -> None:
    """HTTPS redirect (FORCE_HTTPS), HSTS and security headers (app/core/transport_security.py)."""
    from app.core.transport_security import register_transport_security as register

    register(app)


def register_extensions(app: Flask) -> None:
    from app.core import sockets
    from app.core.auth import NoCookieSessions, register_jwt_loaders
    from app.core.cors import init_cors, parse_origins, socket_origin_check
    from app.core.engine import configure_connections
    from app.core.json import PacketJSON
    from app.core.response_cache import init_response_cache
    from app.extensions import api, cache, db, jwt, limiter, socketio

    if app.config["TRUSTED_PROXY_HOPS"]:
        hops = app.config["TRUSTED_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    from app import models  # noqa: F401 - every table on the metadata

    configure_connections()
    db.init_app(app)
    jwt.init_app(app)
    register_jwt_loaders(app)
    register_accounts(app)
    app.session_interface = NoCookieSessions()
    cache.init_app(app)
    init_response_cache(app)
    limiter.init_app(app)
    api.init_app(app)
    origins = parse_origins(app.config["CORS_ALLOWED_ORIGINS"])
    init_cors(app, origins)
    queue = sockets.client_manager(
        app.config["SOCKETIO_MESSAGE_QUEUE"], app.config["SOCKETIO_CHANNEL"], app.config["SOCKETIO_QUEUE_FOLDER"]
    )
    queue_options = (
        {"client_manager": queue}
        if queue is not None
        else {"message_queue": app.config["SOCKETIO_MESSAGE_QUEUE"], "channel": app.config["SOCKETIO_CHANNEL"]}
    )
    socketio.init_app(
        app,
        **queue_options,
        cors_allowed_origins=socket_origin_check(origins),
        cors_credentials=False,
        max_http_buffer_size=app.config["SOCKETIO_MAX_HTTP_BUFFER_SIZE"],
        async_mode=sockets.async_mode(),
        # A socket's events run one after another in its reader (not a greenlet or thread each): a client's
        # burst is stored and acked in the order it was sent, a flood queues on its own connection, and under
        # load events are served in arrival order (the chat bench's p99 halved).
        async_handlers=False,
        json=PacketJSON,
        serializer=sockets.AnsweredPacket,
    )


def register_migrations(app: Flask) -> None:
    """Flask-Migrate on `migrations/` (the `flask db` commands, `app.extensions["migrate"]`) unless MIGRATIONS is
    off: it imports Alembic and Mako, ~8 MB that web, worker and beat processes, which never migrate, do without."""
    if not app.config["MIGRATIONS"]:
        return
    from flask_migrate import Migrate

    from app.extensions import db

    Migrate(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))


def register_accounts(app: Flask) -> None:
    """The accounts domain tells the core who a token's user is and whether its login was revoked."""
    from app.accounts import services as accounts_services
    from app.core.auth import register_user_loader, register_viewer_loader
    from app.core.revocation import register_revocation_check

    register_user_loader(app, accounts_services.user_for_identity)
    register_viewer_loader(app, accounts_services.viewer_for_identity)
    register_revocation_check(app, accounts_services.is_login_revoked, accounts_services.REVOKED_KEY.format(""))


def register_read_replica(app: Flask) -> None:
    """The optional read replica (DATABASE_REPLICA_URL); its write-position hook runs after the commit."""
    from app.core.replica import init_replica

    init_replica(app)


def register_blueprints(app: Flask) -> None:
    from app.accounts.routes import blp as accounts_blp
    from app.calendar.routes import blp as calendar_blp
    from app.chat.routes import blp as chat_blp
    from app.core.storage import media_blueprint
    from app.exercises.routes import blp as exercises_blp
    from app.extensions import api
    from app.notifications.routes import blp as notifications_blp
    from app.ops.routes import bp as ops_bp
    from app.privacy.routes import blp as privacy_blp
    from app.projects.routes import blp as projects_blp
    from app.social.routes import blp as social_blp
    from app.training.routes import blp as training_blp
    from app.workouts.routes import blp as workouts_blp

    app.register_blueprint(ops_bp)
    app.register_blueprint(media_blueprint)  # the local storage backend's objects, at /media/
    api.register_blueprint(accounts_blp)
    api.register_blueprint(exercises_blp)
    api.register_blueprint(workouts_blp)
    api.register_blueprint(projects_blp)
    api.register_blueprint(training_blp)
    api.register_blueprint(calendar_blp)
    api.register_blueprint(chat_blp)
    api.register_blueprint(notifications_blp)
    api.register_blueprint(social_blp)
    api.register_blueprint(privacy_blp)


def register_socket_handlers(app: Flask) -> None:
    """Authenticated Socket.IO connections and each domain's event handlers (`HANDLERS` of app/<domain>/events.py)."""
    from app.chat import events as chat_events
    from app.core import sockets
    from app.projects import events as projects_events

    sockets.register_transport_handlers(app)
    sockets.register_handlers(app, chat_events.HANDLERS)
    sockets.register_handlers(app, projects_events.HANDLERS)


def register_signal_handlers(app: Flask) -> None:
    """Domains that react to another's changes (ARCHITECTURE.md rule 4)."""
    from app.accounts import signals
    from app.notifications import services as notifications_services
    from app.projects import services as projects_services
    from app.training import services as training_services

    signals.coaching_requested.connect(notifications_services.on_coaching_requested)
    signals.profile_updated.connect(training_services.on_profile_updated)
    signals.profile_updated.connect(projects_services.on_profile_updated)
    register_social_listeners()
    register_calendar_listeners()
    register_privacy_listeners()


def register_calendar_listeners() -> None:
    """Calendar answers workouts' and training's questions, so neither imports calendar (no domain cycle)."""
    from app.calendar import services as calendar_services
    from app.calendar import visibility
    from app.training import signals as training_signals
    from app.workouts import signals as workouts_signals

    workouts_signals.assigned_clause.connect(visibility.assigned_clause)
    training_signals.adherence_asked.connect(calendar_services.adherence_by_client)


def register_social_listeners() -> None:
    """Social makes activities from training's signals and ends follows on chat's blocks."""
    from app.chat import signals as chat_signals
    from app.social import services as social_services
    from app.training import signals as training_signals

    training_signals.session_logged.connect(social_services.on_session_logged)
    training_signals.records_found.connect(social_services.on_records_found)
    chat_signals.user_blocked.connect(social_services.on_user_blocked)


def register_privacy_listeners() -> None:
    """Product analytics records training's sessions for people who consent."""
    from app.privacy import analytics
    from app.training import signals as training_signals

    training_signals.session_logged.connect(analytics.on_session_logged)


def register_error_handlers(app: Flask) -> None:
    from app.core.errors import register_error_handlers as register

    register(app)


def register_unit_of_work(app: Flask) -> None:
    """A unit of work per request (app/core/unit_of_work.py): committed when the answer is a success, else
    rolled back; forgotten at teardown whatever happened."""
    from app.core import unit_of_work
    from app.extensions import db

    @app.before_request
    def _begin_unit_of_work():
        unit_of_work.begin("request")

    @app.after_request
    def _close_unit_of_work(response):
        unit = unit_of_work.current_or_none()
        if unit is not None:
            unit.close(db.session, commit=response.status_code < 400)
        return response

    @app.teardown_request
    def _forget_unit_of_work(_error):
        unit = unit_of_work.current_or_none()
        if unit is not None:
            unit.close(db.session, commit=None)  # the session itself: Flask-SQLAlchemy's teardown removes it


def celery_init_app(app: Flask):
    from app.core.celery import celery_init_app as init

    return init(app)


def register_commands(app: Flask) -> None:
    """The CLI groups (app/core/cli.py) and each domain's commands in them."""
    from app.accounts import cli as accounts_cli
    from app.core.cli import register_commands as register
    from app.core.cli import seed_cli, users_cli
    from app.exercises import cli as exercises_cli
    from app.ops import demo
    from app.ops.cli import backup_cli

    users_cli.add_command(accounts_cli.create_owner)
    seed_cli.add_command(exercises_cli.seed_exercises)
    seed_cli.add_command(demo.seed_demo)
    register(app)
    app.cli.add_command(backup_cli)
