"""HTTPS redirect behind a trusted proxy, HSTS and the security headers."""

from __future__ import annotations

import pytest

from app import create_app


@pytest.fixture(scope="module")
def proxied():
    """The app as production runs it behind one proxy (Heroku's router): HTTPS forced."""
    return create_app("testing", FORCE_HTTPS=True, TRUSTED_PROXY_HOPS=1).test_client()


@pytest.mark.parametrize(("method", "code"), [("GET", 301), ("HEAD", 301), ("POST", 308), ("DELETE", 308)])
def test_plain_http_through_the_proxy_is_redirected_to_https(proxied, method, code):
    response = proxied.open(
        "/api/exercises?q=squat", method=method, headers={"X-Forwarded-Proto": "http", "Host": "api.example.org"}
    )
    assert response.status_code == code
    assert response.headers["Location"] == "https://api.example.org/api/exercises?q=squat"
    assert "Strict-Transport-Security" not in response.headers  # HSTS only over HTTPS
    assert response.headers["X-Request-ID"]


def test_https_through_the_proxy_is_served_with_hsts(proxied):
    response = proxied.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_platform_health_checks_over_plain_http_are_not_redirected(proxied, path):
    assert proxied.get(path, headers={"X-Forwarded-Proto": "http"}).status_code in (200, 503)


def test_an_untrusted_forwarded_proto_is_ignored():
    direct = create_app("testing", FORCE_HTTPS=True, TRUSTED_PROXY_HOPS=0).test_client()
    response = direct.get("/api/exercises", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 301  # a client cannot claim HTTPS when no proxy is trusted


def test_without_force_https_plain_http_is_served(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and "Strict-Transport-Security" not in response.headers


def test_security_headers_on_api_responses_errors_included(client):
    for response in (client.get("/healthz"), client.get("/api/no-such-route"), client.post("/api/login", json={})):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"


def test_the_docs_page_may_run_its_own_scripts_only(client):
    response = client.get("/api/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'unsafe-inline'" in csp and "frame-ancestors 'none'" in csp and "http" not in csp


def test_production_forces_https_by_default():
    from config import ProductionConfig

    assert ProductionConfig.FORCE_HTTPS is True
