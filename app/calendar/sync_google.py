"""Google Calendar over plain HTTPS (requests): the OAuth code exchange, token refresh, event insert/patch/delete.

Base URLs come from config (`GOOGLE_OAUTH_TOKEN_URL`, `GOOGLE_CALENDAR_API_URL`) so tests point them at a
local server. Events keep Spotter's UID as their Google id (32 hex digits are valid base32hex ids), so no
mapping table is needed: patch by id, insert when Google does not know it yet.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import requests
from flask import current_app

from app.calendar.models import Event
from app.core.columns import utcnow
from app.core.time import zone

CALENDAR_ID = "primary"
GOOGLE_MAX_REMINDERS = 5
EXPIRY_SLACK = timedelta(seconds=60)


class GoogleError(Exception):
    """Google refused or could not be reached; the message is safe to show the user."""

    def __init__(self, message: str, field: str = "code"):
        super().__init__(message)
        self.field = field


def _config(name: str) -> Any:
    return current_app.config[name]


def _post_token(form: dict[str, str]) -> dict[str, Any]:
    form = {
        "client_id": _config("GOOGLE_CALENDAR_CLIENT_ID"),
        "client_secret": _config("GOOGLE_CALENDAR_CLIENT_SECRET"),
        **form,
    }
    try:
        # bandit B113 (medium) is a misreading: the timeout is there, taken from configuration.
        response = requests.post(  # nosec B113
            _config("GOOGLE_OAUTH_TOKEN_URL"), data=form, timeout=_config("CALENDAR_SYNC_TIMEOUT")
        )
    except requests.RequestException as error:
        raise GoogleError(f"Google could not be reached ({type(error).__name__}).") from error
    if response.status_code != 200:
        raise GoogleError(f"Google refused the authorization ({response.status_code}: {_reason(response)}).")
    body = response.json()
    expires_at = utcnow() + timedelta(seconds=int(body.get("expires_in", 3600)))
    return {"access_token": body["access_token"], "expires_at": expires_at.isoformat(), **_refresh_of(body)}


def _refresh_of(body: dict[str, Any]) -> dict[str, str]:
    return {"refresh_token": body["refresh_token"]} if body.get("refresh_token") else {}


def _reason(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason or "error"
    error = body.get("error")
    if isinstance(error, dict):
        return str(error.get("message", error))
    return str(body.get("error_description") or error or response.reason)


def exchange_code(code: str) -> dict[str, Any]:
    """Trade an OAuth authorization code for access and refresh tokens (the credentials we store)."""
    credentials = _post_token(
        {"code": code, "grant_type": "authorization_code", "redirect_uri": _config("GOOGLE_CALENDAR_REDIRECT_URI")}
    )
    if "refresh_token" not in credentials:
        raise GoogleError("Google gave no refresh token; ask for offline access (access_type=offline).")
    return credentials


def event_body(event: Event) -> dict[str, Any]:
    """The Google Calendar event resource for a Spotter event."""
    tz = zone(event.timezone)
    body: dict[str, Any] = {
        "id": event.uid,
        "iCalUID": event.uid,
        "status": "confirmed",
        "summary": event.title,
        "description": event.description or "",
        "location": event.location or "",
        "start": {"dateTime": event.start_time.astimezone(tz).isoformat(), "timeZone": event.timezone},
        "end": {"dateTime": event.end_time.astimezone(tz).isoformat(), "timeZone": event.timezone},
        "sequence": event.sequence,
        "recurrence": [f"RRULE:{event.rrule}"] if event.rrule else [],
        "reminders": {
            "useDefault": False,
            "overrides": [{"method": "popup", "minutes": m} for m in (event.reminders or [])[:GOOGLE_MAX_REMINDERS]],
        },
    }
    return body


class GoogleCalendar:
    """The user's primary Google calendar; `credentials` may be refreshed in place (save them afterwards)."""

    def __init__(self, credentials: dict[str, Any]):
        self.credentials = dict(credentials)
        self.refreshed = False

    def _token(self, force: bool = False) -> str:
        expires_at = self.credentials.get("expires_at")
        if force or not expires_at or utcnow() + EXPIRY_SLACK >= datetime.fromisoformat(expires_at):
            fresh = _post_token({"grant_type": "refresh_token", "refresh_token": self.credentials["refresh_token"]})
            self.credentials.update(fresh)
            self.refreshed = True
        return self.credentials["access_token"]

    def _request(self, method: str, path: str, json: dict | None = None) -> requests.Response:
        url = f"{_config('GOOGLE_CALENDAR_API_URL').rstrip('/')}/calendars/{CALENDAR_ID}/events{path}"
        response = None
        for attempt in range(2):  # a 401 refreshes the token once
            headers = {"Authorization": f"Bearer {self._token(force=attempt == 1)}"}
            try:
                response = requests.request(
                    method, url, json=json, headers=headers, timeout=_config("CALENDAR_SYNC_TIMEOUT")
                )
            except requests.RequestException as error:
                raise GoogleError(f"Google could not be reached ({type(error).__name__}).") from error
            if response.status_code != 401:
                break
        return response

    def _check(self, response: requests.Response, ok: tuple[int, ...] = (200, 201, 204)) -> None:
        if response.status_code not in ok:
            raise GoogleError(f"Google Calendar answered {response.status_code}: {_reason(response)}.")

    def put(self, event: Event) -> None:
        """Patch the event in Google, inserting it when Google does not have it yet."""
        body = event_body(event)
        response = self._request("PATCH", f"/{event.uid}", json=body)
        if response.status_code == 404:
            response = self._request("POST", "", json=body)
        self._check(response)

    def delete(self, uid: str) -> None:
        """Delete the event in Google; one already gone is fine."""
        self._check(self._request("DELETE", f"/{uid}"), ok=(200, 204, 404, 410))
