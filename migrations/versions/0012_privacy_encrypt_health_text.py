"""Privacy: encrypt at rest the free text about a person's body (fitness goals, bio, session notes) and the
birth date (now text holding a Fernet token). Existing values are encrypted with the app's ENCRYPTION_KEYS.

Revision ID: 0012_privacy_encrypt
Revises: 0011_privacy
Create Date: 2026-12-06 02:40:00.000000

"""

from alembic import op
import sqlalchemy as sa

from app.core import crypto


# revision identifiers, used by Alembic.
revision = "0012_privacy_encrypt"
down_revision = "0011_privacy"
branch_labels = None
depends_on = None

COLUMNS = (("profiles", "user_id", ("fitness_goals", "bio", "birth_date")), ("training_sessions", "id", ("notes",)))


def _convert(change) -> None:
    connection = op.get_bind()
    for table, key, columns in COLUMNS:
        for column in columns:
            rows = connection.execute(
                sa.text(f"SELECT {key}, {column} FROM {table} WHERE {column} IS NOT NULL")
            ).all()
            for pk, value in rows:
                connection.execute(
                    sa.text(f"UPDATE {table} SET {column} = :value WHERE {key} = :pk"),
                    {"value": change(str(value)), "pk": pk},
                )


def upgrade():
    with op.batch_alter_table("profiles") as batch:
        batch.alter_column(
            "birth_date", type_=sa.Text(), existing_type=sa.Date(), postgresql_using="birth_date::text"
        )
    _convert(crypto.encrypt)


def downgrade():
    _convert(crypto.decrypt)
    with op.batch_alter_table("profiles") as batch:
        batch.alter_column(
            "birth_date", type_=sa.Date(), existing_type=sa.Text(), postgresql_using="birth_date::date"
        )
