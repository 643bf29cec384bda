"""Time-zone helpers: validating IANA names and finding a user's local day."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from app.core.db import utcnow


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


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
