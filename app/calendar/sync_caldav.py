"""A CalDAV calendar (the `caldav` library): verify a connection, put and delete Spotter events by UID.

`caldav` (with lxml and vobject) is imported where a CalDAV server is talked to, not when the worker loads its
jobs: a process that never syncs a CalDAV calendar saves ~5 MB (bench/RESULTS.md, "Data export").
"""

from __future__ import annotations

from typing import Any

import requests

from app.calendar import ical
from app.calendar.models import Event
from app.core.outbound import guard


class CalDAVError(Exception):
    """The CalDAV server refused or could not be reached; the message is safe to show the user."""

    def __init__(self, message: str, field: str = "url"):
        super().__init__(message)
        self.field = field


def _describe(error: Exception) -> CalDAVError:
    from caldav.lib import error as dav_error

    if isinstance(error, dav_error.AuthorizationError):
        return CalDAVError("The CalDAV server refused the username or password.", field="password")
    if isinstance(error, dav_error.NotFoundError):
        return CalDAVError("No calendar at that URL.")
    if isinstance(error, requests.RequestException):  # one message: refused, closed, blocked or timed out alike
        return CalDAVError("The CalDAV server could not be reached.")
    if isinstance(error, dav_error.DAVError):
        return CalDAVError(f"The CalDAV server answered with an error ({type(error).__name__}: {error}).")
    return CalDAVError(f"CalDAV failed ({type(error).__name__}: {error}).")


class CalDAVCalendar:
    """One calendar collection on a CalDAV server."""

    def __init__(self, url: str, credentials: dict[str, Any], timeout: int):
        import caldav

        self.url = url if url.endswith("/") else url + "/"
        client = caldav.DAVClient(
            self.url, username=credentials["username"], password=credentials["password"], timeout=timeout
        )
        guard(client.session)  # the URL is the user's: only public addresses (or allowed networks), every redirect
        self.calendar = client.calendar(url=self.url)

    def _call(self, action, *args: Any) -> Any:
        try:
            return action(*args)
        except CalDAVError:
            raise
        except Exception as error:  # the library raises its own errors and requests'
            raise _describe(error) from error

    def verify(self) -> None:
        """Check that the URL is a calendar collection these credentials may use."""
        from caldav.elements import dav

        props = self._call(self.calendar.get_properties, [dav.ResourceType()])
        if "calendar" not in str(props.get(dav.ResourceType.tag, "")):
            raise CalDAVError("That URL is not a calendar collection.")

    def put(self, event: Event) -> None:
        """Create or replace the event's object (`<uid>.ics`) with its current version."""
        from caldav.lib import error as dav_error

        # A plain PUT of `<uid>.ics` through the library's client: its `save()` bumps SEQUENCE on its own
        # (caldav 1.6 ignores increase_seqno=False), and SEQUENCE is ours, bumped on every change.
        url = self.calendar.url.join(f"{event.uid}.ics")
        headers = {"Content-Type": 'text/calendar; charset="utf-8"'}
        response = self._call(self.calendar.client.put, url, ical.to_ical([event]), headers)
        if response.status not in (200, 201, 204):
            raise _describe(dav_error.PutError(f"{response.status} {response.reason}"))

    def delete(self, uid: str) -> None:
        """Delete the event's object; one already gone is fine."""
        import caldav
        from caldav.lib import error as dav_error

        obj = caldav.Event(self.calendar.client, url=self.calendar.url.join(f"{uid}.ics"), parent=self.calendar)
        try:
            self._call(obj.delete)
        except CalDAVError as error:
            if not isinstance(error.__cause__, dav_error.NotFoundError):
                raise
