"""Privacy: erasure tombstones, data exports, the append-only consent ledger (a trigger refuses changes).

Revision ID: 0011_privacy
Revises: 0010_social
Create Date: 2026-12-06 02:30:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0011_privacy"
down_revision = "0010_social"
branch_labels = None
depends_on = None

PG_LEDGER = """
CREATE FUNCTION consents_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM erasures WHERE user_id = OLD.user_id) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'consents are append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER consents_append_only BEFORE UPDATE OR DELETE ON consents
    FOR EACH ROW EXECUTE FUNCTION consents_append_only();
"""
SQLITE_LEDGER = (
    """CREATE TRIGGER consents_no_update BEFORE UPDATE ON consents
    BEGIN SELECT RAISE(ABORT, 'consents are append-only: UPDATE refused'); END""",
    """CREATE TRIGGER consents_no_delete BEFORE DELETE ON consents
    WHEN NOT EXISTS (SELECT 1 FROM erasures WHERE user_id = OLD.user_id)
    BEGIN SELECT RAISE(ABORT, 'consents are append-only: DELETE refused'); END""",
)


def upgrade():
    op.create_table(
        "erasures",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_erasures_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_erasures")),
    )
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "health_data",
                "marketing",
                "analytics",
                name="consent_type",
                native_enum=False,
                create_constraint=True,
                length=11,
            ),
            nullable=False,
        ),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("policy_version", sa.String(length=40), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_consents_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    op.create_index("ix_consents_user_id_type_id", "consents", ["user_id", "type", "id"], unique=False)
    op.create_table(
        "data_exports",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "Pending",
                "Running",
                "Ready",
                "Failed",
                "Expired",
                name="export_status",
                native_enum=False,
                create_constraint=True,
                length=7,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("storage_key", sa.String(length=255), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_data_exports_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_exports")),
    )
    op.create_index(op.f("ix_data_exports_user_id"), "data_exports", ["user_id"], unique=False)
    op.create_index(
        "uq_data_exports_open",
        "data_exports",
        ["user_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('Pending', 'Running')"),
        sqlite_where=sa.text("status IN ('Pending', 'Running')"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_LEDGER)
    else:
        for statement in SQLITE_LEDGER:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER consents_append_only ON consents")
        op.execute("DROP FUNCTION consents_append_only()")
    else:
        op.execute("DROP TRIGGER consents_no_update")
        op.execute("DROP TRIGGER consents_no_delete")
    op.drop_index("uq_data_exports_open", table_name="data_exports")
    op.drop_index(op.f("ix_data_exports_user_id"), table_name="data_exports")
    op.drop_table("data_exports")
    op.drop_index("ix_consents_user_id_type_id", table_name="consents")
    op.drop_table("consents")
    op.drop_table("erasures")
