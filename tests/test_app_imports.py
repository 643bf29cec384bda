"""What a process that loads the app imports: heavy SDKs only where their feature is used, no Alembic where
MIGRATIONS is off (the Procfile's web, worker and beat), so a worker stays light (bench/RESULTS.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from app import create_app

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ["alembic", "boto3", "sentry_sdk", "PIL", "icalendar", "caldav"]
PROBE = """
import json, sys
from app import create_app
app = create_app("production", FORCE_HTTPS=False)
app.extensions["celery"].loader.import_default_modules()  # the job modules, as `celery worker` loads them
print(json.dumps(sorted(name for name in %r if name in sys.modules)))
"""


def _imported_by_a_worker(**env: str) -> list[str]:
    settings = {
        **os.environ,
        "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/unused",
        "REDIS_URL": "redis://127.0.0.1:6379/15",
        "SECRET_KEY": "x",
        "JWT_SECRET_KEY": "x" * 32,
        "STORAGE_BACKEND": "local",
        "SENTRY_DSN": "",
        **env,
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE % (HEAVY,)], cwd=ROOT, env=settings, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_worker_loads_no_heavy_sdk_it_does_not_use():
    assert _imported_by_a_worker(MIGRATIONS="false") == []
    assert _imported_by_a_worker(MIGRATIONS="true") == ["alembic"]  # `flask db`, tests and benches


def test_migrations_are_bound_only_when_on():
    assert "migrate" in create_app("testing").extensions
    off = create_app("testing", MIGRATIONS=False)
    assert "migrate" not in off.extensions and "db" not in off.cli.commands


def test_the_procfile_turns_migrations_off_where_nothing_migrates():
    commands = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip())
    assert "MIGRATIONS" not in commands["release"]
    assert all(commands[kind].startswith("MIGRATIONS=false ") for kind in ("web", "worker", "beat"))
