"""Headless Chromium opens /api/docs from a live server and sees the operations rendered."""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from tests.browser import dump_dom
from tests.conftest import free_port


@pytest.fixture
def live_docs(app):
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def test_swagger_ui_renders_operations_offline(live_docs):
    dom, stderr = dump_dom(f"{live_docs}/api/docs")
    assert "swagger-ui" in dom, stderr[-2000:]
    assert "opblock" in dom, "no operations rendered"
    assert "/api/login" in dom and "/api/register" in dom
    assert "Getting started" in dom, "info.description is rendered"
    assert 'href="/api/asyncapi.json"' in dom, "the docs page links the AsyncAPI document"
