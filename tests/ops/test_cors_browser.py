"""Real headless Chromium: a page on one loopback port uses the API on another, when its origin is allowed."""

from __future__ import annotations

import html
import json
import re

import pytest

from tests import live
from tests.browser import dump_dom, page_server
from tests.factories import PASSWORD, make_exercise, make_user

pytestmark = pytest.mark.live

# The page logs in (a JSON POST: preflighted), lists exercises with the bearer token (preflighted too) and
# reads the exposed X-Pagination header; it writes what happened into the DOM for the test to read.
PAGE = """<!doctype html><html><body><pre id="result">pending</pre><script>
const api = "%(api)s";
const show = (value) => { document.getElementById("result").textContent = "RESULT " + JSON.stringify(value); };
(async () => {
  try {
    const login = await fetch(api + "/api/login", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({email: "%(email)s", password: "%(password)s"})});
    const token = (await login.json()).access_token;
    const list = await fetch(api + "/api/exercises?q=Goblet", {headers: {"Authorization": "Bearer " + token}});
    const names = (await list.json()).map((exercise) => exercise.name);
    show({login: login.status, list: list.status, names: names, pagination: list.headers.get("X-Pagination")});
  } catch (error) {
    show({error: String(error)});
  }
})();
</script></body></html>"""


def page_result(dom: str) -> dict:
    match = re.search(r'<pre id="result">RESULT (.*?)</pre>', dom)
    assert match, f"the page's script never finished: {dom[-1500:]}"
    return json.loads(html.unescape(match.group(1)))


@pytest.fixture
def two_origins(app):
    """Two loopback origins serving the page, and an API server (on a third port) that allows only the first."""
    with page_server() as allowed, page_server() as refused:
        app.config.setdefault("LIVE_SOCKETIO_CHANNEL", "spotter-test-cors-browser")
        server = live.start_live_server(app, CORS_ALLOWED_ORIGINS=allowed.origin)
        try:
            user = make_user(username="browser_user")
            make_exercise(name="Goblet Squat")
            allowed.html = refused.html = PAGE % {"api": server.url, "email": user.email, "password": PASSWORD}
            yield allowed, refused
        finally:
            live.stop_live_server(server)


def test_a_page_on_an_allowed_origin_logs_in_and_lists_exercises(two_origins):
    allowed, _refused = two_origins
    dom, stderr = dump_dom(allowed.origin + "/")
    result = page_result(dom)
    assert result["login"] == 200 and result["list"] == 200, (result, stderr[-1500:])
    assert result["names"] == ["Goblet Squat"]
    assert json.loads(result["pagination"])["total"] == 1


def test_a_page_on_an_origin_not_in_the_list_is_refused(two_origins):
    _allowed, refused = two_origins
    dom, _stderr = dump_dom(refused.origin + "/")
    assert page_result(dom) == {"error": "TypeError: Failed to fetch"}
