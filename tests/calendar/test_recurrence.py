"""Recurrence rules: validation, and expansion in the event's own zone across DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.calendar import recurrence
from app.calendar.recurrence import RuleError

BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tz", "first_monday", "dst_day"),
    [(BERLIN, datetime(2026, 3, 16, 7, 0), "2026-03-29"), (NEW_YORK, datetime(2026, 2, 23, 7, 0), "2026-03-08")],
)
def test_weekly_event_stays_at_local_time_across_spring_dst(tz, first_monday, dst_day):
    start = first_monday.replace(tzinfo=tz).astimezone(UTC)
    rule = recurrence.normalise("FREQ=WEEKLY;BYDAY=MO;COUNT=4", start, tz.key)
    found = recurrence.overlapping(start, start + timedelta(hours=1), rule, tz.key, start, start + timedelta(days=40))
    assert len(found) == 4
    assert {s.astimezone(tz).strftime("%H:%M") for s, _ in found} == {"07:00"}
    offsets = [s.astimezone(tz).utcoffset() for s, _ in found]
    assert offsets[0] != offsets[-1], f"the series should cross the DST change of {dst_day}"
    assert all(e - s == timedelta(hours=1) for s, e in found)


def test_autumn_dst_in_both_zones():
    for tz in (BERLIN, NEW_YORK):
        start = datetime(2026, 10, 20, 18, 30, tzinfo=tz).astimezone(UTC)
        rule = recurrence.normalise("FREQ=DAILY;UNTIL=20261115", start, tz.key)
        found = recurrence.starts_between(start, rule, tz.key, start, start + timedelta(days=60))
        assert found[-1].astimezone(tz).date().isoformat() == "2026-11-15"
        assert {s.astimezone(tz).strftime("%H:%M") for s in found} == {"18:30"}
        assert len(found) == 27


def test_same_rule_differs_in_utc_between_zones():
    berlin = datetime(2026, 3, 2, 7, 0, tzinfo=BERLIN).astimezone(UTC)
    ny = datetime(2026, 3, 2, 7, 0, tzinfo=NEW_YORK).astimezone(UTC)
    b = recurrence.starts_between(berlin, "FREQ=WEEKLY;COUNT=5", "Europe/Berlin", berlin, berlin + timedelta(days=40))
    n = recurrence.starts_between(ny, "FREQ=WEEKLY;COUNT=5", "America/New_York", ny, ny + timedelta(days=40))
    assert [s.hour for s in b] == [6, 6, 6, 6, 5]  # Berlin switches on 29 March
    assert [s.hour for s in n] == [12, 11, 11, 11, 11]  # New York on 8 March


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("FREQ=HOURLY", "FREQ must be"),
        ("FREQ=MINUTELY;COUNT=5", "FREQ must be"),
        ("BYDAY=MO", "FREQ must be"),
        ("FREQ=WEEKLY;COUNT=0", "COUNT"),
        ("FREQ=WEEKLY;COUNT=100000", "COUNT"),
        ("FREQ=DAILY;INTERVAL=1000", "INTERVAL"),
        ("FREQ=WEEKLY;COUNT=3;UNTIL=20270101T000000Z", "not both"),
        ("FREQ=WEEKLY;FREQ=DAILY", "twice"),
        ("FREQ=WEEKLY;BYDAY=XX", "Not a valid RRULE"),
        ("FREQ=WEEKLY;FOO=1", "Unknown"),
        ("FREQ=WEEKLY;COUNT", "Malformed"),
        ("garbage", "Malformed"),
        ("", "one RRULE"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "no occurrence"),
        ("FREQ=WEEKLY;UNTIL=2027-01-01", "UNTIL"),
        ("FREQ=WEEKLY;BYDAY=TU", "first occurrence"),
        ("FREQ=DAILY;UNTIL=20200101T000000Z", "no occurrence"),
        ("FREQ=DAILY;COUNT=2\nFREQ=WEEKLY", "one RRULE"),
    ],
)
def test_bad_rules_are_refused(rule, message):
    monday = utc(2026, 3, 16, 6)
    with pytest.raises(RuleError, match=message):
        recurrence.normalise(rule, monday, "Europe/Berlin")


def test_rule_is_normalised():
    start = utc(2026, 3, 16, 6)
    assert recurrence.normalise("rrule:freq=weekly;byday=mo,we", start, "UTC") == "FREQ=WEEKLY;BYDAY=MO,WE"
    # A local UNTIL (or a date) becomes UTC, as RFC 5545 asks with a zoned start.
    assert recurrence.normalise("FREQ=DAILY;UNTIL=20260401T070000", start, "Europe/Berlin").endswith(
        "UNTIL=20260401T050000Z"
    )
    assert recurrence.normalise("FREQ=DAILY;UNTIL=20260401", start, "Europe/Berlin").endswith("UNTIL=20260401T215959Z")


def test_series_end():
    start = utc(2026, 1, 5, 9)
    end = start + timedelta(minutes=45)
    assert recurrence.series_end(start, end, None, "UTC") == end
    assert recurrence.series_end(start, end, "FREQ=WEEKLY;COUNT=3", "UTC") == utc(2026, 1, 19, 9, 45)
    assert recurrence.series_end(start, end, "FREQ=WEEKLY;UNTIL=20260201T000000Z", "UTC") == utc(2026, 2, 1, 0, 45)
    assert recurrence.series_end(start, end, "FREQ=WEEKLY", "UTC") is None


def test_endless_rule_is_bounded_by_the_window():
    start = utc(2020, 1, 1, 9)
    found = recurrence.overlapping(
        start, start + timedelta(hours=1), "FREQ=DAILY", "UTC", utc(2026, 1, 1), utc(2026, 12, 31, 23, 59)
    )
    assert len(found) == 365


def test_overlap_includes_an_occurrence_running_into_the_window():
    start = utc(2026, 1, 5, 23)
    found = recurrence.overlapping(
        start, start + timedelta(hours=2), "FREQ=DAILY;COUNT=3", "UTC", utc(2026, 1, 7), utc(2026, 1, 7, 12)
    )
    assert found == [(utc(2026, 1, 6, 23), utc(2026, 1, 7, 1))]


def test_split_helpers():
    start = utc(2026, 1, 5, 9)
    rule = "FREQ=WEEKLY;COUNT=6"
    moment = utc(2026, 1, 19, 9)
    assert recurrence.is_occurrence(start, rule, "UTC", moment)
    assert not recurrence.is_occurrence(start, rule, "UTC", moment + timedelta(hours=1))
    assert recurrence.ending_before(rule, moment) == "FREQ=WEEKLY;UNTIL=20260119T085959Z"
    assert recurrence.continuing_from(rule, start, "UTC", moment) == "FREQ=WEEKLY;COUNT=4"
