"""Events as RFC 5545 iCalendar (the `icalendar` library): the subscription feed and CalDAV objects.

`icalendar` is imported where a document is built, not when the app loads (~2.6 MB a process that serves no
feed would carry; bench/RESULTS.md, "Data export").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

from app.calendar.models import Event
from app.core.time import zone

if TYPE_CHECKING:
    import icalendar

PRODID = "-//Spotter//Spotter Calendar//EN"


def vevent(event: Event) -> icalendar.Event:
    """One VEVENT: local times with TZID, RRULE, a VALARM per reminder, stable UID and SEQUENCE."""
    import icalendar

    tz = zone(event.timezone)
    component = icalendar.Event()
    component.add("uid", event.uid)
    component.add("dtstamp", event.updated_at)
    component.add("created", event.created_at)
    component.add("last-modified", event.updated_at)
    component.add("sequence", event.sequence)
    component.add("dtstart", event.start_time.astimezone(tz))
    component.add("dtend", event.end_time.astimezone(tz))
    component.add("summary", event.title)
    if event.description:
        component.add("description", event.description)
    if event.location:
        component.add("location", event.location)
    if event.rrule:
        component.add("rrule", icalendar.vRecur.from_ical(event.rrule))
    for minutes in event.reminders or ():
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", event.title)
        alarm.add("trigger", timedelta(minutes=-minutes))
        component.add_component(alarm)
    return component


def calendar(events: Iterable[Event], name: str = "Spotter") -> icalendar.Calendar:
    """A VCALENDAR of events with the VTIMEZONEs their TZIDs need."""
    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    for event in events:
        cal.add_component(vevent(event))
    cal.add_missing_timezones()
    return cal


def to_ical(events: Iterable[Event], name: str = "Spotter") -> bytes:
    """Serialise events as an iCalendar document."""
    return calendar(events, name).to_ical()
