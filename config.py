"""Configuration classes, one per environment, read from environment variables."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))


def database_url(url: str | None) -> str | None:
    """Normalise a database URL: Heroku's `postgres://` and plain `postgresql://` use psycopg 3."""
    if not url:
        return url
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def env_int(name: str, default: int) -> int:
    """Read an integer environment variable."""
    return int(os.environ.get(name, default))


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean environment variable (1/true/yes/on)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings shared by every environment; each can be overridden by an env var."""

    ENV_NAME = "base"
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-secret-key-change-me")
    JWT_SECRET_KEY = os.environ.get("JWT_SECRET_KEY", "dev-jwt-secret-change-me-32-bytes!!")
    JWT_ACCESS_TOKEN_EXPIRES = timedelta(seconds=env_int("JWT_ACCESS_TOKEN_EXPIRES", 900))
    JWT_REFRESH_TOKEN_EXPIRES = timedelta(seconds=env_int("JWT_REFRESH_TOKEN_EXPIRES", 30 * 86400))
    JWT_ALGORITHM = "HS256"
    JWT_DECODE_ALGORITHMS = ["HS256"]
    JWT_TOKEN_LOCATION = ["headers"]

    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("DATABASE_URL"))
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # Optional streaming replica for named read paths (app/core/replica.py); reads of your own writes wait for it.
    SQLALCHEMY_REPLICA_URI = database_url(os.environ.get("DATABASE_REPLICA_URL"))
    REPLICA_LSN_TTL = env_int("REPLICA_LSN_TTL", 600)
    REPLICA_RETRY_SECONDS = env_int("REPLICA_RETRY_SECONDS", 5)
    REPLICA_CONNECT_TIMEOUT = env_int("REPLICA_CONNECT_TIMEOUT", 2)
    REDIS_URL = os.environ.get("REDIS_URL")
    REDIS_MAX_CONNECTIONS = env_int("REDIS_MAX_CONNECTIONS", 64)

    API_TITLE = "Spotter API"
    API_VERSION = "1.0"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "/docs"
    OPENAPI_SWAGGER_UI_URL = "/api/docs/assets/"
    API_SPEC_OPTIONS = {
        # The docs page's getting-started text (register, tokens, errors, lists, limits, real time).
        "info": {"description": (BASE_DIR / "app" / "ops" / "docs" / "getting_started.md").read_text()},
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    # Shown in Swagger UI's Authorize dialog.
                    "description": "Log in with `POST /api/login` (Try it out), copy `access_token` from the answer "
                    "and paste it here alone, without `Bearer `. It lasts 15 minutes; `POST /api/token/refresh` "
                    "with the refresh token gives a new one.",
                }
            }
        },
        "security": [{"bearerAuth": []}],
    }
    MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", 6 * 1024 * 1024)

    RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
    # Flask-Migrate (`flask db`, `flask_migrate.upgrade()`): off for processes that never migrate (the Procfile's
    # web, worker and beat), which then do not import Alembic and Mako (~8 MB each).
    MIGRATIONS = env_bool("MIGRATIONS", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_LOGIN_PER_IP = os.environ.get("RATELIMIT_LOGIN_PER_IP", "10 per minute")
    RATELIMIT_LOGIN_PER_ACCOUNT = os.environ.get("RATELIMIT_LOGIN_PER_ACCOUNT", "5 per 15 minutes")
    RATELIMIT_REGISTER_PER_IP = os.environ.get("RATELIMIT_REGISTER_PER_IP", "20 per hour")
    RATELIMIT_PASSWORD_FORGOT_PER_IP = os.environ.get("RATELIMIT_PASSWORD_FORGOT_PER_IP", "5 per hour")
    TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 0)
    # Plain HTTP is redirected to HTTPS (by the trusted proxy's X-Forwarded-Proto); on in staging/production.
    FORCE_HTTPS = env_bool("FORCE_HTTPS", False)
    HSTS_MAX_AGE = env_int("HSTS_MAX_AGE", 365 * 86400)

    CACHE_TYPE = os.environ.get("CACHE_TYPE", "SimpleCache")
    CACHE_DEFAULT_TIMEOUT = env_int("CACHE_DEFAULT_TIMEOUT", 300)
    # Cached answers each web process also keeps in memory while Redis reports no change (Redis cache only; 0: none).
    RESPONSE_CACHE_LOCAL_ENTRIES = env_int("RESPONSE_CACHE_LOCAL_ENTRIES", 256)

    # argon2id: OWASP's second recommended setting (m=19 MiB, t=2, p=1); see README.
    ARGON2_TIME_COST = env_int("ARGON2_TIME_COST", 2)
    ARGON2_MEMORY_COST = env_int("ARGON2_MEMORY_COST", 19 * 1024)
    ARGON2_PARALLELISM = env_int("ARGON2_PARALLELISM", 1)

    # Where clients reach this deployment: public URLs (the calendar feed's) are built from it, never from the
    # request's Host header, which a caller controls.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://localhost:5000").rstrip("/")
    PASSWORD_RESET_TTL = timedelta(seconds=env_int("PASSWORD_RESET_TTL", 3600))
    PASSWORD_RESET_URL = os.environ.get("PASSWORD_RESET_URL", "http://localhost:5000/reset-password?token={token}")
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = env_int("MAIL_PORT", 25)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = env_bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = env_bool("MAIL_USE_SSL", False)
    MAIL_TIMEOUT = env_int("MAIL_TIMEOUT", 10)
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Spotter <no-reply@spotter.local>")

    SOCKETIO_MESSAGE_QUEUE = os.environ.get("SOCKETIO_MESSAGE_QUEUE") or os.environ.get("REDIS_URL")
    # Browser origins allowed to call the REST API and connect to Socket.IO (comma-separated; `*` any origin,
    # never with credentials); empty: same origin only. SOCKETIO_CORS_ALLOWED_ORIGINS is the older name.
    CORS_ALLOWED_ORIGINS = os.environ.get("CORS_ALLOWED_ORIGINS") or os.environ.get("SOCKETIO_CORS_ALLOWED_ORIGINS", "")
    # Larger Socket.IO packets close the connection at the transport, before any handler reads them.
    SOCKETIO_MAX_HTTP_BUFFER_SIZE = env_int("SOCKETIO_MAX_HTTP_BUFFER_SIZE", 64 * 1024)
    # Processes sharing one Redis but not one deployment (staging/production, test runs) need their own channel.
    SOCKETIO_CHANNEL = os.environ.get("SOCKETIO_CHANNEL", "flask-socketio")
    # Where a `filesystem://` Socket.IO queue (the embedded mode's) keeps its exchange and messages.
    SOCKETIO_QUEUE_FOLDER = os.environ.get("SOCKETIO_QUEUE_FOLDER", str(INSTANCE_DIR / "socketio"))
    HEARTBEAT_INTERVAL = env_int("HEARTBEAT_INTERVAL", 30)
    HEARTBEAT_MAX_AGE = env_int("HEARTBEAT_MAX_AGE", 300)
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    # Operations (issue 20): a bearer token guarding /metrics (empty: open, for a private network only).
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
    SENTRY_DSN = os.environ.get("SENTRY_DSN", "")  # empty: no error tracking
    SENTRY_TRACES_SAMPLE_RATE = float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0"))
    SENTRY_RELEASE = os.environ.get("SENTRY_RELEASE", "")
    # Backups: pg_dump files in a folder that must outlive the process (not a Heroku dyno's disk).
    BACKUP_PATH = os.environ.get("BACKUP_PATH", str(INSTANCE_DIR / "backups"))
    BACKUP_NIGHTLY = env_bool("BACKUP_NIGHTLY", False)
    BACKUP_HOUR = env_int("BACKUP_HOUR", 3)  # UTC
    BACKUP_RETENTION_DAYS = env_int("BACKUP_RETENTION_DAYS", 14)
    BACKUP_KEEP_MIN = env_int("BACKUP_KEEP_MIN", 3)  # never fewer, however old

    # Calendar. Keys: comma-separated Fernet keys, the first encrypts, all decrypt (rotate by prepending);
    # empty derives one from SECRET_KEY (development only).
    # Fernet keys for encryption at rest (app/core/crypto.py), comma-separated, the first one encrypting.
    ENCRYPTION_KEYS = os.environ.get("ENCRYPTION_KEYS", "")
    CALENDAR_ENCRYPTION_KEYS = os.environ.get("CALENDAR_ENCRYPTION_KEYS", "")  # legacy: read after ENCRYPTION_KEYS
    CALENDAR_DEFAULT_REMINDERS = os.environ.get("CALENDAR_DEFAULT_REMINDERS", "60")  # minutes before, comma-separated
    REMINDER_GRACE_MINUTES = env_int("REMINDER_GRACE_MINUTES", 60)
    REMINDER_INTERVAL = env_int("REMINDER_INTERVAL", 60)  # seconds between reminder job runs (beat)
    REMINDER_BATCH_SIZE = env_int("REMINDER_BATCH_SIZE", 1000)
    REMINDER_HORIZON_HOURS = env_int("REMINDER_HORIZON_HOURS", 48)
    CALENDAR_SYNC_MAX_RETRIES = env_int("CALENDAR_SYNC_MAX_RETRIES", 8)
    CALENDAR_SYNC_BACKOFF_SECONDS = env_int("CALENDAR_SYNC_BACKOFF_SECONDS", 30)
    CALENDAR_SYNC_TIMEOUT = env_int("CALENDAR_SYNC_TIMEOUT", 15)
    # URLs users give (CalDAV servers, Web Push endpoints) may reach only public addresses on these ports,
    # plus these networks (CIDRs, e.g. a self-hosted CalDAV server's 10.0.0.0/8): app/core/outbound.py.
    OUTBOUND_ALLOWED_PORTS = os.environ.get("OUTBOUND_ALLOWED_PORTS", "80,443")
    OUTBOUND_ALLOWED_NETWORKS = os.environ.get("OUTBOUND_ALLOWED_NETWORKS", "")
    GOOGLE_OAUTH_TOKEN_URL = os.environ.get("GOOGLE_OAUTH_TOKEN_URL", "https://oauth2.googleapis.com/token")
    GOOGLE_CALENDAR_API_URL = os.environ.get("GOOGLE_CALENDAR_API_URL", "https://www.googleapis.com/calendar/v3")
    GOOGLE_CALENDAR_CLIENT_ID = os.environ.get("GOOGLE_CALENDAR_CLIENT_ID") or os.environ.get("GOOGLE_CLIENT_ID", "")
    GOOGLE_CALENDAR_CLIENT_SECRET = os.environ.get("GOOGLE_CALENDAR_CLIENT_SECRET") or os.environ.get(
        "GOOGLE_CLIENT_SECRET", ""
    )
    GOOGLE_CALENDAR_REDIRECT_URI = os.environ.get("GOOGLE_CALENDAR_REDIRECT_URI", "postmessage")

    # Chat: per-user rate limits (Flask-Limiter syntax), the largest socket event accepted, the unread digest.
    CHAT_SEND_RATE = os.environ.get("CHAT_SEND_RATE", "30 per 10 seconds")
    CHAT_TYPING_RATE = os.environ.get("CHAT_TYPING_RATE", "20 per 10 seconds")
    # Social floods (per user): new follows and requests, comments.
    SOCIAL_FOLLOW_RATE = os.environ.get("SOCIAL_FOLLOW_RATE", "30 per hour")
    SOCIAL_COMMENT_RATE = os.environ.get("SOCIAL_COMMENT_RATE", "20 per minute")
    ANNOUNCEMENT_INTERVAL = env_int("ANNOUNCEMENT_INTERVAL", 60)  # seconds between beat's runs
    ANNOUNCEMENT_BATCH = env_int("ANNOUNCEMENT_BATCH", 1000)  # deliveries claimed per run
    CHAT_MAX_EVENT_BYTES = env_int("CHAT_MAX_EVENT_BYTES", 16 * 1024)
    UNREAD_NOTIFY_AFTER = env_int("UNREAD_NOTIFY_AFTER", 600)  # seconds a message stays unread before a digest
    UNREAD_DIGEST_INTERVAL = env_int("UNREAD_DIGEST_INTERVAL", 60)  # seconds between digest runs (beat)
    UNREAD_DIGEST_BATCH = env_int("UNREAD_DIGEST_BATCH", 500)  # messages claimed per run at most
    # Push: FCM HTTP v1 (service-account JSON, inline or a file path) and Web Push (VAPID).
    FCM_CREDENTIALS = os.environ.get("FCM_CREDENTIALS", "")
    FCM_PROJECT_ID = os.environ.get("FCM_PROJECT_ID", "")  # default: the credentials' project_id
    FCM_API_URL = os.environ.get("FCM_API_URL", "https://fcm.googleapis.com")
    FCM_TOKEN_URL = os.environ.get("FCM_TOKEN_URL", "")  # default: the credentials' token_uri
    VAPID_PRIVATE_KEY = os.environ.get("VAPID_PRIVATE_KEY", "")  # PEM or base64url; empty: no Web Push
    VAPID_PUBLIC_KEY = os.environ.get("VAPID_PUBLIC_KEY", "")  # what web clients subscribe with
    VAPID_SUBJECT = os.environ.get("VAPID_SUBJECT", "mailto:admin@spotter.local")
    PUSH_TIMEOUT = env_int("PUSH_TIMEOUT", 10)

    # Identity: email verification, OAuth sign-in (a provider is configured once its client ids are set),
    # object storage and avatars. See README "Sign-in, verified emails and avatars".
    EMAIL_VERIFICATION_TTL = timedelta(seconds=env_int("EMAIL_VERIFICATION_TTL", 24 * 3600))
    EMAIL_VERIFICATION_URL = os.environ.get(
        "EMAIL_VERIFICATION_URL", "http://localhost:5000/verify-email?token={token}"
    )
    RATELIMIT_EMAIL_VERIFICATION = os.environ.get("RATELIMIT_EMAIL_VERIFICATION", "3 per hour")
    RATELIMIT_OAUTH_NONCE_PER_IP = os.environ.get("RATELIMIT_OAUTH_NONCE_PER_IP", "30 per minute")
    GOOGLE_CLIENT_IDS = os.environ.get("GOOGLE_CLIENT_IDS", "")
    GOOGLE_JWKS_URL = os.environ.get("GOOGLE_JWKS_URL", "https://www.googleapis.com/oauth2/v3/certs")
    GOOGLE_ISSUERS = os.environ.get("GOOGLE_ISSUERS", "https://accounts.google.com,accounts.google.com")
    APPLE_CLIENT_IDS = os.environ.get("APPLE_CLIENT_IDS", "")
    APPLE_JWKS_URL = os.environ.get("APPLE_JWKS_URL", "https://appleid.apple.com/auth/keys")
    APPLE_ISSUER = os.environ.get("APPLE_ISSUER", "https://appleid.apple.com")
    FACEBOOK_APP_ID = os.environ.get("FACEBOOK_APP_ID", "")
    FACEBOOK_APP_SECRET = os.environ.get("FACEBOOK_APP_SECRET", "")
    FACEBOOK_GRAPH_URL = os.environ.get("FACEBOOK_GRAPH_URL", "https://graph.facebook.com/v19.0")
    FACEBOOK_JWKS_URL = os.environ.get(
        "FACEBOOK_JWKS_URL", "https://limited.facebook.com/.well-known/oauth/openid/jwks/"
    )
    FACEBOOK_ISSUER = os.environ.get("FACEBOOK_ISSUER", "https://www.facebook.com")
    OAUTH_LEEWAY = env_int("OAUTH_LEEWAY", 60)  # seconds of clock skew allowed on exp/iat/nbf
    OAUTH_JWKS_LIFETIME = env_int("OAUTH_JWKS_LIFETIME", 3600)  # seconds a fetched key set is trusted
    OAUTH_JWKS_COOLDOWN = env_int("OAUTH_JWKS_COOLDOWN", 60)  # at most one refetch per this many seconds
    OAUTH_HTTP_TIMEOUT = env_int("OAUTH_HTTP_TIMEOUT", 5)
    OAUTH_NONCE_TTL = env_int("OAUTH_NONCE_TTL", 600)
    STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "local")
    STORAGE_LOCAL_PATH = os.environ.get("STORAGE_LOCAL_PATH", str(INSTANCE_DIR / "media"))
    STORAGE_LOCAL_URL = os.environ.get("STORAGE_LOCAL_URL", "/media/")
    STORAGE_PUBLIC_URL = os.environ.get("STORAGE_PUBLIC_URL", "")  # set when the bucket (or its CDN) is public-read
    STORAGE_URL_EXPIRES = env_int("STORAGE_URL_EXPIRES", 3600)  # presigned URL lifetime, seconds
    S3_BUCKET = os.environ.get("S3_BUCKET", "")
    S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL", "")
    S3_REGION = os.environ.get("S3_REGION", "us-east-1")
    AWS_ACCESS_KEY_ID = os.environ.get("AWS_ACCESS_KEY_ID", "")
    AWS_SECRET_ACCESS_KEY = os.environ.get("AWS_SECRET_ACCESS_KEY", "")
    AVATAR_MAX_BYTES = env_int("AVATAR_MAX_BYTES", 5 * 1024 * 1024)
    AVATAR_MAX_PIXELS = env_int("AVATAR_MAX_PIXELS", 40_000_000)
    # Privacy (API.md §10): the policy version consents are recorded under; exports' link lifetime.
    POLICY_VERSION = os.environ.get("POLICY_VERSION", "2026-01")
    EXPORT_LINK_HOURS = env_int("EXPORT_LINK_HOURS", 24)
    ANALYTICS_RATE = os.environ.get("ANALYTICS_RATE", "30 per minute")  # event batches per person
    # The job materialising server-side events (messages sent, sign-ups): seconds between runs, rows read per source
    # and run, and how old a row must be before it is read (a row still being committed is never skipped).
    ANALYTICS_INTERVAL = env_int("ANALYTICS_INTERVAL", 60)
    ANALYTICS_BATCH_SIZE = env_int("ANALYTICS_BATCH_SIZE", 20000)
    ANALYTICS_SETTLE_SECONDS = env_int("ANALYTICS_SETTLE_SECONDS", 60)

    CELERY: dict = {
        "broker_url": os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL"),
        "task_ignore_result": True,
        "result_backend": None,
        "task_serializer": "json",
        "accept_content": ["json"],
        "timezone": "UTC",
        "broker_connection_retry_on_startup": True,
        "worker_hijack_root_logger": False,
        # A job is acknowledged when it is done, not when it is received, and a worker lost mid-job (its
        # process killed) puts the job back: jobs are idempotent (ARCHITECTURE.md rule 10), a rerun is harmless.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        # A job whose whole worker died (SIGKILL, a lost machine) is unacknowledged in Redis: another worker
        # takes it back after this many seconds. Longer than the longest job and any retry countdown
        # (calendar.tasks.MAX_BACKOFF_SECONDS), or a job still running or waiting would be run twice.
        "broker_transport_options": {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 900)},
        # beat's state under the instance folder, not the working directory (the repository, when run as written)
        "beat_schedule_filename": str(INSTANCE_DIR / "celerybeat-schedule"),
    }


class DevelopmentConfig(Config):
    """Embedded defaults: SQLite and a filesystem broker under instance/, no servers needed."""

    ENV_NAME = "development"
    DEBUG = False
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("DATABASE_URL")) or (
        f"sqlite:///{INSTANCE_DIR / 'spotter.sqlite'}"
    )
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "log")
    # Workers reach the web process's sockets through the same kind of embedded queue as Celery's broker.
    SOCKETIO_MESSAGE_QUEUE = os.environ.get("SOCKETIO_MESSAGE_QUEUE") or os.environ.get("REDIS_URL") or "filesystem://"
    CELERY = {
        **Config.CELERY,
        "broker_url": os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL") or "filesystem://",
        "broker_transport_options": {
            **Config.CELERY["broker_transport_options"],
            "data_folder_in": str(INSTANCE_DIR / "broker"),
            "data_folder_out": str(INSTANCE_DIR / "broker"),
            "control_folder": str(INSTANCE_DIR / "broker-control"),
            "store_processed": False,
        },
        "beat_schedule_filename": str(INSTANCE_DIR / "celerybeat-schedule"),
    }


class TestingConfig(Config):
    """pytest: real PostgreSQL and Redis from TEST_DATABASE_URL and TEST_REDIS_URL."""

    ENV_NAME = "testing"
    TESTING = True
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/spotter_test")
    )
    REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    RATELIMIT_STORAGE_URI = REDIS_URL
    CACHE_TYPE = "RedisCache"
    CACHE_REDIS_URL = REDIS_URL
    # In-process tests use no queue; live-server tests set both to exercise the Redis message queue.
    SOCKETIO_MESSAGE_QUEUE = os.environ.get("TEST_SOCKETIO_MESSAGE_QUEUE") or None
    SOCKETIO_CHANNEL = os.environ.get("TEST_SOCKETIO_CHANNEL", "spotter-test")
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    PUBLIC_BASE_URL = "http://localhost"
    # The tests' CalDAV server (Radicale) and push stand-ins listen on loopback, on free ports.
    OUTBOUND_ALLOWED_PORTS = "*"
    OUTBOUND_ALLOWED_NETWORKS = "127.0.0.0/8,::1/128"
    MAIL_BACKEND = "smtp"
    SENTRY_DSN = ""  # tests that track errors point it at their own local ingest server
    SQLALCHEMY_REPLICA_URI = None  # the replica tests build their own primary and replica
    CELERY = {**Config.CELERY, "broker_url": REDIS_URL}


class ProductionConfig(Config):
    """Production: every secret and server comes from the environment, or it refuses to start."""

    ENV_NAME = "production"
    REQUIRED = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "JWT_SECRET_KEY")
    FORCE_HTTPS = env_bool("FORCE_HTTPS", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or os.environ.get("REDIS_URL") or "memory://"
    CACHE_TYPE = os.environ.get("CACHE_TYPE", "RedisCache")
    CACHE_REDIS_URL = os.environ.get("CACHE_REDIS_URL") or os.environ.get("REDIS_URL")
    SQLALCHEMY_ENGINE_OPTIONS = {
        # A ping per checkout costs a round trip on every request; recycling old connections is cheaper.
        "pool_pre_ping": env_bool("DB_POOL_PRE_PING", False),
        "pool_recycle": env_int("DB_POOL_RECYCLE", 1800),
        "pool_size": env_int("DB_POOL_SIZE", 10),
        "max_overflow": env_int("DB_MAX_OVERFLOW", 10),
        # The most recently returned connection first: a burst is served by the few backends that are warm
        # (cached plans and catalog, a process already running) rather than by every one of the pool in turn.
        "pool_use_lifo": True,
    }

    @classmethod
    def check(cls) -> None:
        """Refuse to start when a required setting is missing."""
        missing = [name for name in cls.REQUIRED if not os.environ.get(name)]
        if missing:
            raise RuntimeError(f"Production configuration is missing: {', '.join(missing)}")


class StagingConfig(ProductionConfig):
    """Staging: production settings, its own servers."""

    ENV_NAME = "staging"


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "staging": StagingConfig,
    "production": ProductionConfig,
}
