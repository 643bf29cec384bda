"""Privacy: product-analytics events, recorded only for people who granted the analytics consent.

Revision ID: 0013_privacy_analytics
Revises: 0012_privacy_encrypt
Create Date: 2026-12-06 02:50:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0013_privacy_analytics"
down_revision = "0012_privacy_encrypt"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "analytics_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=6), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_analytics_events_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_events")),
    )
    op.create_index("ix_analytics_events_occurred_at_user_id", "analytics_events", ["occurred_at", "user_id"])
    op.create_index("ix_analytics_events_user_id_occurred_at", "analytics_events", ["user_id", "occurred_at"])


def downgrade():
    op.drop_index("ix_analytics_events_user_id_occurred_at", table_name="analytics_events")
    op.drop_index("ix_analytics_events_occurred_at_user_id", table_name="analytics_events")
    op.drop_table("analytics_events")
