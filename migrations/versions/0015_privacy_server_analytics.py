"""Privacy: server-side analytics events materialised by a job (messages sent, sign-ups) exactly once.

An event's subject (the message, the session, the person) is unique per event name, and the job's watermarks
say how far it has read each source table.

Revision ID: 0015_privacy_server_analytics
Revises: 0014_privacy_tombstones
Create Date: 2026-12-06 05:20:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015_privacy_server_analytics"
down_revision = "0014_privacy_tombstones"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("analytics_events") as batch:
        batch.add_column(sa.Column("subject_id", sa.BigInteger(), nullable=True))
    op.create_index(
        "uq_analytics_events_name_subject_id", "analytics_events", ["name", "subject_id"], unique=True
    )
    op.create_table(
        "analytics_watermarks",
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_analytics_watermarks")),
    )


def downgrade():
    op.drop_table("analytics_watermarks")
    op.drop_index("uq_analytics_events_name_subject_id", table_name="analytics_events")
    with op.batch_alter_table("analytics_events") as batch:
        batch.drop_column("subject_id")
