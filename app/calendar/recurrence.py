"""RFC 5545 recurrence rules: validation, expansion in the event's own time zone, and series splits.

A rule is expanded from the event's start as a *local* wall-clock time in the event's time zone
(dateutil keeps wall-clock times of an aware `dtstart`), so a weekly 07:00 Europe/Berlin workout
stays at 07:00 local on both sides of a DST change; each occurrence is then turned into UTC.
"""

from __future__ import annotations

import time as time_module
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import marshmallow as ma
from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrule, rrulestr

from app.core.api import FIRST_DAY, LAST_DAY, check_calendar_range, parse_id
from app.core.time import zone

FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")  # sub-daily rules are refused as pathological
KNOWN_PARTS = {
    "FREQ", "UNTIL", "COUNT", "INTERVAL", "BYSECOND", "BYMINUTE", "BYHOUR", "BYDAY", "BYMONTHDAY",
    "BYYEARDAY", "BYWEEKNO", "BYMONTH", "BYSETPOS", "WKST",
}  # fmt: skip
MAX_COUNT = 1000
MAX_PER_DAY = 24  # occurrences a rule may put in one day (BYHOUR x BYMINUTE x BYSECOND values)
MAX_EXPANDED = 10_000  # occurrences one expansion may produce (a year of the densest rule is 8,784)
YIELD_EVERY = 512  # occurrences between two pauses that let other greenlets (or threads) run
MAX_INTERVAL = 366
MAX_LENGTH = 500
FIRST_WITHIN = timedelta(days=3660)  # a rule must produce its first occurrence within ten years
UTC_FORMAT = "%Y%m%dT%H%M%SZ"


class RuleError(ValueError):
    """A recurrence rule that is malformed, pathological, or does not fit the event."""


class TooManyOccurrences(ValueError):
    """An expansion would produce more than MAX_EXPANDED occurrences."""


def _parts(rule: str) -> dict[str, str]:
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text or len(text) > MAX_LENGTH or any(c in text for c in "\r\n"):
        raise RuleError(f"Give one RRULE of at most {MAX_LENGTH} characters, e.g. FREQ=WEEKLY;BYDAY=MO,WE;COUNT=8.")
    parts: dict[str, str] = {}
    for item in text.split(";"):
        key, sep, value = item.partition("=")
        key = key.strip().upper()
        if not sep or not value.strip():
            raise RuleError(f"Malformed rule part {item!r}: expected KEY=VALUE.")
        if key not in KNOWN_PARTS:
            raise RuleError(f"Unknown rule part {key!r}.")
        if key in parts:
            raise RuleError(f"{key} is given twice.")
        parts[key] = value.strip().upper()
    return parts


def _join(parts: dict[str, str]) -> str:
    return ";".join(f"{key}={value}" for key, value in parts.items())


def _bounded_int(parts: dict[str, str], key: str, maximum: int) -> None:
    value = parse_id(parts[key]) if key in parts else 1  # a whole number from 1, in ASCII digits
    if value is None or value > maximum:
        raise RuleError(f"{key} must be a whole number from 1 to {maximum}.")


def _until_utc(value: str, tz_name: str) -> str:
    """UNTIL in UTC as RFC 5545 wants with a zoned DTSTART; a date or local time is read in the event's zone."""
    try:
        if len(value) == 8:
            local = datetime.combine(date(int(value[:4]), int(value[4:6]), int(value[6:])), time(23, 59, 59))
        elif value.endswith("Z"):
            local = datetime.strptime(value, UTC_FORMAT).replace(tzinfo=UTC)
        else:
            local = datetime.strptime(value, "%Y%m%dT%H%M%S")
        check_calendar_range(local)  # far from the calendar's edges, where a far time zone overflows
    except (ValueError, ma.ValidationError) as error:
        raise RuleError(
            f"UNTIL must be a date (YYYYMMDD) or a date-time (YYYYMMDDTHHMMSSZ) from {FIRST_DAY} to {LAST_DAY}."
        ) from error
    return (local if local.tzinfo else local.replace(tzinfo=zone(tz_name))).astimezone(UTC).strftime(UTC_FORMAT)


@lru_cache(maxsize=4096)
def build(rule: str, start: datetime, tz_name: str) -> rrule:
    """Return the dateutil rule of a canonical RRULE anchored at `start` in the event's time zone."""
    try:
        return rrulestr(rule, dtstart=start.astimezone(zone(tz_name)))
    except (ValueError, TypeError, KeyError, IndexError) as error:
        raise RuleError(f"Not a valid RRULE: {error}.") from error


def normalise(rule: str, start: datetime, tz_name: str) -> str:
    """Validate an RRULE for an event starting at `start` and return its canonical text (UNTIL in UTC)."""
    parts = _parts(rule)
    if parts.get("FREQ") not in FREQUENCIES:
        raise RuleError(f"FREQ must be one of {', '.join(FREQUENCIES)}.")
    if "COUNT" in parts and "UNTIL" in parts:
        raise RuleError("Give COUNT or UNTIL, not both.")
    _bounded_int(parts, "COUNT", MAX_COUNT)
    _bounded_int(parts, "INTERVAL", MAX_INTERVAL)
    per_day = 1
    for key in ("BYHOUR", "BYMINUTE", "BYSECOND"):
        per_day *= len(parts[key].split(",")) if key in parts else 1
    if per_day > MAX_PER_DAY:
        raise RuleError(f"A rule may produce at most {MAX_PER_DAY} occurrences a day (BYHOUR x BYMINUTE x BYSECOND).")
    if "UNTIL" in parts:
        parts["UNTIL"] = _until_utc(parts["UNTIL"], tz_name)
    canonical = _join(parts)
    parsed = build(canonical, start, tz_name)
    cap = start.astimezone(UTC) + FIRST_WITHIN
    until = min(cap, datetime.strptime(parts["UNTIL"], UTC_FORMAT).replace(tzinfo=UTC)) if "UNTIL" in parts else cap
    first = next(iter(parsed.replace(count=None, until=until)), None)
    if first is None:
        raise RuleError("The rule produces no occurrence.")
    if first.astimezone(UTC) != start.astimezone(UTC):
        raise RuleError("The event's start must be the rule's first occurrence (e.g. a Monday for BYDAY=MO).")
    return canonical


