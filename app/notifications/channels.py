"""Delivery channels: email over SMTP, push through FCM's HTTP v1 API (ios/android) and Web Push (web).

Each push answers SENT, GONE (the service no longer knows the token: delete the device), FAILED (try later
or give up) or SKIPPED (the channel is not configured). Base URLs come from config so tests point them at
local servers.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jwt
import requests
from flask import current_app
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush

from app.core import mail
from app.core.outbound import guard

log = logging.getLogger(__name__)

SENT, GONE, FAILED, SKIPPED = "sent", "gone", "failed", "skipped"
FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token"
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"

_http = requests.Session()


# ---- email


def send_email(to: str, subject: str, body: str) -> None:
    """Send one email now through the configured SMTP server (raises on failure)."""
    mail.send_email(to, subject, body)


# ---- FCM HTTP v1


@dataclass(frozen=True)
class ServiceAccount:
    client_email: str
    private_key: str
    private_key_id: str | None
    project_id: str
    token_uri: str


@lru_cache(maxsize=4)
def _service_account(raw: str) -> ServiceAccount:
    text = raw if raw.lstrip().startswith("{") else Path(raw).read_text()
    info = json.loads(text)
    return ServiceAccount(
        client_email=info["client_email"],
        private_key=info["private_key"],
        private_key_id=info.get("private_key_id"),
        project_id=info.get("project_id", ""),
        token_uri=info.get("token_uri") or DEFAULT_TOKEN_URL,
    )


class _TokenCache:
    """OAuth access tokens per (token URL, account), reused until a minute before they expire."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}

    def get(self, key: tuple[str, str]) -> str | None:
        with self._lock:
            token, expires = self._tokens.get(key, ("", 0.0))
        return token if token and expires > time.monotonic() else None

    def put(self, key: tuple[str, str], token: str, lifetime: float) -> None:
        with self._lock:
            self._tokens[key] = (token, time.monotonic() + max(0.0, lifetime - 60))

    def drop(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._tokens.pop(key, None)


_fcm_tokens = _TokenCache()


def _fcm_access_token(account: ServiceAccount, token_url: str, *, fresh: bool = False) -> str:
    """Exchange a signed service-account assertion for an OAuth access token (cached)."""
    key = (token_url, account.client_email)
    if fresh:
        _fcm_tokens.drop(key)
    cached = _fcm_tokens.get(key)
    if cached:
        return cached
    now = int(time.time())
    claims = {"iss": account.client_email, "scope": FCM_SCOPE, "aud": token_url, "iat": now, "exp": now + 3600}
    headers = {"kid": account.private_key_id} if account.private_key_id else None
    assertion = jwt.encode(claims, account.private_key, algorithm="RS256", headers=headers)
    response = _http.post(
        token_url,
        data={"grant_type": JWT_BEARER_GRANT, "assertion": assertion},
        timeout=current_app.config["PUSH_TIMEOUT"],
    )
    response.raise_for_status()
    body = response.json()
    _fcm_tokens.put(key, body["access_token"], float(body.get("expires_in", 3600)))
    return body["access_token"]


def send_fcm(token: str, title: str, body: str | None, data: dict[str, Any]) -> str:
    """Push to an FCM registration token; GONE when FCM answers UNREGISTERED (or 404)."""
    config = current_app.config
    if not config["FCM_CREDENTIALS"]:
        return SKIPPED
    account = _service_account(config["FCM_CREDENTIALS"])
    token_url = config["FCM_TOKEN_URL"] or account.token_uri
    project = config["FCM_PROJECT_ID"] or account.project_id
    url = f"{config['FCM_API_URL'].rstrip('/')}/v1/projects/{project}/messages:send"
    message = {
        "message": {
            "token": token,
            "notification": {"title": title, "body": body or ""},
            "data": {key: value if isinstance(value, str) else json.dumps(value) for key, value in data.items()},
        }
    }
    try:
        response = _post_fcm(url, message, account, token_url)
    except requests.RequestException as error:
        log.warning("FCM push failed: %s", error)
        return FAILED
    if response.ok:
        return SENT
    if _fcm_unregistered(response):
        return GONE
    log.warning("FCM push refused: %s %s", response.status_code, response.text[:500])
    return FAILED


def _post_fcm(url: str, message: dict, account: ServiceAccount, token_url: str) -> requests.Response:
    timeout = current_app.config["PUSH_TIMEOUT"]
    for attempt in range(2):  # an expired or revoked access token gets one fresh one
        access = _fcm_access_token(account, token_url, fresh=attempt > 0)
        response = _http.post(url, json=message, headers={"Authorization": f"Bearer {access}"}, timeout=timeout)
        if response.status_code != 401:
            break
    return response


def _fcm_unregistered(response: requests.Response) -> bool:
    if response.status_code == 404:
        return True
    try:
        details = response.json().get("error", {}).get("details", [])
    except ValueError:
        return False
    return any(isinstance(d, dict) and d.get("errorCode") == "UNREGISTERED" for d in details)


# ---- Web Push


@lru_cache(maxsize=4)
def _vapid_key(raw: str) -> Vapid02:
    if "BEGIN" in raw:
        return Vapid02.from_pem(raw.encode())
    return Vapid02.from_string(raw)


def send_webpush(subscription: str, payload: dict[str, Any]) -> str:
    """Push to a Web Push subscription (JSON: endpoint and keys); GONE when the endpoint answers 404 or 410."""
    config = current_app.config
    if not config["VAPID_PRIVATE_KEY"]:
        return SKIPPED
    try:
        webpush(
            subscription_info=json.loads(subscription),
            data=json.dumps(payload),
            vapid_private_key=_vapid_key(config["VAPID_PRIVATE_KEY"]),
            vapid_claims={"sub": config["VAPID_SUBJECT"]},  # a fresh dict: webpush adds aud and exp to it
            timeout=config["PUSH_TIMEOUT"],
            ttl=24 * 3600,
            requests_session=guard(requests.Session()),  # the endpoint is the user's: SSRF-guarded
        )
    except WebPushException as error:
        status = error.response.status_code if error.response is not None else None
        if status in (404, 410):
            return GONE
        log.warning("Web Push refused: %s", error)
        return FAILED
    except (requests.RequestException, ValueError) as error:
        log.warning("Web Push failed: %s", error)
        return FAILED
    return SENT
