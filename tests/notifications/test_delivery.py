"""Delivering notifications: email over real SMTP, FCM HTTP v1 and Web Push against local servers, preferences."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time

import pytest

from app.extensions import db
from app.notifications import devices, services
from app.notifications.models import Device, Notification, NotificationPreference, Platform
from tests.conftest import queued_jobs
from tests.factories import make_user
from tests.notifications.conftest import vapid_claims

NOON = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def notify(user) -> Notification:
    notification = services.notify(
        user.id, "task_assigned", "Squat 5x5", "Coach Sam assigned you a task", {"task_id": 7}
    )
    db.session.commit()
    return notification


def add_device(user, platform: str, token: str) -> Device:
    device, _created = devices.register_device(user, Platform(platform), token)
    db.session.commit()
    return device


def device_ids(user) -> list[int]:
    return [d.id for d in devices.devices_of(user.id)]


def test_email_and_fcm_push_and_web_push(smtp_server, fcm, web_push):
    user = make_user()
    phone = add_device(user, "android", "fcm-token-android")
    tablet = add_device(user, "ios", "fcm-token-ios")
    browser = web_push.subscriber("browser-1")
    add_device(user, "web", browser.token())
    notification = notify(user)

    report = services.deliver(notification.id, now=NOON)
    db.session.commit()
    assert report == {"email_sent": 1, "android_sent": 1, "ios_sent": 1, "web_sent": 1}

    (email,) = smtp_server.messages
    assert email["To"] == user.email and email["Subject"] == "Squat 5x5"
    assert "Coach Sam assigned you a task" in email.get_content()

    assert [m["token"] for m in fcm.messages] == ["fcm-token-android", "fcm-token-ios"]
    sent = fcm.messages[0]
    assert sent["notification"] == {"title": "Squat 5x5", "body": "Coach Sam assigned you a task"}
    assert sent["data"] == {"type": "task_assigned", "notification_id": str(notification.id), "data": '{"task_id": 7}'}
    # One OAuth token, obtained with an assertion signed by the service account, reused for both sends.
    (token_request,) = fcm.recorder.token_requests
    assert token_request["form"]["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert token_request["claims"]["iss"] == "push@spotter-test.iam.gserviceaccount.com"
    assert token_request["claims"]["scope"] == "https://www.googleapis.com/auth/firebase.messaging"

    (push,) = web_push.recorder.requests
    assert push["headers"]["content-encoding"] == "aes128gcm"
    assert vapid_claims(push["headers"], web_push.vapid)["sub"] == "mailto:ops@spotter.test"
    assert browser.decrypt(push["body"]) == {
        "title": "Squat 5x5",
        "body": "Coach Sam assigned you a task",
        "type": "task_assigned",
        "notification_id": str(notification.id),
        "data": {"task_id": 7},
    }
    assert device_ids(user)[:2] == [phone.id, tablet.id] and len(device_ids(user)) == 3


def test_delivery_happens_once(smtp_server, fcm):
    user = make_user()
    add_device(user, "android", "fcm-once")
    notification = notify(user)
    assert services.deliver(notification.id, now=NOON)["email_sent"] == 1
    db.session.commit()
    assert services.deliver(notification.id, now=NOON) == {}
    assert len(smtp_server.messages) == 1 and len(fcm.messages) == 1
    assert db.session.get(Notification, notification.id).delivered_at == NOON


def test_fcm_unregistered_deletes_the_device(fcm):
    user = make_user()
    dead = add_device(user, "ios", "dead-token")
    alive = add_device(user, "android", "alive-token")
    fcm.recorder.dead_tokens.add("dead-token")
    report = services.deliver(notify(user).id, now=NOON)
    db.session.commit()
    assert report["ios_gone"] == 1 and report["android_sent"] == 1
    assert device_ids(user) == [alive.id]
    assert db.session.get(Device, dead.id) is None


def test_web_push_410_deletes_the_device(web_push):
    user = make_user()
    gone = web_push.subscriber("gone-1")
    kept = web_push.subscriber("kept-1")
    add_device(user, "web", gone.token())
    kept_device = add_device(user, "web", kept.token())
    web_push.gone.add("gone-1")
    db.session.add(NotificationPreference(user_id=user.id, email=False))
    report = services.deliver(notify(user).id, now=NOON)
    db.session.commit()
    assert report == {"web_gone": 1, "web_sent": 1}
    assert device_ids(user) == [kept_device.id]


def test_an_expired_fcm_access_token_is_renewed_once(fcm):
    user = make_user()
    add_device(user, "android", "tok-a")
    services.deliver(notify(user).id, now=NOON)
    fcm.recorder.expire_next_access_token = True
    report = services.deliver(notify(user).id, now=NOON)
    assert report["android_sent"] == 1
    assert len(fcm.recorder.token_requests) == 2
    assert len(fcm.messages) == 2


def test_an_fcm_outage_is_a_failure_not_a_deletion(fcm, app_config):
    user = make_user()
    device = add_device(user, "android", "tok-b")
    app_config["FCM_API_URL"] = "http://127.0.0.1:9"  # nothing listens there
    report = services.deliver(notify(user).id, now=NOON)
    assert report["android_failed"] == 1
    assert device_ids(user) == [device.id]


def test_unconfigured_push_channels_are_skipped(app, smtp_server):
    user = make_user()
    add_device(user, "android", "tok-c")
    add_device(user, "web", json.dumps({"endpoint": "https://push.example/1", "keys": {"p256dh": "a", "auth": "b"}}))
    report = services.deliver(notify(user).id, now=NOON)
    assert report == {"email_sent": 1, "android_skipped": 1, "web_skipped": 1}


@pytest.mark.parametrize(
    ("email", "push", "expected"),
    [(False, True, {"android_sent": 1}), (True, False, {"email_sent": 1}), (False, False, {})],
)
def test_channel_preferences(smtp_server, fcm, email, push, expected):
    user = make_user()
    add_device(user, "android", "tok-d")
    db.session.add(NotificationPreference(user_id=user.id, email=email, push=push))
    db.session.commit()
    assert services.deliver(notify(user).id, now=NOON) == expected


def test_nothing_is_sent_in_quiet_hours(smtp_server, fcm):
    user = make_user(timezone="America/New_York")
    add_device(user, "android", "tok-e")
    db.session.add(NotificationPreference(user_id=user.id, quiet_start=time(6, 30), quiet_end=time(7, 30)))
    db.session.commit()
    quiet = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)  # 07:00 in New York
    assert services.deliver(notify(user).id, now=quiet) == {"quiet": 1}
    assert smtp_server.messages == [] and fcm.messages == []
    assert services.deliver(notify(user).id, now=datetime(2026, 11, 22, 12, 30, tzinfo=UTC))["email_sent"] == 1


def test_an_unreachable_smtp_server_hands_the_email_to_the_retrying_job(app, app_config):
    user = make_user()
    notification = notify(user)
    app_config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=9, MAIL_BACKEND="smtp")  # nothing listens on port 9
    assert queued_jobs(app, "core.send_email") == []
    report = services.deliver(notification.id, now=NOON)
    db.session.commit()  # the job is enqueued once the delivery's transaction commits
    assert report == {"email_failed": 1}
    (job,) = queued_jobs(app, "core.send_email")
    assert job[:2] == [user.email, "Squat 5x5"] and job[2].startswith("Coach Sam assigned you a task")


def test_delivering_a_missing_notification_does_nothing():
    assert services.deliver(999_999, now=NOON) == {}


@pytest.mark.live
def test_notify_reaches_the_inbox_through_a_real_worker(app, smtp_server, celery_worker):
    from tests.conftest import wait_for

    user = make_user()
    notify(user)  # committed: the delivery job is enqueued after the commit, a worker runs it
    message = wait_for(lambda: smtp_server.messages, timeout=20)[0]
    assert message["Subject"] == "Squat 5x5"
    db.session.rollback()
    assert db.session.execute(db.select(Notification.delivered_at)).scalar_one() is not None
