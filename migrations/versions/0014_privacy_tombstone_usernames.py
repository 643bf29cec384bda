"""Privacy: erased accounts are all named "deleted user", so that name is outside the username uniqueness rule.

Revision ID: 0014_privacy_tombstones
Revises: 0013_privacy_analytics
Create Date: 2026-12-06 03:00:00.000000

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0014_privacy_tombstones"
down_revision = "0013_privacy_analytics"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("DROP INDEX IF EXISTS uq_users_username_lower")
    op.execute(
        "CREATE UNIQUE INDEX uq_users_username_lower ON users (lower(username)) WHERE username <> 'deleted user'"
    )


def downgrade():
    op.execute("UPDATE users SET username = 'deleted-' || id WHERE username = 'deleted user'")
    op.execute("DROP INDEX IF EXISTS uq_users_username_lower")
    op.execute("CREATE UNIQUE INDEX uq_users_username_lower ON users (lower(username))")
