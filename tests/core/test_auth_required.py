"""Every route of the app's URL map answers 401 without a token, except the public ones of API.md §0."""

from __future__ import annotations

import re

# API.md §0: register, login, password forgot/reset, email verification, OAuth sign-in (and its nonce), health
# checks, docs and the calendar feed (its token is in the URL). Metrics have a token of their own. Routes that
# do not exist yet are listed too, so that they are public when they come.
PUBLIC = [
    r"POST /api/register",
    r"POST /api/login",
    r"POST /api/password/(forgot|reset)",
    r"POST /api/email/verify",
    r"(GET|POST) /api/oauth/.*",
    r"GET /(healthz|readyz|metrics)",
    r"GET /api/(openapi|asyncapi)\.json",
    r"GET /api/docs(/.*)?",
    r"GET /api/calendar/feed/.*",
    r"GET /static/.*",
    # The local storage backend's public objects (avatars and their thumbnails, app/core/storage.py): their URLs
    # are put in `profile_image` for <img> tags, which send no token, as a CDN or S3 URL would be; the keys are
    # content-addressed and objects without a typed name (temporary uploads) answer 404.
    r"GET /media/.*",
    # A data export's download link (API.md §10) is signed by us and valid 24 h: the token in the URL is the
    # credential, so that a browser can follow it (app/privacy/services.py); a bad or expired one is 404/410.
    r"GET /api/exports/download/.*",
]
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def is_public(method: str, rule: str) -> bool:
    return any(re.fullmatch(pattern, f"{method} {rule}") for pattern in PUBLIC)


def route_methods(app) -> list[tuple[str, str]]:
    """(method, path) of every route of the app but the public ones, with 1 in each path variable."""
    found = []
    for rule in app.url_map.iter_rules():
        path = rule.build(dict.fromkeys(rule.arguments, "1"), append_unknown=False)[1]
        found += [(method, path) for method in sorted(rule.methods & set(METHODS)) if not is_public(method, rule.rule)]
    return sorted(found)


def test_every_route_but_the_public_ones_needs_a_token(app, client):
    routes = route_methods(app)
    assert len(routes) >= 90 and ("GET", "/api/exercises") in routes and ("POST", "/api/login") not in routes
    answers = {}
    for method, path in routes:
        response = client.open(path, method=method, json={} if method in ("POST", "PUT", "PATCH") else None)
        body = response.get_json(silent=True) or {}
        answers[f"{method} {path}"] = (response.status_code, body.get("code"), response.headers.get("WWW-Authenticate"))
    wrong = {route: answer for route, answer in answers.items() if answer != (401, 401, "Bearer")}
    assert wrong == {}


def test_the_public_list_matches_only_what_it_names():
    assert is_public("POST", "/api/login") and not is_public("GET", "/api/login")
    assert not is_public("POST", "/api/register/extra") and not is_public("GET", "/api/users")
    assert is_public("GET", "/api/calendar/feed/<token>.ics") and is_public("GET", "/api/docs/assets/<path:filename>")
    assert is_public("GET", "/media/<path:key>") and not is_public("PUT", "/media/<path:key>")
