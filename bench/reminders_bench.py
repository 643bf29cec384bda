"""One reminder-job run with N reminders due, at two sizes of the events table: wall time and SQL statements.

    python bench/reminders_bench.py postgresql://postgres@127.0.0.1:5432/spotter_bench_cal

The database is emptied and migrated. Size 1 seeds 10,000 events (1,000 users), size 2 brings it to
100,000 events (10,000 users, 20% recurring, reminders materialised) as bench/seed_calendar.py does.
At each size the job runs once with 100 and once with 1,000 reminders due (events starting in 5
minutes with a 10-minute reminder). The time should follow the reminders due, not the events stored.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa

from app import create_app
from app.calendar import reminders
from app.calendar.models import Event, ReminderSchedule
from app.core.columns import utcnow
from app.extensions import db
from bench import seed_calendar
from config import database_url


def _due(count: int, user_ids: list[int]) -> None:
    """Create `count` events starting in 5 minutes with a 10-minute reminder: due now."""
    now = utcnow()
    start = now + timedelta(minutes=5)
    rows = [
        {"uid": uuid.uuid4().hex, "user_id": user_ids[n % len(user_ids)], "title": f"Due {n}", "start_time": start,
         "end_time": start + timedelta(hours=1), "series_end": start + timedelta(hours=1), "timezone": "UTC",
         "reminders": [10], "sequence": 0, "created_at": now, "updated_at": now}
        for n in range(count)
    ]  # fmt: skip
    ids = db.session.execute(sa.insert(Event).returning(Event.id), rows).scalars().all()
    schedule = [
        {"event_id": i, "occurrence_start": start, "minutes_before": 10, "fire_at": start - timedelta(minutes=10)}
        for i in ids
    ]
    db.session.execute(sa.insert(ReminderSchedule), schedule)
    db.session.commit()


def _measure(app, due: int) -> tuple[tuple[float, float], int, dict]:
    with app.app_context():
        users = db.session.execute(sa.select(sa.text("id")).select_from(sa.text("users")).limit(1000)).scalars().all()
        _due(due, users)
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        started = time.perf_counter()
        result = reminders.run()
        ran = time.perf_counter()
        db.session.commit()  # after commit: one socket emit and one delivery task per notification
        done = time.perf_counter()
        sa.event.remove(db.engine, "before_cursor_execute", listener)
        return (ran - started, done - ran), len(statements), result


def _sizes(app) -> tuple[int, int]:
    with app.app_context():
        events = db.session.scalar(sa.select(sa.func.count()).select_from(Event))
        pending = db.session.scalar(sa.select(sa.func.count()).select_from(ReminderSchedule))
        return events, pending


def main() -> None:
    """Reset the database, then measure at two sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url")
    args = parser.parse_args()
    app = create_app("development", SQLALCHEMY_DATABASE_URI=database_url(args.database_url), LOG_LEVEL="WARNING")
    from flask_migrate import upgrade

    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(revision="heads")
    print("| events stored | reminders pending | reminders due | job (SQL) | commit + fan-out | statements | sent |")
    print("|---|---|---|---|---|---|---|")
    for users, first in ((1_000, 0), (9_000, 1_000)):
        seed_calendar.seed(app, users=users, first_user=first)
        with app.app_context():
            db.session.execute(sa.text("ANALYZE"))
            db.session.commit()
        for due in (100, 1000):
            events, pending = _sizes(app)
            (job, fan_out), count, result = _measure(app, due)
            print(
                f"| {events:,} | {pending:,} | {due:,} | {job * 1000:.0f} ms | {fan_out * 1000:.0f} ms "
                f"| {count} | {result['sent']} |"
            )


if __name__ == "__main__":
    main()
