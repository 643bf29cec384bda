"""Celery bound to the Flask app: every task runs in the app context and closes its unit of work."""

from __future__ import annotations

import os
from datetime import timedelta

from celery import Celery, Task
from flask import Flask

from app.extensions import db

TASK_MODULES = [
    "app.core.mail",
    "app.ops.tasks",
    "app.calendar.tasks",
    "app.chat.tasks",
    "app.notifications.tasks",
    "app.social.tasks",
]


def celery_init_app(app: Flask) -> Celery:
    """Create the Celery app from config["CELERY"]; tasks commit on success, roll back on error."""

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                try:
                    result = self.run(*args, **kwargs)
                    db.session.commit()
                    return result
                except Exception:
                    db.session.rollback()
                    raise

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
        "social-announcements": {
            "task": "social.send_announcements",
            "schedule": timedelta(seconds=app.config["ANNOUNCEMENT_INTERVAL"]),
        },
    }
