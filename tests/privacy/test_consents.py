"""GET/POST /api/users/me/consents, the append-only ledger (the database refuses changes) and health consent."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from app.extensions import db
from app.privacy.models import Consent, Erasure
from app.training.models import Measurement
from tests.factories import make_user


def test_every_change_is_a_new_row_with_time_and_policy_version(app, client, login):
    me = make_user()
    headers = login(me)
    first = client.post("/api/users/me/consents", json={"type": "marketing", "granted": True}, headers=headers)
    assert first.status_code == 201
    assert first.get_json()["policy_version"] == app.config["POLICY_VERSION"]
    client.post("/api/users/me/consents", json={"type": "marketing", "granted": False}, headers=headers)

    body = client.get("/api/users/me/consents", headers=headers).get_json()
    assert body["current"]["marketing"]["granted"] is False
    assert body["current"]["analytics"] is None and body["current"]["health_data"] is None
    assert [row["granted"] for row in body["history"]] == [True, False]
    rows = db.session.scalars(sa.select(Consent).where(Consent.user_id == me.id).order_by(Consent.id)).all()
    assert [row.granted for row in rows] == [True, False]
    assert rows[0].user_agent and rows[0].recorded_at is not None


def test_consents_are_per_person_and_need_a_login(client, login):
    me, other = make_user(), make_user()
    client.post("/api/users/me/consents", json={"type": "analytics", "granted": True}, headers=login(other))
    assert client.get("/api/users/me/consents", headers=login(me)).get_json()["history"] == []
    assert client.get("/api/users/me/consents").status_code == 401
    assert client.post("/api/users/me/consents", json={"type": "analytics", "granted": True}).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [({"granted": True}, "type"), ({"type": "cookies", "granted": True}, "type"), ({"type": "marketing"}, "granted")],
)
def test_validation_names_the_field(client, login, body, field):
    response = client.post("/api/users/me/consents", json=body, headers=login(make_user()))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]


def _ledger_row(user) -> int:
    db.session.add(Consent(user_id=user.id, type="marketing", granted=True, policy_version="v1"))
    db.session.flush()
    return db.session.scalar(sa.select(Consent.id).where(Consent.user_id == user.id))


@pytest.mark.parametrize("statement", ["UPDATE consents SET granted = false", "DELETE FROM consents"])
def test_the_database_refuses_to_change_the_ledger(statement):
    me = make_user()
    _ledger_row(me)
    savepoint = db.session.begin_nested()
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(sa.text(statement))
    savepoint.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Consent)) == 1


def test_erasure_may_delete_the_ledger_but_not_change_it():
    me = make_user()
    _ledger_row(me)
    db.session.add(Erasure(user_id=me.id))
    db.session.flush()
    savepoint = db.session.begin_nested()
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(sa.text("UPDATE consents SET granted = false"))
    savepoint.rollback()
    db.session.execute(sa.text("DELETE FROM consents WHERE user_id = :uid"), {"uid": me.id})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Consent)) == 0


def test_withdrawn_health_consent_stops_new_measurements(client, login):
    me = make_user()
    headers = login(me)
    measurement = {"type": "Weight", "value": 70, "measured_at": "2026-11-01T08:00:00Z"}
    assert client.post("/api/measurements", json=measurement, headers=headers).status_code == 201

    client.post("/api/users/me/consents", json={"type": "health_data", "granted": False}, headers=headers)
    refused = client.post("/api/measurements", json={**measurement, "value": 71}, headers=headers)
    assert refused.status_code == 403
    assert "consent" in refused.get_json()["message"]
    assert db.session.scalar(sa.select(sa.func.count()).where(Measurement.user_id == me.id)) == 1

    client.post("/api/users/me/consents", json={"type": "health_data", "granted": True}, headers=headers)
    again = {**measurement, "measured_at": "2026-11-02T08:00:00Z"}
    assert client.post("/api/measurements", json=again, headers=headers).status_code == 201
