"""The visibility policy, tested directly: the Python check and its SQL form always agree."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.workouts import policy
from app.workouts.models import Plan, Workout
from tests.factories import make_plan, make_workout
from tests.workouts.test_workouts import VISIBLE


@pytest.mark.parametrize("who", list(VISIBLE))
def test_can_see_and_visible_clause_agree(people, who):
    actor = getattr(people, who)
    workouts = [make_workout(people.author, visibility=v) for v in ("Private", "Clients", "Public")]
    plans = [make_plan(people.author, visibility=v) for v in ("Private", "Clients", "Public")]
    for model, objects in ((Workout, workouts), (Plan, plans)):
        ids = [o.id for o in objects]
        stmt = sa.select(model.id).where(model.id.in_(ids), policy.visible_clause(model, actor))
        in_sql = set(db.session.execute(stmt).scalars())
        in_python = {o.id for o in objects if policy.can_see(actor, o)}
        assert in_sql == in_python
        assert {o.visibility.value for o in objects if o.id in in_sql} == VISIBLE[who]


def test_can_edit_and_can_author(people):
    workout = make_workout(people.author, visibility="Public")
    assert policy.can_edit(people.author, workout)
    assert policy.can_edit(people.owner, workout)
    assert not policy.can_edit(people.other_trainer, workout)
    assert not policy.can_edit(people.client, workout)
    assert policy.can_author(people.author) and policy.can_author(people.owner)
    assert not policy.can_author(people.client)
