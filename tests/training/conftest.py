"""An athlete and everyone around them, and a few exercises."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.factories import make_coaching, make_exercise


@pytest.fixture
def people(make_user, owner):
    """The athlete; their active, pending and former trainers; a stranger (User and Trainer); an Owner."""
    athlete = make_user()
    coach, pending, former = make_user(role="Trainer"), make_user(role="Trainer"), make_user(role="Trainer")
    make_coaching(coach, athlete, "Active")
    make_coaching(pending, athlete, "Pending")
    make_coaching(former, athlete, "Ended")
    return SimpleNamespace(
        athlete=athlete,
        coach=coach,
        pending=pending,
        former=former,
        stranger=make_user(),
        other_trainer=make_user(role="Trainer"),
        owner=owner,
    )


@pytest.fixture
def squat():
    return make_exercise(name="Back Squat")


@pytest.fixture
def bench():
    return make_exercise(name="Bench Press")
