"""Outgoing email: SMTP in production, the log in development; sent by a Celery task."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from celery import shared_task
from flask import current_app

log = logging.getLogger(__name__)


def build_message(to: str, subject: str, body: str) -> EmailMessage:
    """Build a plain-text email from the configured sender."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    return message


def send_email(to: str, subject: str, body: str) -> None:
    """Deliver one email now through the configured backend."""
    message = build_message(to, subject, body)
    cfg = current_app.config
    if cfg["MAIL_BACKEND"] == "log":
        log.info("email (not sent, MAIL_BACKEND=log)\n%s", message.as_string())
        return
    smtp_class = smtplib.SMTP_SSL if cfg["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp_class(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=cfg["MAIL_TIMEOUT"]) as smtp:
        if cfg["MAIL_USE_TLS"]:
            smtp.starttls()
        if cfg["MAIL_USERNAME"]:
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
        smtp.send_message(message)


@shared_task(
    name="core.send_email",
    autoretry_for=(OSError, smtplib.SMTPException),
    retry_backoff=True,
    max_retries=5,
)
def send_email_task(to: str, subject: str, body: str) -> None:
    """Deliver an email from a worker, retrying with backoff while the server is unreachable."""
    send_email(to, subject, body)
