"""Quiet hours: local wall-clock windows in the user's time zone, possibly across midnight."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from app.notifications.preferences import is_quiet


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 22, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "end", "tz", "now", "quiet"),
    [
        (time(22), time(7), "UTC", at(23), True),
        (time(22), time(7), "UTC", at(3), True),
        (time(22), time(7), "UTC", at(7), False),  # the end is not quiet
        (time(22), time(7), "UTC", at(22), True),  # the start is
        (time(22), time(7), "UTC", at(12), False),
        (time(13), time(14), "UTC", at(13, 30), True),
        (time(13), time(14), "UTC", at(14, 30), False),
        (time(22), time(7), "Asia/Tokyo", at(14), True),  # 23:00 in Tokyo
        (time(22), time(7), "Asia/Tokyo", at(23), False),  # 08:00 in Tokyo
        (time(22), time(7), "Not/AZone", at(23), True),  # an unknown zone is read as UTC
        (None, None, "UTC", at(23), False),
        (time(9), time(9), "UTC", at(9), False),
    ],
)
def test_is_quiet(start, end, tz, now, quiet):
    assert is_quiet(start, end, tz, now) is quiet
