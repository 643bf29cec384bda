"""A small world of people around one trainer, and a statement counter."""

from __future__ import annotations

import pytest

from tests.conftest import sql_statements
from tests.factories import make_trainer_circle


@pytest.fixture
def people(make_user, trainer, owner):
    """The author trainer, an active client, a pending client, an ex-client, a stranger, another trainer, an Owner."""
    return make_trainer_circle(make_user, trainer, owner)


count_statements = sql_statements  # the suite's one statement counter
