"""Seed the calendar benchmark: 100,000 events (20% recurring) for 10,000 users, with bulk inserts.

    python bench/seed_calendar.py postgresql://postgres@127.0.0.1:5432/spotter_bench [--migrate]

Users `cal0..cal9999@bench.spotter.local` (one password) each get 10 events over the next 60 days at
local wall-clock hours in five zones; every fifth event is a weekly or daily series (half endless).
Each event has reminders 60 and 15 minutes before; the reminder schedule is materialised as the app
does it (`reminders._fill`), so the reminder job sees a realistic `reminder_schedule` table.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa

from app import create_app
from app.accounts.models import Profile, User
from app.calendar import recurrence, reminders
from app.calendar.models import Event
from app.core.columns import utcnow
from app.core.security import hash_password
from app.extensions import db
from config import database_url

PASSWORD = "bench-password-1"
EMAIL = "cal{}@bench.spotter.local"
TIMEZONES = ["UTC", "Europe/Berlin", "America/Los_Angeles", "Pacific/Auckland", "Asia/Kolkata"]
RULES = ["FREQ=WEEKLY;COUNT=12", "FREQ=WEEKLY", "FREQ=DAILY;COUNT=30", "FREQ=DAILY"]
CHUNK = 5000


def _users(count: int, first: int) -> list[int]:
    password_hash = hash_password(PASSWORD)
    now = utcnow()
    rows = [
        {"email": EMAIL.format(first + n), "username": f"cal{first + n}", "password_hash": password_hash,
         "role": "User", "created_at": now, "updated_at": now}
        for n in range(count)
    ]  # fmt: skip
    ids: list[int] = []
    for start in range(0, len(rows), CHUNK):
        result = db.session.execute(sa.insert(User).returning(User.id), rows[start : start + CHUNK])
        ids.extend(result.scalars())
    tz_rows = [{"user_id": uid, "timezone": TIMEZONES[uid % len(TIMEZONES)], "units": "metric"} for uid in ids]
    for start in range(0, len(tz_rows), CHUNK):
        db.session.execute(sa.insert(Profile), tz_rows[start : start + CHUNK])
    return ids


def _event_rows(user_ids: list[int], per_user: int, rng: random.Random) -> list[dict]:
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    rows = []
    for index in range(len(user_ids) * per_user):
        uid = user_ids[index // per_user]
        tz = TIMEZONES[uid % len(TIMEZONES)]
        start = now + timedelta(days=rng.randint(1, 60), hours=rng.randint(0, 23))
        end = start + timedelta(minutes=60)
        rule = recurrence.normalise(RULES[index % len(RULES)], start, tz) if index % 5 == 0 else None
        rows.append(
            {
                "uid": uuid.uuid4().hex, "user_id": uid, "created_by_id": uid, "title": f"Workout {index}",
                "start_time": start, "end_time": end, "timezone": tz, "rrule": rule, "reminders": [60, 15],
                "series_end": recurrence.series_end(start, end, rule, tz), "sequence": 0,
                "created_at": now, "updated_at": now,
            }
        )  # fmt: skip
    return rows


def seed(app, users: int = 10_000, events_per_user: int = 10, first_user: int = 0, seed_value: int = 6) -> int:
    """Insert users and their events (bulk) and materialise their reminders; return the number of events."""
    rng = random.Random(seed_value + first_user)
    with app.app_context():
        user_ids = _users(users, first_user)
        rows = _event_rows(user_ids, events_per_user, rng)
        ids: list[int] = []
        for start in range(0, len(rows), CHUNK):
            ids.extend(db.session.execute(sa.insert(Event).returning(Event.id), rows[start : start + CHUNK]).scalars())
        now = utcnow()
        for start in range(0, len(ids), CHUNK):
            chunk = list(db.session.execute(sa.select(Event).where(Event.id.in_(ids[start : start + CHUNK]))).scalars())
            reminders._fill(chunk, now, after=now)
            db.session.flush()
            db.session.expunge_all()
        db.session.commit()
        return len(ids)


def bench_seed(app, out_dir: Path) -> None:
    """Hook for bench/prepare.py --with calendar: seed once; write a calendar user's token for the scenario."""
    from app.accounts import services as accounts_services
    from app.extensions import db

    user = accounts_services.find_user_by_email("cal0@bench.spotter.local")
    if user is None:
        seed(app)
        user = accounts_services.find_user_by_email("cal0@bench.spotter.local")
    (out_dir / "calendar_token").write_text(accounts_services.issue_tokens(user)["access_token"])
    db.session.commit()


def main() -> None:
    """Seed the database named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url")
    parser.add_argument("--migrate", action="store_true", help="run `db upgrade heads` first")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--events-per-user", type=int, default=10)
    args = parser.parse_args()
    app = create_app("development", SQLALCHEMY_DATABASE_URI=database_url(args.database_url), LOG_LEVEL="WARNING")
    if args.migrate:
        from flask_migrate import upgrade

        with app.app_context():
            upgrade(revision="heads")
    started = time.perf_counter()
    count = seed(app, args.users, args.events_per_user)
    print(f"seeded {count} events for {args.users} users in {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
