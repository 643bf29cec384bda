"""The embedded mode (`make run`): the library's filters and plain LIKE search work on SQLite too."""

from __future__ import annotations

import pytest
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from tests import factories


@pytest.mark.live
def test_library_on_sqlite(tmp_path):
    app = create_app(
        "testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'lib.sqlite'}", CACHE_TYPE="SimpleCache"
    )
    with app.app_context():
        upgrade(revision="heads")
        for _ in range(2):
            result = app.test_cli_runner().invoke(args=["seed", "exercises"])
            assert result.exit_code == 0, result.output
        assert "0 created" in result.output
        trainer = factories.make_user(role="Trainer")
        client = app.test_client()
        token = client.post("/api/login", json={"email": trainer.email, "password": factories.PASSWORD}).get_json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}

        def names(query: str) -> list[str]:
            response = client.get(f"/api/exercises?{query}", headers=headers)
            assert response.status_code == 200, response.get_json()
            return [e["name"] for e in response.get_json()]

        new = {"name": "Développé Couché", "category": "Strength", "difficulty_level": "Advanced", "muscles": ["Chest"]}
        created = client.post("/api/exercises", json=new, headers=headers)
        assert created.status_code == 201
        assert names("q=DEVELOPPE couche") == ["Développé Couché"]
        found = names("q=bench press&page_size=100")
        assert "Barbell Bench Press - Medium Grip" in found
        assert all("bench" in n.lower() for n in found[:5])
        chest = client.get("/api/exercises?muscle=chest&equipment=dumbbell&page_size=100", headers=headers).get_json()
        assert chest and all("chest" in e["muscles"] and "dumbbell" in e["equipment"] for e in chest)
        assert (
            names("category=Strength&difficulty_level=Advanced&muscle=chest&sort=-created_at")[0] == "Développé Couché"
        )
        # SQLite's lower() folds ASCII letters only; PostgreSQL folds every letter.
        assert (
            client.post("/api/exercises", json={**new, "name": "DéVELOPPé COUCHé"}, headers=headers).status_code == 409
        )
        workout = {"title": "W", "items": [{"exercise_id": created.get_json()["id"]}], "visibility": "Public"}
        assert client.post("/api/workouts", json=workout, headers=headers).status_code == 201
        assert client.delete(f"/api/exercises/{created.get_json()['id']}", headers=headers).status_code == 204
        assert names("q=developpe") == []
        assert client.get("/api/workouts", headers=headers).get_json()[0]["items"][0]["exercise"]["archived"] is True
        db.session.remove()
        db.engine.dispose()
