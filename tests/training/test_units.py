"""The `units` display preference on the profile; the API itself stays metric."""

from __future__ import annotations


def test_units_default_to_metric_and_can_be_changed(client, user, login):
    headers = login(user)
    assert client.get("/api/users/me", headers=headers).get_json()["profile"]["units"] == "metric"
    r = client.put("/api/users/me", json={"profile": {"units": "imperial"}}, headers=headers)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["profile"]["units"] == "imperial"


def test_unknown_units_are_422(client, user, login):
    r = client.put("/api/users/me", json={"profile": {"units": "furlongs"}}, headers=login(user))
    assert r.status_code == 422
    assert "units" in r.get_json()["errors"]["json"]["profile"]


def test_weights_stay_kg_for_imperial_users(client, make_user, login):
    athlete = make_user(units="imperial")
    r = client.post("/api/measurements", json={"type": "Weight", "value": 80, "measured_at": "2026-03-02T07:00:00Z"},
                    headers=login(athlete))  # fmt: skip
    assert r.status_code == 201
    assert (r.get_json()["value"], r.get_json()["unit"]) == (80.0, "kg")
