"""Scheduled announcements (PUSH-002): targets and who may use them, local times per zone, beat's claim."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.notifications.models import Notification, NotificationPreference
from app.social import announcements
from app.social.models import Announcement, AnnouncementDelivery
from tests.chat.conftest import bearer
from tests.factories import make_coaching, make_plan, make_user, make_workout

DAY = (datetime.now(UTC) + timedelta(days=3)).date()


@pytest.fixture
def coach():
    trainer = make_user(role="Trainer")
    tokyo, new_york = make_user(timezone="Asia/Tokyo"), make_user(timezone="America/New_York")
    make_coaching(trainer, tokyo)
    make_coaching(trainer, new_york)
    make_coaching(trainer, make_user(), "Ended")  # a former client hears nothing
    return trainer, tokyo, new_york


def deliveries() -> dict[int, tuple[datetime, datetime | None]]:
    rows = db.session.execute(
        sa.select(AnnouncementDelivery.user_id, AnnouncementDelivery.due_at, AnnouncementDelivery.sent_at)
    )
    return {user_id: (due, sent) for user_id, due, sent in rows}


def announced_to(user) -> list[str]:
    stmt = sa.select(Notification.title).where(Notification.user_id == user.id, Notification.type == "announcement")
    return list(db.session.scalars(stmt))


def post(client, actor, **body):
    return client.post("/api/announcements", json=body, headers=bearer(actor))


def test_eight_wherever_they_are(client, coach):
    trainer, tokyo, new_york = coach
    body = {"title": "Hydrate!", "target": "clients", "local_date": DAY.isoformat(), "local_time": "08:00"}
    response = post(client, trainer, **body)
    assert response.status_code == 201
    created = response.get_json()
    assert (created["status"], created["recipients"], created["sent"]) == ("Scheduled", 2, 0)
    assert created["local_time"] == "08:00" and created["send_at"] is None
    stored = deliveries()
    assert stored[tokyo.id][0] == datetime(DAY.year, DAY.month, DAY.day, 8, tzinfo=UTC) - timedelta(hours=9)
    assert stored[new_york.id][0] == datetime(DAY.year, DAY.month, DAY.day, 13, tzinfo=UTC)  # EST, UTC-5
    assert set(stored) == {tokyo.id, new_york.id}


def test_beat_sends_each_when_due_once(client, coach):
    trainer, tokyo, new_york = coach
    post(client, trainer, title="Hydrate!", target="clients", local_date=DAY.isoformat(), local_time="08:00")
    tokyo_due = deliveries()[tokyo.id][0]
    assert announcements.run_due(tokyo_due - timedelta(seconds=1)) == 0
    assert announcements.run_due(tokyo_due) == 1
    assert announcements.run_due(tokyo_due + timedelta(minutes=1)) == 0  # never twice
    assert announced_to(tokyo) == ["Hydrate!"] and announced_to(new_york) == []
    sent = db.session.execute(
        sa.select(AnnouncementDelivery).where(AnnouncementDelivery.user_id == tokyo.id)
    ).scalar_one()
    assert sent.sent_at == tokyo_due and sent.notification_id is not None
    assert db.session.scalar(sa.select(Announcement.status)).value == "Scheduled"
    assert announcements.run_due(deliveries()[new_york.id][0]) == 1
    assert db.session.scalar(sa.select(Announcement.status)).value == "Sent"
    listed = client.get("/api/announcements", headers=bearer(trainer)).get_json()
    assert [(a["status"], a["recipients"], a["sent"]) for a in listed] == [("Sent", 2, 2)]


def test_quiet_hours_defer_not_drop(client, coach):
    trainer, tokyo, _ = coach
    db.session.add(
        NotificationPreference(user_id=tokyo.id, email=True, push=True, quiet_start="07:00", quiet_end="09:00")
    )
    db.session.commit()
    post(
        client, trainer, title="Hi", target="client", target_id=tokyo.id, local_date=DAY.isoformat(), local_time="08:00"
    )
    due = deliveries()[tokyo.id][0]
    assert announcements.run_due(due) == 0  # 08:00 in Tokyo: quiet
    assert announcements.run_due(due + timedelta(minutes=59)) == 0
    assert announcements.run_due(due + timedelta(hours=1)) == 1  # 09:00: sent, late but sent
    assert announced_to(tokyo) == ["Hi"]


def test_a_moment_for_everyone(client, coach):
    trainer = coach[0]
    at = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    response = post(client, trainer, title="Now", target="clients", send_at=at.isoformat())
    assert response.status_code == 201
    assert {due for due, _ in deliveries().values()} == {at}
    assert announcements.run_due(at) == 2


@pytest.mark.parametrize(
    ("actor", "target", "expected"),
    [
        ("user", "clients", 403),
        ("trainer", "everyone", 403),
        ("owner", "everyone", 201),
        ("trainer", "client:mine", 201),
        ("trainer", "client:stranger", 403),
        ("trainer", "client:missing", 404),
        ("owner", "client:stranger", 201),
        ("trainer", "plan:mine", 201),
        ("trainer", "plan:other_public", 403),
        ("trainer", "plan:other_private", 404),
        ("trainer", "clients", 201),
        ("other_trainer", "clients", 422),  # nobody in it
    ],
)
def test_who_may_address_whom(client, coach, actor, target, expected):
    trainer, tokyo, _ = coach
    other_trainer, stranger, owner = make_user(role="Trainer"), make_user(), make_user(role="Owner")
    actors = {"user": tokyo, "trainer": trainer, "other_trainer": other_trainer, "owner": owner}
    workout = make_workout(trainer, visibility="Public")
    mine = make_plan(trainer, [(1, 1, workout)], visibility="Private")
    from app.calendar import services as calendar_services

    assignment = {"user_id": tokyo.id, "start_date": DAY, "start_time": time(7), "duration_minutes": 60}
    calendar_services.assign_plan(trainer, mine.id, assignment)
    db.session.commit()
    ids = {
        "client:mine": tokyo.id,
        "client:stranger": stranger.id,
        "client:missing": 999_999,
        "plan:mine": mine.id,
        "plan:other_public": make_plan(other_trainer, visibility="Public").id,
        "plan:other_private": make_plan(other_trainer, visibility="Private").id,
    }
    kind = target.split(":")[0]
    body = {"title": "x", "target": kind, "send_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}
    if ":" in target:
        body["target_id"] = ids[target]
    response = post(client, actors[actor], **body)
    assert response.status_code == expected, response.get_json()
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Announcement))
    assert count == (1 if expected == 201 else 0)
    if target == "plan:mine":
        assert set(deliveries()) == {tokyo.id}
    if target == "everyone" and expected == 201:
        assert owner.id not in deliveries() and tokyo.id in deliveries()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "x", "target": "clients"}, "send_at"),
        ({"title": "x", "target": "clients", "send_at": "2030-01-01T00:00:00Z", "local_time": "08:00"}, "send_at"),
        ({"title": "x", "target": "clients", "local_time": "08:00"}, "local_date"),
        ({"title": "x", "target": "clients", "local_date": "2030-01-01"}, "local_time"),
        ({"title": "x", "target": "client", "send_at": "2030-01-01T00:00:00Z"}, "target_id"),
        ({"title": "x", "target": "clients", "target_id": 3, "send_at": "2030-01-01T00:00:00Z"}, "target_id"),
        ({"title": "x", "target": "friends", "send_at": "2030-01-01T00:00:00Z"}, "target"),
        ({"title": "", "target": "clients", "send_at": "2030-01-01T00:00:00Z"}, "title"),
        ({"title": "x", "target": "clients", "send_at": "2020-01-01T00:00:00Z"}, "send_at"),
        ({"title": "x", "target": "clients", "local_date": "2020-01-01", "local_time": "08:00"}, "local_date"),
        ({"title": "x", "target": "clients", "send_at": "2030-01-01T00:00:00Z", "status": "Sent"}, "status"),
    ],
)
def test_validation(client, coach, body, field):
    response = post(client, coach[0], **body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Announcement)) == 0


def test_cancel_before_it_went(client, coach):
    trainer, tokyo, new_york = coach
    created = post(
        client, trainer, title="x", target="clients", local_date=DAY.isoformat(), local_time="08:00"
    ).get_json()
    assert announcements.run_due(deliveries()[tokyo.id][0]) == 1  # Tokyo got it already
    assert (
        client.delete(f"/api/announcements/{created['id']}", headers=bearer(make_user(role="Trainer"))).status_code
        == 404
    )
    assert client.delete(f"/api/announcements/{created['id']}", headers=bearer(trainer)).status_code == 204
    assert set(deliveries()) == {tokyo.id}  # New York's is gone, Tokyo's kept as the record of what went
    assert announcements.run_due(datetime(2100, 1, 1, tzinfo=UTC)) == 0
    assert announced_to(new_york) == []
    assert client.delete(f"/api/announcements/{created['id']}", headers=bearer(trainer)).status_code == 409
    listed = client.get("/api/announcements", headers=bearer(trainer)).get_json()
    assert [(a["status"], a["recipients"], a["sent"]) for a in listed] == [("Cancelled", 1, 1)]


def test_list_is_the_authors_and_trainers_only(client, coach):
    trainer, tokyo, _ = coach
    post(client, trainer, title="x", target="clients", send_at=(datetime.now(UTC) + timedelta(hours=1)).isoformat())
    assert client.get("/api/announcements", headers=bearer(make_user(role="Trainer"))).get_json() == []
    assert client.get("/api/announcements", headers=bearer(tokyo)).status_code == 403


@pytest.mark.live
def test_two_beats_at_once_send_each_once(app):
    trainer = make_user(role="Trainer")
    clients = [make_user() for _ in range(8)]
    for c in clients:
        make_coaching(trainer, c)
    client_ids = [c.id for c in clients]
    at = datetime.now(UTC) + timedelta(hours=1)
    announcements.create(trainer, {"title": "x", "target": announcements.AnnouncementTarget.CLIENTS, "send_at": at})
    db.session.commit()
    db.session.remove()
    results, barrier = [], threading.Barrier(2)

    def beat():
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                results.append(announcements.run_due(at))
                db.session.commit()
            except Exception as error:  # pragma: no cover - reported by the assertion
                results.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sum(results) == 8, results
    notified = sa.select(Notification.user_id).where(Notification.type == "announcement")
    assert sorted(db.session.scalars(notified)) == sorted(client_ids)  # each once
