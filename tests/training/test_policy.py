"""Who may read and write training logs, asked of the policy functions directly."""

from __future__ import annotations

import pytest

from app.training import policy


@pytest.mark.parametrize(
    ("who", "reads", "writes"),
    [("athlete", True, True), ("coach", True, False), ("owner", True, False), ("pending", False, False),
     ("former", False, False), ("stranger", False, False), ("other_trainer", False, False)],
)  # fmt: skip
def test_log_permissions(people, who, reads, writes):
    actor = getattr(people, who)
    assert policy.can_read_logs(actor, people.athlete.id) is reads
    assert policy.can_write_log(actor, people.athlete.id) is writes


def test_a_coach_demoted_to_user_no_longer_reads(people):
    from app.accounts.models import Role

    people.coach.role = Role.USER
    assert policy.can_read_logs(people.coach, people.athlete.id) is False


def test_only_trainers_see_a_dashboard(people):
    assert policy.can_see_dashboard(people.coach)
    assert not policy.can_see_dashboard(people.owner)
    assert not policy.can_see_dashboard(people.athlete)
