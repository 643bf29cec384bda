"""Password checks: an unknown email costs the same argon2 work as a wrong password (no enumeration by timing)."""

from __future__ import annotations

from collections import Counter

import pytest
from argon2 import PasswordHasher


@pytest.fixture
def argon2_calls(monkeypatch):
    """Count argon2's hash and verify calls (the library's, spied on; our code runs unchanged)."""
    calls: Counter = Counter()
    for name in ("hash", "verify"):
        original = getattr(PasswordHasher, name)

        def spy(self, *args, _original=original, _name=name, **kwargs):
            calls[_name] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(PasswordHasher, name, spy)
    return calls


def login_work(client, calls: Counter, email: str) -> Counter:
    calls.clear()
    response = client.post("/api/login", json={"email": email, "password": "not-the-password"})
    assert response.status_code == 401
    return Counter(calls)


def test_an_unknown_email_costs_the_same_argon2_work_as_a_wrong_password(client, make_user, argon2_calls):
    user = make_user()
    login_work(client, argon2_calls, "first-unknown@example.com")  # the process's first: may make the dummy hash
    unknown = [login_work(client, argon2_calls, f"nobody{i}@example.com") for i in range(3)]
    known = login_work(client, argon2_calls, user.email)
    assert known == Counter(verify=1)
    assert unknown == [known] * 3
