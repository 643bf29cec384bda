"""Who may write to the exercise library, tested directly."""

from __future__ import annotations

from app.exercises import policy
from tests.factories import make_exercise


def test_create_rights(owner, trainer, user):
    assert policy.can_create_exercise(owner)
    assert policy.can_create_exercise(trainer)
    assert not policy.can_create_exercise(user)


def test_edit_rights(owner, trainer, user, make_user):
    mine = make_exercise(creator=trainer)
    starter = make_exercise()
    assert policy.can_edit_exercise(trainer, mine)
    assert policy.can_edit_exercise(owner, mine)
    assert policy.can_edit_exercise(owner, starter)
    assert not policy.can_edit_exercise(trainer, starter)
    assert not policy.can_edit_exercise(make_user(role="Trainer"), mine)
    assert not policy.can_edit_exercise(user, mine)