def series_end(start: datetime, end: datetime, rule: str | None, tz_name: str) -> datetime | None:
    """Return when the last occurrence ends (an upper bound for UNTIL rules); None for an endless series."""
    if not rule:
        return end
    parts = _parts(rule)
    if "COUNT" in parts:
        last = list(build(rule, start, tz_name))[-1]
        return last.astimezone(UTC) + (end - start)
    if "UNTIL" in parts:
        return datetime.strptime(parts["UNTIL"], UTC_FORMAT).replace(tzinfo=UTC) + (end - start)
    return None


def starts_between(
    start: datetime, rule: str | None, tz_name: str, after: datetime, before: datetime
) -> list[datetime]:
    """Return the UTC starts of the occurrences with `after <= start <= before`.

    The rule is walked from the window (`anchored`), not from the series' start, at most MAX_EXPANDED
    occurrences (else `TooManyOccurrences`), pausing every YIELD_EVERY so the process serves others meanwhile.
    """
    if not rule:
        return [start] if after <= start <= before else []
    if before < start:
        return []
    tz = zone(tz_name)
    rule, anchor = anchored(rule, start, tz_name, after)
    found: list[datetime] = []
    for occurrence in build(rule, anchor, tz_name).xafter(after.astimezone(tz), inc=True):
        if occurrence > before:
            break
        found.append(occurrence.astimezone(UTC))
        if len(found) > MAX_EXPANDED:
            raise TooManyOccurrences(f"More than {MAX_EXPANDED} occurrences in the range.")
        if len(found) % YIELD_EVERY == 0:
            time_module.sleep(0)  # under gevent (patched) this lets every other greenlet run
    return found


# How dateutil fills in a rule that leaves its days implicit: from the start (RFC 5545 says the same).
_DAY_PARTS = ("BYWEEKNO", "BYYEARDAY", "BYMONTHDAY", "BYDAY")
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_STEP = {"DAILY": "days", "WEEKLY": "weeks", "MONTHLY": "months", "YEARLY": "years"}


def anchored(rule: str, start: datetime, tz_name: str, after: datetime) -> tuple[str, datetime]:
    """The rule and a start from which it yields the same occurrences from `after` on, within a period of it.

    A rule with UNTIL or no end repeats every INTERVAL periods: moved forward by whole repeats (wall-clock, in
    the event's zone), with the days it took from its start written out, it produces the same occurrences,
    and expanding it costs what the window holds rather than the series' whole past. COUNT rules (at most
    MAX_COUNT occurrences) are counted from their start, as they must be.
    """
    parts = _parts(rule)
    local, later = start.astimezone(zone(tz_name)), after.astimezone(zone(tz_name))
    if "COUNT" in parts or later <= local:
        return rule, start
    freq, interval = parts["FREQ"], int(parts.get("INTERVAL", "1"))
    if not any(key in parts for key in _DAY_PARTS):
        if freq == "YEARLY":
            parts.setdefault("BYMONTH", str(local.month))
        if freq in ("YEARLY", "MONTHLY"):
            parts["BYMONTHDAY"] = str(local.day)
        elif freq == "WEEKLY":
            parts["BYDAY"] = _WEEKDAYS[local.weekday()]
    delta = relativedelta(later.replace(tzinfo=None), local.replace(tzinfo=None))
    elapsed = {
        "DAILY": (later.date() - local.date()).days,
        "WEEKLY": (later.date() - local.date()).days // 7,
        "MONTHLY": delta.years * 12 + delta.months,
        "YEARLY": delta.years,
    }[freq]
    repeats = max(elapsed // interval - 1, 0)  # one repeat short of the window: nothing of it is skipped
    if repeats == 0:
        return rule, start
    moved = local + relativedelta(**{_STEP[freq]: repeats * interval})
    return _join(parts), moved


def overlapping(
    start: datetime, end: datetime, rule: str | None, tz_name: str, window_from: datetime, window_to: datetime
) -> list[tuple[datetime, datetime]]:
    """Return the (start, end) of each occurrence overlapping [window_from, window_to], in UTC."""
    duration = end - start
    starts = starts_between(start, rule, tz_name, window_from - duration, window_to)
    return [(s, s + duration) for s in starts if s + duration > window_from]


def is_occurrence(start: datetime, rule: str, tz_name: str, moment: datetime) -> bool:
    """Tell whether `moment` is the start of one of the series' occurrences."""
    return moment in starts_between(start, rule, tz_name, moment, moment)


def ending_before(rule: str, moment: datetime) -> str:
    """The rule cut so its last occurrence starts before `moment` (COUNT becomes an UNTIL)."""
    parts = _parts(rule)
    parts.pop("COUNT", None)
    parts["UNTIL"] = (moment.astimezone(UTC) - timedelta(seconds=1)).strftime(UTC_FORMAT)
    return _join(parts)


def continuing_from(rule: str, start: datetime, tz_name: str, moment: datetime) -> str:
    """The rule for the rest of a series from the occurrence at `moment` (COUNT minus those before)."""
    parts = _parts(rule)
    if "COUNT" in parts:
        before = sum(1 for occurrence in build(rule, start, tz_name) if occurrence < moment)
        parts["COUNT"] = str(int(parts["COUNT"]) - before)
    return _join(parts)
