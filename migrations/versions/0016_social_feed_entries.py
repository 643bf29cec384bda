"""Social: feed entries, the candidates of each viewer's feed (fan-out on write), filled from what exists.

Revision ID: 0016_social_feed_entries
Revises: 0015_privacy_server_analytics
Create Date: 2026-12-06 05:00:00.000000

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0016_social_feed_entries"
down_revision = "0015_privacy_server_analytics"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "feed_entries",
        sa.Column("viewer_id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activities.id"], name=op.f("fk_feed_entries_activity_id_activities"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["viewer_id"], ["users.id"], name=op.f("fk_feed_entries_viewer_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("viewer_id", "activity_id", name=op.f("pk_feed_entries")),
    )
    with op.batch_alter_table("feed_entries", schema=None) as batch_op:
        batch_op.create_index("ix_feed_entries_activity_id", ["activity_id"], unique=False)
    # Every activity in its owner's feed and in the feed of each accepted follower of its owner.
    op.execute(
        "INSERT INTO feed_entries (viewer_id, activity_id) "
        "SELECT user_id, id FROM activities "
        "UNION SELECT f.follower_id, a.id FROM follows f JOIN activities a ON a.user_id = f.followee_id "
        "WHERE f.status = 'Accepted'"
    )


def downgrade():
    with op.batch_alter_table("feed_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_feed_entries_activity_id")
    op.drop_table("feed_entries")
