"""Celery bound to the Flask app: every task runs in the app context and closes its unit of work.

A job published while a request (or another job) runs carries its request id in the `request_id` message
header; the job runs under that id, so its log lines, and the jobs it publishes in turn, share it.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import timedelta
from typing import Any

from celery import Celery, Task
from celery.exceptions import Retry
from celery.schedules import crontab
from celery.signals import before_task_publish
from flask import Flask, g

from app.core import metrics, unit_of_work
from app.core.logging import current_request_id, new_request_id
from app.core.redis import redis_client
from app.extensions import db

log = logging.getLogger("spotter.jobs")
REQUEST_ID_HEADER = "request_id"

TASK_MODULES = [
    "app.core.mail",
    "app.ops.tasks",
    "app.calendar.tasks",
    "app.chat.tasks",
    "app.notifications.tasks",
    "app.accounts.tasks",
    "app.social.tasks",
    "app.privacy.tasks",
]


def celery_init_app(app: Flask) -> Celery:
    """Create the Celery app from config["CELERY"]; tasks commit on success, roll back on error."""

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                g.request_id = self.request.get(REQUEST_ID_HEADER) or new_request_id()
                started, outcome = time.perf_counter(), "failure"
                unit = unit_of_work.begin("job")
                try:
                    result = self.run(*args, **kwargs)
                    unit.close(db.session, commit=True)
                    outcome = "success"
                    return result
                except Retry:
                    unit.close(db.session, commit=False)
                    outcome = "retry"
                    raise
                except Exception:
                    unit.close(db.session, commit=False)
                    raise
                finally:
                    _finished(self.name, outcome, time.perf_counter() - started)

    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        folder = app.config["CELERY"].get("broker_transport_options", {}).get(key)
        if folder:  # the embedded filesystem broker needs its folders
            os.makedirs(folder, exist_ok=True)
    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.conf.include = TASK_MODULES
    celery_app.conf.beat_schedule = beat_schedule(app)
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app


def _finished(task: str, outcome: str, seconds: float) -> None:
    """Count the job (metrics through Redis) and log one line for it, under its request id."""
    metrics.record_job(redis_client(), task, outcome, seconds)
    log.info("job", extra={"task": task, "outcome": outcome, "duration_ms": round(seconds * 1000, 2)})


@before_task_publish.connect(weak=False, dispatch_uid="spotter-request-id")
def stamp_request_id(headers: dict[str, Any] | None = None, **_kwargs: Any) -> None:
    """Put the current request's (or job's) id into the message headers of a job it publishes."""
    request_id = current_request_id()
    if request_id and headers is not None:
        headers.setdefault(REQUEST_ID_HEADER, request_id)


def beat_schedule(app: Flask) -> dict:
    """The periodic jobs beat fires; each domain's job is listed here by task name."""
    return {
        "heartbeat": {"task": "ops.heartbeat", "schedule": timedelta(seconds=app.config["HEARTBEAT_INTERVAL"])},
        "calendar-reminders": {
            "task": "calendar.send_reminders",
            "schedule": timedelta(seconds=app.config["REMINDER_INTERVAL"]),
        },
        "chat-unread-digest": {
            "task": "chat.unread_digest",
            "schedule": timedelta(seconds=app.config["UNREAD_DIGEST_INTERVAL"]),
        },
        "social-announcements": {
            "task": "social.send_announcements",
            "schedule": timedelta(seconds=app.config["ANNOUNCEMENT_INTERVAL"]),
        },
        "privacy-expire-exports": {"task": "privacy.expire_exports", "schedule": timedelta(hours=1)},
        "privacy-server-analytics": {
            "task": "privacy.materialise_analytics",
            "schedule": timedelta(seconds=app.config["ANALYTICS_INTERVAL"]),
        },
        **_backup_schedule(app),
    }


def _backup_schedule(app: Flask) -> dict:
    """The nightly database backup, when BACKUP_NIGHTLY is on (BACKUP_PATH must outlive the process)."""
    if not app.config["BACKUP_NIGHTLY"]:
        return {}
    return {
        "nightly-backup": {"task": "ops.nightly_backup", "schedule": crontab(hour=app.config["BACKUP_HOUR"], minute=0)}
    }
