"""What one rule may cost (issue 15 §2): occurrences per day are bounded, expansion starts from the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.calendar import recurrence
from app.calendar.recurrence import RuleError
from app.core.time import zone
from app.extensions import db
from tests.factories import make_event

EVERY_SECOND = "FREQ=DAILY;BYHOUR=" + ",".join(map(str, range(24))) + ";BYMINUTE=" + ",".join(map(str, range(60)))


def test_a_rule_of_more_than_24_occurrences_a_day_is_refused():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(RuleError, match="at most 24 occurrences a day"):
        recurrence.normalise(EVERY_SECOND + ";BYSECOND=0,1", start, "UTC")
    assert recurrence.normalise("FREQ=DAILY;BYHOUR=0,6,12,18;BYMINUTE=0,30;BYSECOND=0", start, "UTC")


def test_the_api_refuses_it_with_a_422(client, user, login):
    body = {
        "title": "flood", "start_time": "2026-01-01T00:00:00Z", "end_time": "2026-01-01T00:00:01Z",
        "rrule": EVERY_SECOND + ";BYSECOND=" + ",".join(map(str, range(60))),
    }  # fmt: skip
    response = client.post("/api/events", json=body, headers=login(user))
    assert response.status_code == 422
    assert "rrule" in response.get_json()["errors"]["json"]


def test_an_old_dense_series_is_expanded_from_the_window_not_from_its_start():
    start = datetime(1901, 1, 1, 6, 0, tzinfo=UTC)
    rule = "FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23"
    after = datetime(2026, 5, 4, tzinfo=UTC)
    _rule, anchor = recurrence.anchored(rule, start, "UTC", after)
    assert after - timedelta(days=2) <= anchor <= after  # ~1.1 million occurrences never walked
    found = recurrence.starts_between(start, rule, "UTC", after, after + timedelta(hours=23, minutes=59))
    assert [s.hour for s in found] == list(range(24))


def test_an_expansion_beyond_its_cap_is_refused_not_walked(client, user, login):
    # A stored rule from before the bound: 24 a day for a year is under the cap, 1,440 a day is not.
    event = make_event(user, datetime(2026, 1, 1, tzinfo=UTC), rrule="FREQ=DAILY")
    event.rrule = "FREQ=DAILY;BYMINUTE=" + ",".join(map(str, range(60)))  # written past today's validation
    db.session.commit()
    response = client.get("/api/events?from=2026-01-01&to=2026-12-31", headers=login(user))
    assert response.status_code == 422
    assert "to" in response.get_json()["errors"]["query"]


RULES = st.sampled_from(
    [
        "FREQ=DAILY", "FREQ=DAILY;INTERVAL=3", "FREQ=DAILY;BYHOUR=7,19", "FREQ=WEEKLY", "FREQ=WEEKLY;INTERVAL=2",
        "FREQ=WEEKLY;BYDAY=MO,TH;INTERVAL=3", "FREQ=WEEKLY;WKST=SU;INTERVAL=2;BYDAY=SU,TU", "FREQ=MONTHLY",
        "FREQ=MONTHLY;INTERVAL=5", "FREQ=MONTHLY;BYDAY=-1FR", "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=2", "FREQ=YEARLY",
        "FREQ=YEARLY;INTERVAL=2", "FREQ=YEARLY;BYMONTH=2,8", "FREQ=YEARLY;BYWEEKNO=20;BYDAY=WE",
        "FREQ=DAILY;UNTIL=20301231T000000Z",
    ]
)  # fmt: skip
ZONES = st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Pacific/Kiritimati", "Asia/Kathmandu"])


@settings(max_examples=150, deadline=None)
@given(
    rule=RULES,
    tz=ZONES,
    start=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2020, 1, 1)),
    offset_days=st.integers(min_value=-30, max_value=4000),
    span_days=st.integers(min_value=0, max_value=60),
)
def test_expanding_from_the_window_finds_exactly_what_expanding_from_the_start_finds(
    rule, tz, start, offset_days, span_days
):
    first = start.replace(tzinfo=zone(tz)).astimezone(UTC)
    parsed = recurrence.build(rule, first, tz)
    first = next(iter(parsed)).astimezone(UTC)  # a start the rule produces, as normalise requires
    after = first + timedelta(days=offset_days, hours=5)
    before = after + timedelta(days=span_days)
    expected = [
        o.astimezone(UTC)
        for o in recurrence.build(rule, first, tz).between(
            after.astimezone(zone(tz)), before.astimezone(zone(tz)), inc=True
        )
    ]
    assert recurrence.starts_between(first, rule, tz, after, before) == expected
