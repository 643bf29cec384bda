"""Chat and notification delivery: messages, user blocks, devices, notification preferences, delivered_at.

Revision ID: 0006_chat
Revises: 0003_projects
Create Date: 2026-11-22 16:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_chat'
down_revision = '0003_projects'
branch_labels = None
depends_on = None

UNREAD = sa.text('read_at IS NULL')
DIGEST_DUE = sa.text('read_at IS NULL AND notified_at IS NULL')


def upgrade():
    op.create_table('messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.Integer(), nullable=False),
    sa.Column('receiver_id', sa.Integer(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('client_msg_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('sender_id <> receiver_id', name=op.f('ck_messages_not_self')),
    sa.ForeignKeyConstraint(['receiver_id'], ['users.id'], name=op.f('fk_messages_receiver_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sender_id'], ['users.id'], name=op.f('fk_messages_sender_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages')),
    sa.UniqueConstraint('sender_id', 'client_msg_id', name='uq_messages_sender_id_client_msg_id')
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_sender_id_receiver_id_id', ['sender_id', 'receiver_id', 'id'], unique=False)
        batch_op.create_index('ix_messages_receiver_id_sender_id_id', ['receiver_id', 'sender_id', 'id'], unique=False)
        batch_op.create_index('ix_messages_unread', ['receiver_id', 'sender_id'], unique=False, postgresql_where=UNREAD, sqlite_where=UNREAD)
        batch_op.create_index('ix_messages_digest_due', ['created_at'], unique=False, postgresql_where=DIGEST_DUE, sqlite_where=DIGEST_DUE)

    op.create_table('user_blocks',
    sa.Column('blocker_id', sa.Integer(), nullable=False),
    sa.Column('blocked_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('blocker_id <> blocked_id', name=op.f('ck_user_blocks_not_self')),
    sa.ForeignKeyConstraint(['blocked_id'], ['users.id'], name=op.f('fk_user_blocks_blocked_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['blocker_id'], ['users.id'], name=op.f('fk_user_blocks_blocker_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('blocker_id', 'blocked_id', name=op.f('pk_user_blocks'))
    )
    with op.batch_alter_table('user_blocks', schema=None) as batch_op:
        batch_op.create_index('ix_user_blocks_blocked_id_blocker_id', ['blocked_id', 'blocker_id'], unique=False)

    op.create_table('devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.Enum('ios', 'android', 'web', name='device_platform', native_enum=False, create_constraint=True, length=7), nullable=False),
    sa.Column('token', sa.String(length=2048), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_devices_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_devices')),
    sa.UniqueConstraint('token', name=op.f('uq_devices_token'))
    )
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_devices_user_id'), ['user_id'], unique=False)

    op.create_table('notification_preferences',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.Boolean(), nullable=False),
    sa.Column('push', sa.Boolean(), nullable=False),
    sa.Column('quiet_start', sa.Time(), nullable=True),
    sa.Column('quiet_end', sa.Time(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_preferences_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notification_preferences'))
    )

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('delivered_at')

    op.drop_table('notification_preferences')
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_devices_user_id'))

    op.drop_table('devices')
    with op.batch_alter_table('user_blocks', schema=None) as batch_op:
        batch_op.drop_index('ix_user_blocks_blocked_id_blocker_id')

    op.drop_table('user_blocks')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_digest_due', postgresql_where=DIGEST_DUE, sqlite_where=DIGEST_DUE)
        batch_op.drop_index('ix_messages_unread', postgresql_where=UNREAD, sqlite_where=UNREAD)
        batch_op.drop_index('ix_messages_receiver_id_sender_id_id')
        batch_op.drop_index('ix_messages_sender_id_receiver_id_id')

    op.drop_table('messages')
