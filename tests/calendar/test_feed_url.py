"""The feed URL is built from PUBLIC_BASE_URL, never from the request's Host header (issue 15 §6)."""

from __future__ import annotations


def test_the_feed_url_ignores_the_host_header(app, client, user, login):
    saved = app.config["PUBLIC_BASE_URL"]
    app.config["PUBLIC_BASE_URL"] = "https://spotter.example.org"
    try:
        headers = {**login(user), "Host": "evil.example.com", "X-Forwarded-Host": "evil.example.com"}
        response = client.post("/api/calendar/feed-token", headers=headers)
    finally:
        app.config["PUBLIC_BASE_URL"] = saved
    assert response.status_code == 201
    url = response.get_json()["url"]
    assert url.startswith("https://spotter.example.org/api/calendar/feed/") and url.endswith(".ics")
    assert "evil" not in url
