"""Every social route (read from the URL map, so a new one cannot be forgotten) refuses a missing token."""

from __future__ import annotations

import re

import pytest


def social_rules(app) -> list[tuple[str, str]]:
    rules = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("social."):
            continue
        path = re.sub(r"<[^>]+>", "1", rule.rule)
        rules += [(method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return rules


def test_the_map_has_every_social_route(app):
    paths = {path for _method, path in social_rules(app)}
    assert "/api/feed" in paths and "/api/announcements/1" in paths and "/api/workouts/1/share" in paths
    assert len(social_rules(app)) == 24  # method and path pairs of API.md §9 and the additions


@pytest.mark.parametrize("garbage", [None, "Bearer nonsense"])
def test_every_social_route_needs_a_token(app, client, garbage):
    headers = {"Authorization": garbage} if garbage else {}
    for method, path in social_rules(app):
        response = client.open(
            path, method=method, headers=headers, json={} if method in ("POST", "PUT", "PATCH") else None
        )
        assert response.status_code == 401, (method, path, response.status_code)
        assert response.get_json()["code"] == 401
