"""A trainer may answer an open inquiry, not a past client (issue 15 §6, API.md §5)."""

from __future__ import annotations

from datetime import UTC, datetime

from app.accounts import services as accounts_services
from app.accounts.models import CoachingRelationship
from app.chat import policy
from app.extensions import db
from tests.chat.conftest import send

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def coaching_of(cast) -> CoachingRelationship:
    stmt = db.select(CoachingRelationship).where(
        CoachingRelationship.trainer_id == cast.trainer.id, CoachingRelationship.client_id == cast.client.id
    )
    return db.session.execute(stmt).scalar_one()


def test_a_trainer_may_not_message_a_past_client(cast, time_machine):
    time_machine.move_to(START)
    send(cast.client, cast.trainer, "see you Monday")
    assert policy.can_message(cast.trainer, cast.client)
    time_machine.shift(60)
    accounts_services.end_coaching(cast.trainer, coaching_of(cast).id)
    db.session.commit()
    assert not policy.can_message(cast.trainer, cast.client)
    assert policy.can_message(cast.client, cast.trainer)  # the trainer accepts clients: the User may inquire


def test_a_past_client_who_writes_again_opens_an_inquiry_the_trainer_may_answer(cast, time_machine):
    time_machine.move_to(START)
    send(cast.client, cast.trainer, "thanks for everything")
    time_machine.shift(60)
    accounts_services.end_coaching(cast.client, coaching_of(cast).id)
    db.session.commit()
    assert not policy.can_message(cast.trainer, cast.client)
    time_machine.shift(60)
    send(cast.client, cast.trainer, "could we start again?")
    assert policy.can_message(cast.trainer, cast.client)
