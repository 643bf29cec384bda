"""Prepare the bench database: migrate, create the bench user, print an access token for wrk.

Usage: python bench/prepare.py [--with library,tasks,...]  (env as set by bench/run.sh)
Each domain's seeder (bench/seed_<name>.py with a `bench_seed(app, out_dir)` function) runs by name with --with.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BENCH_EMAIL = "bench@example.com"
BENCH_PASSWORD = "correct horse battery staple"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--with", dest="extra", default="")
    parser.add_argument("--token-file", default=str(ROOT / "bench" / "out" / "token"))
    args = parser.parse_args()

    from flask_migrate import upgrade

    from app import create_app
    from app.accounts import services as accounts_services
    from app.extensions import db

    Path(args.token_file).parent.mkdir(parents=True, exist_ok=True)
    app = create_app()
    with app.app_context():
        upgrade(revision="heads")
        user = accounts_services.find_user_by_email(BENCH_EMAIL) or accounts_services.create_user(
            BENCH_EMAIL, "bench", BENCH_PASSWORD
        )
        pair = accounts_services.issue_tokens(user)
        db.session.commit()
        for name in filter(None, args.extra.split(",")):
            _run_seeder(name, app, Path(args.token_file).parent)
    Path(args.token_file).write_text(pair["access_token"])


def _run_seeder(name: str, app, out: Path) -> None:
    path = ROOT / "bench" / f"seed_{name}.py"
    spec = importlib.util.spec_from_file_location(f"seed_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.bench_seed(app, out)


if __name__ == "__main__":
    main()
