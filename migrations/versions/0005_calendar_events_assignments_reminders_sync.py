"""Calendar: events, plan assignments, the reminder schedule and deliveries, feed tokens, calendar connections.

Revision ID: 0005_calendar
Revises: 0002_library, 0003_projects
Create Date: 2026-11-22 15:43:04.402703

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_calendar'
down_revision = ('0002_library', '0003_projects')
branch_labels = None
depends_on = None

FILLED = sa.text('reminders_filled_until IS NOT NULL')


def upgrade():
    op.create_table('calendar_connections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.Enum('caldav', 'google', name='calendar_provider', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.Column('credentials', sa.Text(), nullable=False),
    sa.Column('last_synced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_error_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendar_connections_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_connections'))
    )
    with op.batch_alter_table('calendar_connections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_connections_user_id'), ['user_id'], unique=False)

    op.create_table('calendar_feed_tokens',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendar_feed_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_calendar_feed_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feed_tokens_token_hash'))
    )
    op.create_table('plan_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['users.id'], name=op.f('fk_plan_assignments_assigned_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_plan_assignments_plan_id_plans'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_plan_assignments_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_assignments'))
    )
    with op.batch_alter_table('plan_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_assignments_assigned_by_id'), ['assigned_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_assignments_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index('ix_plan_assignments_user_id', ['user_id', 'created_at'], unique=False)

    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('start_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('location', sa.String(length=300), nullable=True),
    sa.Column('workout_id', sa.Integer(), nullable=True),
    sa.Column('rrule', sa.String(length=500), nullable=True),
    sa.Column('reminders', sa.JSON(), nullable=False),
    sa.Column('series_end', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('reminders_filled_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('assignment_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('end_time > start_time', name=op.f('ck_events_ends_after_start')),
    sa.ForeignKeyConstraint(['assignment_id'], ['plan_assignments.id'], name=op.f('fk_events_assignment_id_plan_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_events_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_events_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workout_id'], ['workouts.id'], name=op.f('fk_events_workout_id_workouts'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    sa.UniqueConstraint('uid', name=op.f('uq_events_uid'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_assignment_id'), ['assignment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index('ix_events_reminders_filled_until', ['reminders_filled_until'], unique=False, postgresql_where=FILLED, sqlite_where=FILLED)
        batch_op.create_index('ix_events_user_id_start_time', ['user_id', 'start_time'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_workout_id'), ['workout_id'], unique=False)

    op.create_table('reminder_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('occurrence_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('minutes_before', sa.Integer(), nullable=False),
    sa.Column('fire_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('sent', 'missed', name='reminder_delivery_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_reminder_deliveries_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_deliveries')),
    sa.UniqueConstraint('event_id', 'occurrence_start', 'minutes_before', name=op.f('uq_reminder_deliveries_event_id'))
    )
    op.create_table('reminder_schedule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('occurrence_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('minutes_before', sa.Integer(), nullable=False),
    sa.Column('fire_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_reminder_schedule_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_schedule')),
    sa.UniqueConstraint('event_id', 'occurrence_start', 'minutes_before', name=op.f('uq_reminder_schedule_event_id'))
    )
    with op.batch_alter_table('reminder_schedule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_schedule_fire_at'), ['fire_at'], unique=False)


def downgrade():
    op.drop_table('reminder_schedule')
    op.drop_table('reminder_deliveries')
    op.drop_table('events')
    op.drop_table('plan_assignments')
    op.drop_table('calendar_feed_tokens')
    op.drop_table('calendar_connections')
