"""The unread digest job: one digest per recipient per run, never twice, not for read messages, not in quiet hours."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine

from app.chat import services, tasks
from app.chat.models import Message
from app.extensions import db
from app.notifications.models import Notification, NotificationPreference
from tests.chat.conftest import send
from tests.factories import make_coaching, make_user

START = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def digests(user=None) -> list[Notification]:
    stmt = db.select(Notification).where(Notification.type == "message").order_by(Notification.id)
    if user is not None:
        stmt = stmt.where(Notification.user_id == user.id)
    return list(db.session.execute(stmt).scalars())


def notified() -> dict[int, datetime | None]:
    return {m.id: m.notified_at for m in db.session.execute(db.select(Message)).scalars()}


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def test_one_digest_per_recipient_for_messages_unread_past_the_delay(clock, cast):
    old = [send(cast.trainer, cast.client, f"old {i}") for i in range(3)]
    send(cast.owner, cast.client, "from the owner")
    send(cast.client, cast.trainer, "to the trainer")
    clock.shift(timedelta(seconds=599))
    young = send(cast.trainer, cast.client, "young")
    assert services.run_unread_digest() == 0  # nothing is 10 minutes old yet
    clock.shift(timedelta(seconds=1))

    assert services.run_unread_digest() == 2
    (client_digest,) = digests(cast.client)
    assert client_digest.title == "4 new messages from coach_sam and 1 other"
    assert client_digest.body == f"coach_sam (3), {cast.owner.username} (1)"
    assert client_digest.data == {"by_sender": {str(cast.trainer.id): 3, str(cast.owner.id): 1}}
    (trainer_digest,) = digests(cast.trainer)
    assert trainer_digest.title == f"1 new message from {cast.client.username}"
    marks = notified()
    assert all(marks[m.id] == START + timedelta(seconds=600) for m in old)
    assert marks[young.id] is None

    assert services.run_unread_digest() == 0  # never twice
    clock.shift(timedelta(seconds=600))
    assert services.run_unread_digest() == 1  # the young one, now due
    assert digests(cast.client)[-1].title == "1 new message from coach_sam"
    assert len(digests()) == 3


def test_messages_read_in_the_meantime_are_not_notified(clock, cast):
    first, second = send(cast.trainer, cast.client, "1"), send(cast.trainer, cast.client, "2")
    services.mark_read(cast.client, cast.trainer.id, first.id)
    clock.shift(timedelta(minutes=11))
    assert services.run_unread_digest() == 1
    assert digests(cast.client)[0].title == "1 new message from coach_sam"
    assert notified() == {first.id: None, second.id: START + timedelta(minutes=11)}
    services.mark_read(cast.client, cast.trainer.id, second.id)
    assert services.run_unread_digest() == 0


def test_recipients_in_quiet_hours_are_deferred_to_a_later_run(clock, cast):
    # 22:00-07:00 in Berlin (UTC+1 in November); START is 13:00 there.
    cast.client.profile.timezone = "Europe/Berlin"
    db.session.add(NotificationPreference(user_id=cast.client.id, quiet_start=time(22), quiet_end=time(7)))
    db.session.commit()
    clock.move_to(datetime(2026, 11, 22, 21, 30, tzinfo=UTC))  # 22:30 in Berlin
    message = send(cast.trainer, cast.client, "late")
    send(cast.client, cast.trainer, "the trainer has no quiet hours")
    clock.shift(timedelta(minutes=15))
    assert services.run_unread_digest() == 1  # the trainer only
    assert digests(cast.client) == [] and notified()[message.id] is None
    clock.move_to(datetime(2026, 11, 23, 5, 59, tzinfo=UTC))  # 06:59 in Berlin: still quiet
    assert services.run_unread_digest() == 0
    clock.move_to(datetime(2026, 11, 23, 6, 0, tzinfo=UTC))  # 07:00 in Berlin: the window is over
    assert services.run_unread_digest() == 1
    assert [d.title for d in digests(cast.client)] == ["1 new message from coach_sam"]


def test_work_per_run_is_bounded_by_the_batch(app_config, clock, cast):
    ids = [send(cast.trainer, cast.client, f"{i}").id for i in range(5)]
    clock.shift(timedelta(minutes=10))
    app_config["UNREAD_DIGEST_BATCH"] = 2
    runs = [services.run_unread_digest() for _ in range(4)]
    assert runs == [1, 1, 1, 0]
    assert [d.data["by_sender"][str(cast.trainer.id)] for d in digests(cast.client)] == [2, 2, 1]
    assert all(notified()[i] is not None for i in ids)


def test_the_digest_task_runs_the_job(clock, cast):
    send(cast.trainer, cast.client, "hello")
    clock.shift(timedelta(minutes=10))
    assert tasks.unread_digest.run() == 1
    assert len(digests(cast.client)) == 1


def test_digest_wording():
    names = {1: "Coach Sam", 2: "Alex", 3: "Kim"}
    assert services.digest_text({1: 3}, names) == ("3 new messages from Coach Sam", "Coach Sam (3)")
    assert services.digest_text({1: 1}, names)[0] == "1 new message from Coach Sam"
    assert services.digest_text({2: 1, 1: 2, 3: 1}, names) == (
        "4 new messages from Coach Sam and 2 others",
        "Coach Sam (2), Alex (1), Kim (1)",
    )


# ---- two workers at once, with real commits


def _run_in_thread(app, results: list, barrier: threading.Barrier | None = None, hold: threading.Event | None = None):
    def work():
        with app.app_context():
            try:
                if barrier is not None:
                    barrier.wait(timeout=10)
                results.append(services.run_unread_digest(now=START + timedelta(hours=1)))
                if hold is not None:
                    hold.wait(timeout=10)  # keep the claimed rows locked, uncommitted
                db.session.commit()
            except Exception as error:  # pragma: no cover - reported by the assertions
                results.append(error)
                db.session.rollback()
            finally:
                db.session.remove()

    thread = threading.Thread(target=work)
    thread.start()
    return thread


def _many_unread(recipients: int = 6, per_pair: int = 5) -> list:
    users = []
    for _ in range(recipients):
        trainer, client = make_user(role="Trainer"), make_user()
        make_coaching(trainer, client)
        with time_machine.travel(START, tick=False):
            for i in range(per_pair):
                send(trainer, client, f"{i}")
        users.append(client)
    return users


@pytest.mark.live
@pytest.mark.parametrize("attempt", range(3))
def test_two_workers_running_at_once_notify_each_message_once(app, attempt):
    clients = _many_unread()
    results: list = []
    barrier = threading.Barrier(2)
    threads = [_run_in_thread(app, results, barrier) for _ in range(2)]
    for thread in threads:
        thread.join(timeout=30)
    assert not any(isinstance(result, Exception) for result in results), results
    db.session.rollback()
    delivered = digests()
    total = sum(n for d in delivered for n in d.data["by_sender"].values())
    assert total == 30  # every message in exactly one digest
    assert all(notified().values())
    assert sum(results) == len(delivered) >= len(clients)


@pytest.mark.live
def test_a_worker_skips_rows_another_worker_has_claimed_and_does_not_wait(app):
    clients = _many_unread(recipients=2, per_pair=3)
    first_results: list = []
    hold = threading.Event()
    first = _run_in_thread(app, first_results, hold=hold)
    try:
        for _ in range(200):  # wait until the first worker holds its claim
            if first_results:
                break
            threading.Event().wait(0.05)
        assert first_results == [2]
        second_results: list = []
        second = _run_in_thread(app, second_results)
        second.join(timeout=10)
        assert not second.is_alive(), "the second worker waited on the first one's locks"
        assert second_results == [0]
    finally:
        hold.set()
        first.join(timeout=10)
    db.session.rollback()
    assert sorted(d.user_id for d in digests()) == sorted(c.id for c in clients)
