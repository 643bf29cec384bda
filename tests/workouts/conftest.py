"""A small world of people around one trainer, and a statement counter."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.conftest import sql_statements
from tests.factories import make_coaching


@pytest.fixture
def people(make_user, trainer, owner):
    """The author trainer, an active client, a pending client, an ex-client, a stranger, another trainer, an Owner."""
    client_user = make_user()
    pending = make_user()
    former = make_user()
    make_coaching(trainer, client_user, "Active")
    make_coaching(trainer, pending, "Pending")
    make_coaching(trainer, former, "Ended")
    return SimpleNamespace(
        author=trainer,
        client=client_user,
        pending=pending,
        former=former,
        stranger=make_user(),
        other_trainer=make_user(role="Trainer"),
        owner=owner,
    )


count_statements = sql_statements  # the suite's one statement counter
