"""Time-zone helpers: validating IANA names and finding a user's local day."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from app.core.columns import utcnow
from app.core.errors import Invalid

# Files of the system's zoneinfo folder that are no IANA zone: the machine's own zone, POSIX rule sets.
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(
        name for name in available_timezones() if name not in _NOT_ZONES and not name.startswith(("posix/", "right/"))
    )


def is_timezone(name: str) -> bool:
    """Tell whether `name` is a real IANA time-zone name."""
    return name in _zone_names()


def zone(name: str | None) -> ZoneInfo:
    """Return the ZoneInfo for an IANA name, UTC when missing or unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_today(tz_name: str | None, now: datetime | None = None) -> date:
    """Return today's date in the given time zone."""
    return (now or utcnow()).astimezone(zone(tz_name)).date()


def time_range(
    start: date | datetime | None, end: date | datetime | None, tz_name: str | None
) -> tuple[datetime | None, datetime | None]:
    """Turn API.md's inclusive `from`/`to` into a half-open UTC range; plain dates are whole days in `tz_name`."""
    tz = zone(tz_name)
    if isinstance(start, date) and not isinstance(start, datetime):
        start = datetime.combine(start, time.min, tzinfo=tz)
    if isinstance(end, date) and not isinstance(end, datetime):
        end = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)
    elif end is not None:
        end = end + timedelta(microseconds=1)  # `to` is inclusive
    if start is not None and end is not None and end <= start:
        raise Invalid("`to` is before `from`.", field="to", location="query")
    return start, end


def quarter_hour() -> str:
    """The current UTC quarter-hour (`2026-11-22T18:15`): every zone's local date is constant within it.

    Today's UTC offsets are all whole quarter-hours (Nepal +5:45, Chatham +12:45), so a cached answer that
    depends on "today" in some zone, keyed by this, is never served past that zone's midnight.
    """
    now = utcnow()
    return now.replace(minute=now.minute - now.minute % 15).strftime("%Y-%m-%dT%H:%M")
