"""The iCalendar feed: a secret rotatable URL, RFC 5545 parsed back with RRULE, VALARM, UID and SEQUENCE."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
import recurring_ical_events

from tests.factories import make_event

START = datetime(2026, 3, 16, 6, 0, tzinfo=UTC)


def feed_path(client, headers) -> str:
    r = client.post("/api/calendar/feed-token", headers=headers)
    assert r.status_code == 201, r.get_json()
    url = r.get_json()["url"]
    assert url.startswith("http://localhost/api/calendar/feed/") and url.endswith(".ics")
    return url.removeprefix("http://localhost")


def test_feed_round_trip(client, make_user, login):
    me = make_user(timezone="Europe/Berlin")
    weekly = make_event(
        me, START, title="Leg day", rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=4", timezone="Europe/Berlin",
        reminders=[30, 5], location="Gym", description="Squats, lunges",
    )  # fmt: skip
    once = make_event(me, START + timedelta(days=2), title="Rest")
    path = feed_path(client, login(me))
    r = client.get(path)
    assert r.status_code == 200 and r.mimetype == "text/calendar"
    cal = icalendar.Calendar.from_ical(r.data)
    assert str(cal["version"]) == "2.0" and "Spotter" in str(cal["prodid"])
    assert [tz["tzid"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
    events = {str(e["uid"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {weekly.uid, once.uid}
    vevent = events[weekly.uid]
    assert str(vevent["summary"]) == "Leg day" and str(vevent["location"]) == "Gym"
    assert vevent["dtstart"].dt == datetime(2026, 3, 16, 7, 0, tzinfo=vevent["dtstart"].dt.tzinfo)
    assert vevent["dtstart"].params["TZID"] == "Europe/Berlin"
    assert vevent["rrule"].to_ical() == b"FREQ=WEEKLY;COUNT=4;BYDAY=MO"
    assert int(vevent["sequence"]) == 0
    assert sorted(a["trigger"].dt for a in vevent.walk("VALARM")) == [timedelta(minutes=-30), timedelta(minutes=-5)]
    # An independent RFC 5545 expander sees 07:00 local on both sides of DST.
    found = recurring_ical_events.of(cal).between(datetime(2026, 3, 1), datetime(2026, 4, 30))
    assert sorted((str(e["summary"]), e["dtstart"].dt.strftime("%m-%d %H:%M")) for e in found) == [
        ("Leg day", "03-16 07:00"), ("Leg day", "03-23 07:00"), ("Leg day", "03-30 07:00"), ("Leg day", "04-06 07:00"),
        ("Rest", "03-18 07:00"),
    ]  # fmt: skip


def test_changes_bump_sequence_and_keep_the_uid(client, user, login):
    event = make_event(user, START)
    headers = login(user)
    path = feed_path(client, headers)
    client.put(f"/api/events/{event.id}", json={"title": "Moved", "location": "Park"}, headers=headers)
    (vevent,) = icalendar.Calendar.from_ical(client.get(path).data).walk("VEVENT")
    assert str(vevent["uid"]) == event.uid and int(vevent["sequence"]) == 1 and str(vevent["summary"]) == "Moved"


def test_rotation_kills_the_old_url(client, user, login):
    make_event(user, START)
    headers = login(user)
    old = feed_path(client, headers)
    new = feed_path(client, headers)
    assert old != new
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


def test_feed_is_only_mine_and_needs_a_real_token(client, user, make_user, login):
    other = make_user()
    make_event(other, START, title="Not mine")
    make_event(user, START, title="Mine")
    cal = icalendar.Calendar.from_ical(client.get(feed_path(client, login(user))).data)
    assert [str(e["summary"]) for e in cal.walk("VEVENT")] == ["Mine"]
    assert client.get("/api/calendar/feed/not-a-token.ics").status_code == 404
    assert client.post("/api/calendar/feed-token").status_code == 401


def test_empty_calendar_is_a_valid_feed(client, user, login):
    cal = icalendar.Calendar.from_ical(client.get(feed_path(client, login(user))).data)
    assert cal.walk("VEVENT") == []
