"""schemathesis against the live app's `/api/openapi.json`: every operation, as a User, a Trainer and an Owner.

Every check schemathesis has (server errors, documented status codes, content types, response schemas and
headers, negative data rejected, ...) with positive and negative data, but one: `positive_data_acceptance`
wants every schema-valid request accepted, and the contract has rules OpenAPI cannot state (an end after its
start, a password unlike the username, a client who must be active): those are 422s, which are documented.
Bounded for CI by `FUZZ_EXAMPLES` (examples per operation and mode, default 3); `make fuzz` runs it long.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from app.extensions import db
from tests.factories import PASSWORD, make_coaching, make_exercise, make_user
from tests.live import live_server_fixture  # noqa: F401 - the live_server fixture

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
ROLES = ("User", "Trainer", "Owner")


@pytest.fixture
def role_tokens(live_server) -> dict[str, str]:
    """Access tokens of a User (an active client of the Trainer), a Trainer and an Owner, logged in over HTTP."""
    users = {role: make_user(role=role) for role in ROLES}
    make_coaching(users["Trainer"], users["User"])
    make_exercise(users["Trainer"])
    db.session.commit()
    tokens = {}
    for role, user in users.items():
        response = live_server.api("POST", "/api/login", json={"email": user.email, "password": PASSWORD})
        assert response.status_code == 200, response.text
        tokens[role] = response.json()["access_token"]
    return tokens


@pytest.mark.live
def test_every_operation_keeps_its_contract_for_every_role(live_server, role_tokens):
    # One test for all operations (each with positive and negative data): the live data and tokens live as long
    # as a test does. Logging out would revoke the fuzzer's own tokens, so that operation is left out.
    schema = schemathesis.openapi.from_url(live_server.url + "/api/openapi.json").exclude(path="/api/logout")
    # A URL made too long by invalid data is refused before the app reads it (gunicorn's 414, in JSON): a rejection.
    schema.config.checks.negative_data_rejection.expected_statuses.append("414")
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in GenerationMode:
            try:
                _fuzz(operation, mode, role_tokens)
            except Unsatisfiable:  # no invalid value exists (a free-text path segment): nothing to send
                continue
            except BaseException as error:  # failed checks (an exception group): collected, to report every one
                if not isinstance(error, Exception | BaseExceptionGroup):
                    raise
                failures.append(f"{operation.label} ({mode.value}): {error}")
    assert not failures, f"{len(failures)} operations failed:\n\n" + "\n\n".join(failures)


def _fuzz(operation, mode: GenerationMode, tokens: dict[str, str]) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        for role in ROLES:
            case.call_and_validate(
                headers={"Authorization": f"Bearer {tokens[role]}"}, excluded_checks=[positive_data_acceptance]
            )

    run()
