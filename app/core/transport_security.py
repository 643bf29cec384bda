"""HTTPS only (behind a proxy that says so in X-Forwarded-Proto), HSTS and the usual security headers.

A few lines rather than Flask-Talisman: an API needs a redirect, HSTS and five fixed headers; Talisman's
defaults (a CSP for pages, session cookie flags) are for sites. The request's scheme is the proxy's
`X-Forwarded-Proto` only when `TRUSTED_PROXY_HOPS` trusts that proxy (ProxyFix, wired in the factory).
"""

from __future__ import annotations

from flask import Flask, Response, redirect, request

# Health checks come from the platform over plain HTTP inside its network; they are not redirected.
EXEMPT_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# The Swagger UI page (served from our own assets) needs its scripts and styles, and its inline start-up.
PAGE_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'"
)


# Added to every response that does not set them itself.
FIXED_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


def register_transport_security(app: Flask) -> None:
    """Redirect plain HTTP to HTTPS when FORCE_HTTPS is on; add HSTS and security headers to every response."""
    hsts = f"max-age={app.config['HSTS_MAX_AGE']}; includeSubDomains"

    @app.before_request
    def _require_https() -> Response | None:
        if not app.config["FORCE_HTTPS"] or request.is_secure or request.path in EXEMPT_PATHS:
            return None
        # 308 keeps the method and body for a client that follows it; GET and HEAD get the classic 301.
        code = 301 if request.method in ("GET", "HEAD") else 308
        return redirect(request.url.replace("http://", "https://", 1), code=code)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        wanted = [
            *((("Strict-Transport-Security", hsts),) if request.is_secure else ()),
            *FIXED_HEADERS,
            ("Content-Security-Policy", PAGE_CSP if response.mimetype == "text/html" else API_CSP),
        ]
        present = {key.lower() for key, _value in headers.items()}  # one pass (`setdefault` scans per call)
        headers.extend([(key, value) for key, value in wanted if key.lower() not in present])
        return response
