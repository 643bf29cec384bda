"""Body measurements: recording, the one-per-moment rule, reading, filters, deleting, who may."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.core.columns import utcnow
from tests.factories import make_measurement

WHEN = datetime(2026, 3, 2, 7, 30, tzinfo=UTC)


@pytest.fixture
def as_athlete(people, login):
    return login(people.athlete)


def test_athlete_records_a_measurement(client, people, as_athlete):
    r = client.post(
        "/api/measurements", json={"type": "Body Fat", "value": 18.5, "measured_at": "2026-03-02T08:30:00+01:00"},
        headers=as_athlete,
    )  # fmt: skip
    assert r.status_code == 201, r.get_json()
    data = r.get_json()
    assert data["type"] == "Body Fat"
    assert data["value"] == 18.5
    assert data["unit"] == "%"
    assert data["measured_at"] == "2026-03-02T07:30:00Z"
    assert data["user_id"] == people.athlete.id
    assert set(data) == {"id", "user_id", "type", "value", "unit", "measured_at", "created_at"}


def test_same_type_at_the_same_moment_is_409(client, as_athlete):
    first = {"type": "Weight", "value": 80, "measured_at": "2026-03-02T07:30:00Z"}
    assert client.post("/api/measurements", json=first, headers=as_athlete).status_code == 201
    same_instant = {**first, "value": 81, "measured_at": "2026-03-02T08:30:00+01:00"}
    r = client.post("/api/measurements", json=same_instant, headers=as_athlete)
    assert r.status_code == 409
    assert r.get_json()["code"] == 409
    # Another type, or another moment, is fine.
    assert client.post("/api/measurements", json={**first, "type": "Waist"}, headers=as_athlete).status_code == 201
    later = {**first, "measured_at": "2026-03-02T07:31:00Z"}
    assert client.post("/api/measurements", json=later, headers=as_athlete).status_code == 201


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"type": "Height", "value": 180}, "type"),
        ({"type": "weight", "value": 80}, "type"),
        ({"type": "Weight", "value": 0}, "value"),
        ({"type": "Weight", "value": -80}, "value"),
        ({"type": "Weight", "value": 7000}, "value"),
        ({"type": "Body Fat", "value": 90}, "value"),
        ({"type": "Resting HR", "value": 400}, "value"),
        ({"type": "Weight", "value": "heavy"}, "value"),
        ({"type": "Weight", "value": 80, "measured_at": "2999-01-01T00:00:00Z"}, "measured_at"),
        ({"type": "Weight", "value": 80, "measured_at": None}, "measured_at"),
        ({"type": "Weight", "value": 80, "user_id": 1}, "user_id"),
    ],
)
def test_bad_measurements_are_422(client, as_athlete, data, field):
    data = {"measured_at": "2026-03-02T07:30:00Z", **data}
    r = client.post("/api/measurements", json=data, headers=as_athlete)
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["errors"]["json"]


def test_missing_fields_are_422(client, as_athlete):
    r = client.post("/api/measurements", json={}, headers=as_athlete)
    assert r.status_code == 422
    assert set(r.get_json()["errors"]["json"]) == {"type", "value", "measured_at"}


def test_list_filters_newest_first(client, people, as_athlete):
    w1 = make_measurement(people.athlete, "Weight", 80, WHEN)
    w2 = make_measurement(people.athlete, "Weight", 79, WHEN + timedelta(days=2))
    waist = make_measurement(people.athlete, "Waist", 85, WHEN + timedelta(days=1))
    make_measurement(people.stranger, "Weight", 70, WHEN)
    r = client.get("/api/measurements", headers=as_athlete)
    assert [m["id"] for m in r.get_json()] == [w2.id, waist.id, w1.id]
    r = client.get("/api/measurements?type=Weight", headers=as_athlete)
    assert [m["id"] for m in r.get_json()] == [w2.id, w1.id]
    r = client.get("/api/measurements?from=2026-03-03&to=2026-03-03", headers=as_athlete)
    assert [m["id"] for m in r.get_json()] == [waist.id]


@pytest.mark.parametrize(
    ("query", "field"), [("type=Height", "type"), ("from=2026-03-05&to=2026-03-01", "to"), ("sort=value", "sort")]
)
def test_bad_list_queries_are_422(client, as_athlete, query, field):
    r = client.get(f"/api/measurements?{query}", headers=as_athlete)
    assert r.status_code == 422
    assert field in r.get_json()["errors"]["query"]


@pytest.mark.parametrize(("who", "status"), [("athlete", 200), ("coach", 200), ("owner", 200), ("pending", 403),
                                             ("former", 403), ("stranger", 403)])  # fmt: skip
def test_who_lists_an_athletes_measurements(client, people, login, who, status):
    make_measurement(people.athlete, "Weight", 80, WHEN)
    r = client.get(f"/api/measurements?user_id={people.athlete.id}", headers=login(getattr(people, who)))
    assert r.status_code == status


@pytest.mark.parametrize(("who", "read", "delete"), [("athlete", 200, 204), ("coach", 200, 403), ("owner", 200, 403),
                                                     ("pending", 404, 404), ("stranger", 404, 404)])  # fmt: skip
def test_who_reads_and_deletes_a_measurement(client, people, login, who, read, delete):
    measurement = make_measurement(people.athlete, "Weight", 80, WHEN)
    headers = login(getattr(people, who))
    assert client.get(f"/api/measurements/{measurement.id}", headers=headers).status_code == read
    assert client.delete(f"/api/measurements/{measurement.id}", headers=headers).status_code == delete


def test_deleted_measurement_is_gone(client, people, as_athlete):
    measurement = make_measurement(people.athlete, "Weight", 80, utcnow() - timedelta(hours=1))
    assert client.delete(f"/api/measurements/{measurement.id}", headers=as_athlete).status_code == 204
    assert client.get(f"/api/measurements/{measurement.id}", headers=as_athlete).status_code == 404
