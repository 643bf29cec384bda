"""Create the test database named by TEST_DATABASE_URL when it does not exist yet."""

from __future__ import annotations

import sys

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from config import TestingConfig


def main() -> int:
    url = make_url(TestingConfig.SQLALCHEMY_DATABASE_URI)
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (url.database,)).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(url.database)))
                print(f"created test database {url.database}")
    except psycopg.OperationalError as error:
        print(
            f"PostgreSQL is unreachable at {url.host}:{url.port} ({error}).\n"
            "Start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
            file=sys.stderr,
        )
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
