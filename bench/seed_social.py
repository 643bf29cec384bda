"""Seed the feed bench: 10,000 users, 1,000,000 activities, the bench user following 500 of them.

Run by `bench/prepare.py --with social` (see bench/social_bench.sh). Rows are made in SQL with
`generate_series` (a minute, not an hour of ORM inserts), once: a database that already holds them is kept.
Activities: 20% Public, 70% Followers, 10% Private, spread evenly over the users, ids in time order. Privacy:
10% of users show activities to everyone, 5% to nobody. The bench user follows 500 random people (accepted),
has 50 pending requests out, has blocked 10 others, and gave kudos to 5,000 activities. Feed entries (the
feed's candidates, fan-out on write) are filled as the product would have written them.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

USERS = 10_000
ACTIVITIES = 1_000_000
FOLLOWED = 500

STATEMENTS = [
    f"""INSERT INTO users (email, username, password_hash, role, created_at, updated_at)
        SELECT 'social' || g || '@bench.spotter.local', 'social' || g, NULL, 'User', now(), now()
        FROM generate_series(1, {USERS}) g ON CONFLICT DO NOTHING""",
    """CREATE TEMP TABLE social_people AS
        SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM users
        WHERE email LIKE 'social%@bench.spotter.local'""",
    f"""INSERT INTO activities (user_id, type, data, visibility, kudos_count, comment_count, created_at)
        SELECT p.id,
               (ARRAY['session_completed', 'session_completed', 'personal_record', 'workout_shared'])[1 + g % 4],
               '{{"sets": 12, "exercises": 4, "volume_kg": 5230.5}}'::json,
               CASE WHEN g % 10 < 2 THEN 'Public' WHEN g % 10 < 9 THEN 'Followers' ELSE 'Private' END,
               0, 0, now() - make_interval(secs => {ACTIVITIES} - g)
        FROM generate_series(1, {ACTIVITIES}) g
        JOIN social_people p ON p.n = (hashint4(g) & 2147483647) % {USERS}
        ORDER BY g""",
    """INSERT INTO privacy_settings (user_id, profile, activities)
        SELECT id, CASE WHEN n % 7 = 0 THEN 'Private' ELSE 'Public' END,
               CASE WHEN n % 20 = 1 THEN 'Private' WHEN n % 10 = 2 THEN 'Public' ELSE 'Followers' END
        FROM social_people ON CONFLICT DO NOTHING""",
    f"""INSERT INTO follows (follower_id, followee_id, status, created_at)
        SELECT :viewer, id, CASE WHEN rank <= {FOLLOWED} THEN 'Accepted' ELSE 'Pending' END, now()
        FROM (SELECT id, row_number() OVER (ORDER BY hashint4((n * 7919)::int)) AS rank FROM social_people) s
        WHERE rank <= {FOLLOWED + 50} ON CONFLICT DO NOTHING""",
    f"""INSERT INTO user_blocks (blocker_id, blocked_id, created_at)
        SELECT :viewer, id, now() FROM (SELECT id, row_number() OVER (ORDER BY hashint4((n * 7919)::int)) AS rank
        FROM social_people) s WHERE rank > {FOLLOWED + 50} AND rank <= {FOLLOWED + 60} ON CONFLICT DO NOTHING""",
    """INSERT INTO kudos (activity_id, user_id, created_at)
        SELECT a.id, :viewer, now() FROM activities a JOIN follows f ON f.followee_id = a.user_id
        WHERE f.follower_id = :viewer AND f.status = 'Accepted' AND a.id % 10 = 0 ON CONFLICT DO NOTHING""",
    # The feed's candidates, as the product's fan-out on write would have made them (the migration's fill):
    # every activity in its owner's feed and in each accepted follower's.
    """INSERT INTO feed_entries (viewer_id, activity_id)
        SELECT user_id, id FROM activities
        UNION ALL SELECT f.follower_id, a.id FROM follows f JOIN activities a ON a.user_id = f.followee_id
        WHERE f.status = 'Accepted' ON CONFLICT DO NOTHING""",
]


def bench_seed(app, out: Path) -> None:
    """Seed once (kept when already there), vacuum and analyze, record the viewer's id."""
    from app.accounts import services as accounts_services
    from app.extensions import db

    with app.app_context():
        viewer = accounts_services.find_user_by_email("bench@example.com")
        count = db.session.scalar(sa.text("SELECT count(*) FROM activities"))
        if count < ACTIVITIES:
            for statement in STATEMENTS:
                db.session.execute(sa.text(statement), {"viewer": viewer.id})
            db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            # Autovacuum is off on this machine: without it no index-only scan and stale statistics.
            for table in ("activities", "feed_entries", "follows", "privacy_settings", "user_blocks", "kudos", "users"):
                connection.execute(sa.text(f"VACUUM (ANALYZE) {table}"))
        (out / "social_viewer_id").write_text(str(viewer.id))
