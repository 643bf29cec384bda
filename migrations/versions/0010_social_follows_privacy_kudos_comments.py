"""Social: follows, privacy settings, activity visibility and counters, kudos, comments, announcements.

Revision ID: 0010_social
Revises: 0004_training (depends on 0003_projects)
Create Date: 2026-12-06 02:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0010_social"
down_revision = "0004_training"
branch_labels = None
depends_on = "0003_projects"  # notifications (announcement deliveries point at them)

PRIVACY = ("Public", "Followers", "Private")


def _privacy(name):
    return sa.Enum(*PRIVACY, name=name, native_enum=False, create_constraint=True, length=9)


def upgrade():
    op.create_table(
        "follows",
        sa.Column("follower_id", sa.Integer(), nullable=False),
        sa.Column("followee_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("Pending", "Accepted", name="follow_status", native_enum=False, create_constraint=True, length=8),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("follower_id <> followee_id", name=op.f("ck_follows_not_self")),
        sa.ForeignKeyConstraint(
            ["followee_id"], ["users.id"], name=op.f("fk_follows_followee_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["follower_id"], ["users.id"], name=op.f("fk_follows_follower_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("follower_id", "followee_id", name=op.f("pk_follows")),
    )
    with op.batch_alter_table("follows", schema=None) as batch_op:
        batch_op.create_index(
            "ix_follows_followee_id_status_created_at", ["followee_id", "status", "created_at"], unique=False
        )

    op.create_table(
        "privacy_settings",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("profile", _privacy("profile_privacy"), nullable=False),
        sa.Column("activities", _privacy("activities_privacy"), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_privacy_settings_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_privacy_settings")),
    )

    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("visibility", _privacy("activity_visibility"), server_default="Followers", nullable=False)
        )
        batch_op.add_column(sa.Column("kudos_count", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("comment_count", sa.Integer(), server_default="0", nullable=False))
        # The feed walks each author's activities backwards by id and reads visibility from the index alone.
        batch_op.drop_index("ix_activities_user_id_id")
        batch_op.create_index(
            "ix_activities_user_id_id", ["user_id", "id"], unique=False, postgresql_include=["visibility"]
        )

    op.create_table(
        "kudos",
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activities.id"], name=op.f("fk_kudos_activity_id_activities"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_kudos_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("activity_id", "user_id", name=op.f("pk_kudos")),
    )
    with op.batch_alter_table("kudos", schema=None) as batch_op:
        batch_op.create_index("ix_kudos_user_id", ["user_id"], unique=False)

    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activities.id"], name=op.f("fk_comments_activity_id_activities"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_comments_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
    )
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.create_index("ix_comments_activity_id_id", ["activity_id", "id"], unique=False)
        batch_op.create_index("ix_comments_user_id", ["user_id"], unique=False)

    op.create_table(
        "announcements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column(
            "target",
            sa.Enum(
                "clients",
                "plan",
                "client",
                "everyone",
                name="announcement_target",
                native_enum=False,
                create_constraint=True,
                length=8,
            ),
            nullable=False,
        ),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("local_date", sa.Date(), nullable=True),
        sa.Column("local_time", sa.Time(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "Scheduled",
                "Sent",
                "Cancelled",
                name="announcement_status",
                native_enum=False,
                create_constraint=True,
                length=9,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_announcements_author_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcements")),
    )
    with op.batch_alter_table("announcements", schema=None) as batch_op:
        batch_op.create_index("ix_announcements_author_id_id", ["author_id", "id"], unique=False)

    op.create_table(
        "announcement_deliveries",
        sa.Column("announcement_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notification_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["announcement_id"],
            ["announcements.id"],
            name=op.f("fk_announcement_deliveries_announcement_id_announcements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_announcement_deliveries_notification_id_notifications"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_announcement_deliveries_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("announcement_id", "user_id", name=op.f("pk_announcement_deliveries")),
    )
    with op.batch_alter_table("announcement_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_announcement_deliveries_due",
            ["due_at"],
            unique=False,
            postgresql_where=sa.text("sent_at IS NULL"),
            sqlite_where=sa.text("sent_at IS NULL"),
        )
        batch_op.create_index("ix_announcement_deliveries_user_id", ["user_id"], unique=False)


def downgrade():
    op.drop_table("announcement_deliveries")
    op.drop_table("announcements")
    op.drop_table("comments")
    op.drop_table("kudos")
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_index("ix_activities_user_id_id")
        batch_op.create_index("ix_activities_user_id_id", ["user_id", "id"], unique=False)
        batch_op.drop_constraint(op.f("ck_activities_activity_visibility"), type_="check")
        batch_op.drop_column("comment_count")
        batch_op.drop_column("kudos_count")
        batch_op.drop_column("visibility")
    op.drop_table("privacy_settings")
    op.drop_table("follows")
