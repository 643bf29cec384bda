"""Identity: verified emails, OAuth identities, avatar variants.

Revision ID: 0007_identity
Revises: 0006_chat
Create Date: 2026-12-06 02:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_identity'
down_revision = '0006_chat'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs (SQLite too): a batch copy of `users` would lose its expression index on SQLite.
    op.add_column('users', sa.Column('email_verified', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('users', sa.Column('profile_image_thumb_key', sa.String(length=255), nullable=True))
    op.add_column('users', sa.Column('profile_image_upload_key', sa.String(length=255), nullable=True))
    op.add_column('users', sa.Column('profile_image_status', sa.Enum('processing', 'ready', name='avatar_status', native_enum=False, create_constraint=True, length=10), nullable=True))

    op.create_table('email_verification_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_email_verification_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_verification_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_email_verification_tokens_token_hash'))
    )
    with op.batch_alter_table('email_verification_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_verification_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('user_identities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.Enum('google', 'apple', 'facebook', name='oauth_provider', native_enum=False, create_constraint=True, length=8), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_identities_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_identities')),
    sa.UniqueConstraint('provider', 'subject', name='uq_user_identities_provider_subject'),
    sa.UniqueConstraint('user_id', 'provider', name='uq_user_identities_user_id_provider')
    )


def downgrade():
    op.drop_table('user_identities')
    with op.batch_alter_table('email_verification_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_verification_tokens_user_id'))
    op.drop_table('email_verification_tokens')
    sqlite = op.get_bind().dialect.name == 'sqlite'
    with op.batch_alter_table('users', schema=None) as batch_op:
        if not sqlite:  # SQLite's copy leaves the column's own CHECK behind with the column
            batch_op.drop_constraint(op.f('ck_users_avatar_status'), type_='check')
        batch_op.drop_column('profile_image_status')
        batch_op.drop_column('profile_image_upload_key')
        batch_op.drop_column('profile_image_thumb_key')
        batch_op.drop_column('email_verified')
    if sqlite:  # the batch copy dropped the expression index it cannot reflect
        op.execute('CREATE UNIQUE INDEX IF NOT EXISTS uq_users_username_lower ON users (lower(username))')
