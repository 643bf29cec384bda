"""Gunicorn hooks and worker classes of the web process (`gunicorn -c gunicorn_web.py ...`, see the Procfile).

The worker class and sizes stay on the command line, where the Procfile shows them.
"""

import contextlib
import gc
import json
from http import HTTPStatus

from gunicorn.http import errors
from gunicorn.workers.ggevent import GeventWorker
from gunicorn.workers.gthread import ThreadWorker

# Refusals gunicorn makes before the app sees a request with their status; anything else it cannot parse is a
# 400. Its configuration problems and the app's own bad response headers are no refusals: gunicorn answers those.
REFUSALS = {
    errors.LimitRequestLine: 414,
    errors.LimitRequestHeaders: 431,
    errors.ExpectationFailed: 417,
    errors.UnsupportedTransferCoding: 501,
    errors.ForbiddenProxyRequest: 403,
}
NOT_REFUSALS = (errors.ConfigurationProblem, errors.InvalidResponseHeader, errors.InvalidResponseHeaderName)


class JSONRefusals:
    """Gunicorn's own refusals (a request line or headers too long, a malformed request) in API.md's JSON
    error shape instead of its HTML page; failures that are not the request's fault stay gunicorn's."""

    def handle_error(self, req, client, addr, exc):
        """Answer a request gunicorn refused to parse with a JSON error and close the connection."""
        if not isinstance(exc, errors.ParseException) or isinstance(exc, NOT_REFUSALS):
            return super().handle_error(req, client, addr, exc)
        code = next((code for kind, code in REFUSALS.items() if isinstance(exc, kind)), 400)
        status = HTTPStatus(code)
        body = json.dumps({"code": code, "status": status.phrase, "message": f"{status.description} ({exc})"})
        head = (
            f"HTTP/1.1 {code} {status.phrase}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body.encode())}\r\n\r\n"
        )
        self.log.debug("refused a request from %s: %s", addr, exc)
        with contextlib.suppress(OSError):  # the client may be gone already
            client.sendall((head + body).encode())


class GeventJSONWorker(JSONRefusals, GeventWorker):
    """The Procfile's gevent worker, refusing malformed requests in JSON (`-k gunicorn_web.GeventJSONWorker`)."""


class ThreadJSONWorker(JSONRefusals, ThreadWorker):
    """`make run`'s threaded worker, refusing malformed requests in JSON (`-k gunicorn_web.ThreadJSONWorker`)."""


def post_worker_init(worker):
    """Once the worker has loaded the app, open its database pool and take its long-lived objects out of the
    garbage collector's scans.

    The app, its models, schemas and routes are ~220,000 objects that live as long as the process. Without
    this, every full collection walked all of them (~200 ms on the bench machine, stalling every socket of
    the process) and the frequent young collections cost more too; frozen, they are never scanned.
    """
    app = worker.wsgi
    # Spotter's app only: the benches' reference apps (the relay, limit_app.py, itself a Flask-SQLAlchemy app) run
    # these hooks too, from a folder where `app` is not importable.
    if getattr(app, "import_name", None) == "app" and "sqlalchemy" in getattr(app, "extensions", {}):
        from app.core.engine import open_pool
        from app.extensions import db

        with app.app_context():
            open_pool(db.engine)  # the first burst of events need not wait for PostgreSQL backends to start
    gc.collect()
    gc.freeze()
