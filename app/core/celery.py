"""Celery bound to the Flask app: every task runs in the app context and closes its unit of work."""

from __future__ import annotations

import os
import time
from datetime import timedelta

from celery import Celery, Task
from celery.exceptions import Retry
from flask import Flask

from app.core import metrics
from app.core.redis import redis_client
from app.extensions import db

TASK_MODULES = ["app.core.mail", "app.ops.tasks", "app.calendar.tasks", "app.chat.tasks", "app.notifications.tasks"]


def celery_init_app(app: Flask) -> Celery:
    """Create the Celery app from config["CELERY"]; tasks commit on success, roll back on error."""

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                started, outcome = time.perf_counter(), "failure"
                try:
                    result = self.run(*args, **kwargs)
                    db.session.commit()
                    outcome = "success"
                    return result
                except Retry:
                    db.session.rollback()
                    outcome = "retry"
                    raise
                except Exception:
                    db.session.rollback()
                    raise
                finally:
                    metrics.record_job(redis_client(), self.name, outcome, time.perf_counter() - started)

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


def beat_schedule(app: Flask) -> dict:
    """The periodic jobs beat fires; each domain's job is listed here by task name."""
    return {
        "heartbeat": {"task": "ops.heartbeat", "schedule": timedelta(seconds=app.config["HEARTBEAT_INTERVAL"])},
        "calendar-reminders": {"task": "calendar.send_reminders", "schedule": timedelta(minutes=1)},
        "chat-unread-digest": {
            "task": "chat.unread_digest",
            "schedule": timedelta(seconds=app.config["UNREAD_DIGEST_INTERVAL"]),
        },
    }
