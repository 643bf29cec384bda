"""The library's response cache in Redis: hits without SQL, ETags and 304s, and never a stale answer."""

from __future__ import annotations

import pytest
import redis

from app.exercises import cache as library_cache
from tests.conftest import sql_statements
from tests.factories import make_exercise, make_workout

NEW = {"name": "Goblet Squat", "category": "Strength", "difficulty_level": "Beginner"}


def library_queries(seen: list[str]) -> list[str]:
    return [s for s in seen if "FROM exercises" in s]


@pytest.fixture
def headers(trainer, login):
    return login(trainer)


def names(response) -> list[str]:
    return [e["name"] for e in response.get_json()]


def test_cache_uses_redis(app):
    assert app.config["CACHE_TYPE"] == "RedisCache"


def test_second_list_is_served_from_redis_without_any_sql(app, client, headers):
    make_exercise(name="Plank")
    with sql_statements() as first_seen:
        first = client.get("/api/exercises?category=Strength", headers=headers)
    assert len(library_queries(first_seen)) == 1  # page and total in one statement (counted: see DirectStatement)
    with sql_statements() as seen:
        second = client.get("/api/exercises?category=Strength", headers=headers)
    assert second.status_code == 200
    # not even the caller's login: its revocation check reads the process's Redis key-tracking reports
    # (the test transaction's savepoints aside: production's commit of an unused session sends nothing)
    assert [s for s in seen if not s.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO"))] == []
    assert second.get_data() == first.get_data()
    assert second.headers["X-Pagination"] == first.headers["X-Pagination"]
    assert second.headers["ETag"] == first.headers["ETag"]
    keys = redis.Redis.from_url(app.config["REDIS_URL"]).keys("*exercises:/api/exercises?category=Strength")
    assert len(keys) == 1


def test_cache_is_keyed_by_the_full_query(client, headers):
    make_exercise(name="Plank", category="Strength")
    make_exercise(name="Run", category="Cardio")
    assert names(client.get("/api/exercises?category=Strength", headers=headers)) == ["Plank"]
    assert names(client.get("/api/exercises?category=Cardio", headers=headers)) == ["Run"]
    assert names(client.get("/api/exercises?category=Cardio&page_size=1", headers=headers)) == ["Run"]
    assert names(client.get("/api/exercises", headers=headers)) == ["Plank", "Run"]


def test_etag_and_304(client, headers):
    exercise = make_exercise(name="Plank")
    for url in ("/api/exercises", f"/api/exercises/{exercise.id}"):
        first = client.get(url, headers=headers)
        etag = first.headers["ETag"]
        assert etag
        again = client.get(url, headers={**headers, "If-None-Match": etag})
        assert again.status_code == 304
        assert again.get_data() == b""
        assert again.headers["ETag"] == etag
        other = client.get(url, headers={**headers, "If-None-Match": '"something-else"'})
        assert other.status_code == 200


def test_304_on_the_first_request_of_a_fresh_cache(client, headers):
    make_exercise(name="Plank")
    etag = client.get("/api/exercises", headers=headers).headers["ETag"]
    redis.Redis.from_url(client.application.config["REDIS_URL"]).flushdb()
    assert client.get("/api/exercises", headers={**headers, "If-None-Match": etag}).status_code == 304


def test_list_is_fresh_after_create(client, headers):
    make_exercise(name="Plank")
    etag = client.get("/api/exercises", headers=headers).headers["ETag"]
    assert client.post("/api/exercises", json=NEW, headers=headers).status_code == 201
    r = client.get("/api/exercises", headers={**headers, "If-None-Match": etag})
    assert r.status_code == 200
    assert names(r) == ["Goblet Squat", "Plank"]
    assert r.headers["ETag"] != etag


def test_list_and_detail_are_fresh_after_update(client, trainer, headers):
    exercise = make_exercise(creator=trainer, name="Plank")
    assert names(client.get("/api/exercises?q=plank", headers=headers)) == ["Plank"]
    assert client.get(f"/api/exercises/{exercise.id}", headers=headers).get_json()["name"] == "Plank"
    client.put(f"/api/exercises/{exercise.id}", json={"name": "Side Plank"}, headers=headers)
    assert names(client.get("/api/exercises?q=plank", headers=headers)) == ["Side Plank"]
    assert client.get(f"/api/exercises/{exercise.id}", headers=headers).get_json()["name"] == "Side Plank"


def test_list_and_detail_are_fresh_after_delete_and_archive(client, trainer, headers):
    gone = make_exercise(creator=trainer, name="Gone")
    kept = make_exercise(creator=trainer, name="Kept")
    make_workout(trainer, [kept])
    assert names(client.get("/api/exercises", headers=headers)) == ["Gone", "Kept"]
    client.get(f"/api/exercises/{gone.id}", headers=headers)
    client.get(f"/api/exercises/{kept.id}", headers=headers)
    client.delete(f"/api/exercises/{gone.id}", headers=headers)
    client.delete(f"/api/exercises/{kept.id}", headers=headers)
    assert names(client.get("/api/exercises", headers=headers)) == []
    assert client.get(f"/api/exercises/{gone.id}", headers=headers).status_code == 404
    assert client.get(f"/api/exercises/{kept.id}", headers=headers).get_json()["archived"] is True


def test_failed_write_does_not_invalidate(client, headers):
    make_exercise(name="Plank")
    etag = client.get("/api/exercises", headers=headers).headers["ETag"]
    assert client.post("/api/exercises", json={**NEW, "name": "plank"}, headers=headers).status_code == 409
    assert client.get("/api/exercises", headers={**headers, "If-None-Match": etag}).status_code == 304


def test_a_lost_version_key_never_serves_old_entries(client, headers):
    make_exercise(name="Plank")
    client.get("/api/exercises", headers=headers)
    client.post("/api/exercises", json=NEW, headers=headers)
    r = redis.Redis.from_url(client.application.config["REDIS_URL"])
    r.delete(*r.keys("*" + library_cache.VERSION_KEY))  # evicted
    assert names(client.get("/api/exercises", headers=headers)) == ["Goblet Squat", "Plank"]


def test_errors_are_not_cached_and_auth_still_applies(client, headers):
    make_exercise(name="Plank")
    assert client.get("/api/exercises?page_size=101", headers=headers).status_code == 422
    assert client.get("/api/exercises?page_size=101", headers=headers).status_code == 422
    assert client.get("/api/exercises/999999", headers=headers).status_code == 404
    client.get("/api/exercises", headers=headers)
    assert client.get("/api/exercises").status_code == 401


def test_hit_after_seed_is_fresh(app, client, headers):
    before = client.get("/api/exercises?q=sit-up", headers=headers)
    assert before.get_json() == []
    result = app.test_cli_runner().invoke(args=["seed", "exercises"])
    assert result.exit_code == 0, result.output
    assert "3/4 Sit-Up" in names(client.get("/api/exercises?q=sit-up", headers=headers))


@pytest.mark.parametrize("key_tracking", [True, False])
def test_a_hit_still_refuses_a_revoked_login(app, client, headers, monkeypatch, key_tracking):
    """Both ways a login is checked: the process's key-tracking reports, and (without them) asking each time.

    `login_revoked` looks the watch up on every check, so removing it here really takes the other path (the
    cache's own Redis is fixed when the app is built, so changing its URL afterwards would change nothing).
    """
    if key_tracking:
        assert app.extensions.get("revocation_watch") is not None
    else:
        monkeypatch.delitem(app.extensions, "revocation_watch")
    make_exercise(name="Plank")
    assert client.get("/api/exercises", headers=headers).status_code == 200
    assert client.get("/api/exercises", headers=headers).status_code == 200  # a hit
    assert client.post("/api/logout", headers=headers).status_code == 204
    for url in ("/api/exercises", "/api/exercises?page_size=101", "/api/exercises/999999"):
        response = client.get(url, headers=headers)
        assert response.status_code == 401, url
        assert response.get_json()["message"] == "The token has been revoked."
