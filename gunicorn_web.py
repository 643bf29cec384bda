"""Gunicorn hooks of the web process (`gunicorn -c gunicorn_web.py ...`, see the Procfile).

The worker class and sizes stay on the command line, where the Procfile shows them.
"""

import gc


def post_worker_init(worker):
    """Once the worker has loaded the app, open its database pool and take its long-lived objects out of the
    garbage collector's scans.

    The app, its models, schemas and routes are ~220,000 objects that live as long as the process. Without
    this, every full collection walked all of them (~200 ms on the bench machine, stalling every socket of
    the process) and the frequent young collections cost more too; frozen, they are never scanned.
    """
    app = worker.wsgi
    if "sqlalchemy" in getattr(app, "extensions", {}):  # Spotter's app (the chat bench's relay runs these hooks too)
        from app.core.db import open_pool
        from app.extensions import db

        with app.app_context():
            open_pool(db.engine)  # the first burst of events need not wait for PostgreSQL backends to start
    gc.collect()
    gc.freeze()
