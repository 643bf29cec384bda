"""Training sessions with sets and their roll-ups, body measurements, activities, and profiles.units.

Revision ID: 0004_training
Revises: 0002_library
Create Date: 2026-11-22 15:27:18.263036

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_training'
down_revision = '0002_library'
branch_labels = None
depends_on = None

ROLLUP_INCLUDE = ['session_id', 'sets', 'reps', 'volume_kg', 'max_weight_kg', 'best_1rm_kg']


def _kg():
    return sa.Numeric(precision=6, scale=2, asdecimal=False)


def upgrade():
    with op.batch_alter_table('profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('units', sa.Enum('metric', 'imperial', name='units', native_enum=False, create_constraint=True), server_default='metric', nullable=False))

    op.create_table('measurements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.Enum('Weight', 'Body Fat', 'Waist', 'Hips', 'Chest', 'Arm', 'Thigh', 'Resting HR', name='measurement_type', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('value', sa.Numeric(precision=7, scale=2, asdecimal=False), nullable=False),
    sa.Column('measured_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_measurements_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measurements')),
    sa.UniqueConstraint('user_id', 'type', 'measured_at', name='uq_measurements_user_type_measured_at')
    )
    op.create_index('ix_measurements_user_measured_at', 'measurements', ['user_id', 'measured_at'], unique=False)

    op.create_table('training_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('workout_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('perceived_exertion', sa.SmallInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ended_at IS NULL OR ended_at >= started_at', name=op.f('ck_training_sessions_ends_after_start')),
    sa.CheckConstraint('perceived_exertion BETWEEN 1 AND 10', name=op.f('ck_training_sessions_exertion_range')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_training_sessions_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workout_id'], ['workouts.id'], name=op.f('fk_training_sessions_workout_id_workouts'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_sessions'))
    )
    op.create_index('ix_training_sessions_user_started', 'training_sessions', ['user_id', 'started_at', 'id'], unique=False)
    op.create_index(op.f('ix_training_sessions_workout_id'), 'training_sessions', ['workout_id'], unique=False)

    op.create_table('session_sets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('exercise_id', sa.Integer(), nullable=False),
    sa.Column('set_number', sa.SmallInteger(), nullable=False),
    sa.Column('reps', sa.SmallInteger(), nullable=True),
    sa.Column('weight_kg', _kg(), nullable=True),
    sa.Column('duration_s', sa.Integer(), nullable=True),
    sa.Column('distance_m', sa.Numeric(precision=9, scale=1, asdecimal=False), nullable=True),
    sa.Column('rpe', sa.Numeric(precision=3, scale=1, asdecimal=False), nullable=True),
    sa.CheckConstraint('reps BETWEEN 0 AND 1000', name=op.f('ck_session_sets_reps_range')),
    sa.CheckConstraint('rpe BETWEEN 1 AND 10', name=op.f('ck_session_sets_rpe_range')),
    sa.CheckConstraint('weight_kg BETWEEN 0 AND 1000', name=op.f('ck_session_sets_weight_range')),
    sa.ForeignKeyConstraint(['exercise_id'], ['exercises.id'], name=op.f('fk_session_sets_exercise_id_exercises'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['session_id'], ['training_sessions.id'], name=op.f('fk_session_sets_session_id_training_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_sets'))
    )
    op.create_index(op.f('ix_session_sets_exercise_id'), 'session_sets', ['exercise_id'], unique=False)
    op.create_index('ix_session_sets_session_id', 'session_sets', ['session_id', 'id'], unique=False)

    op.create_table('session_exercises',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('exercise_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sets', sa.Integer(), nullable=False),
    sa.Column('reps', sa.Integer(), nullable=False),
    sa.Column('volume_kg', sa.Numeric(precision=12, scale=2, asdecimal=False), nullable=False),
    sa.Column('max_weight_kg', _kg(), nullable=True),
    sa.Column('best_1rm_kg', sa.Numeric(precision=8, scale=2, asdecimal=False), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['training_sessions.id'], name=op.f('fk_session_exercises_session_id_training_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', 'exercise_id', name=op.f('pk_session_exercises'))
    )
    op.create_index('ix_session_exercises_user_exercise', 'session_exercises', ['user_id', 'exercise_id', 'started_at'], unique=False, postgresql_include=ROLLUP_INCLUDE)
    op.create_index('ix_session_exercises_user_started', 'session_exercises', ['user_id', 'started_at'], unique=False)

    op.create_table('rep_bests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('exercise_id', sa.Integer(), nullable=False),
    sa.Column('weight_kg', _kg(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reps', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['training_sessions.id'], name=op.f('fk_rep_bests_session_id_training_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rep_bests'))
    )
    op.create_index(op.f('ix_rep_bests_session_id'), 'rep_bests', ['session_id'], unique=False)
    op.create_index('ix_rep_bests_user_exercise_weight', 'rep_bests', ['user_id', 'exercise_id', 'weight_kg', sa.text('reps DESC'), 'started_at', 'session_id'], unique=False)

    op.create_table('activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.Enum('session_completed', 'personal_record', 'workout_shared', name='activity_type', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('workout_id', sa.Integer(), nullable=True),
    sa.Column('exercise_id', sa.Integer(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['exercise_id'], ['exercises.id'], name=op.f('fk_activities_exercise_id_exercises'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['training_sessions.id'], name=op.f('fk_activities_session_id_training_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_activities_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workout_id'], ['workouts.id'], name=op.f('fk_activities_workout_id_workouts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activities'))
    )
    op.create_index(op.f('ix_activities_exercise_id'), 'activities', ['exercise_id'], unique=False)
    op.create_index(op.f('ix_activities_session_id'), 'activities', ['session_id'], unique=False)
    op.create_index('ix_activities_user_id_id', 'activities', ['user_id', 'id'], unique=False)
    op.create_index(op.f('ix_activities_workout_id'), 'activities', ['workout_id'], unique=False)


def downgrade():
    op.drop_table('activities')
    op.drop_table('rep_bests')
    op.drop_table('session_exercises')
    op.drop_table('session_sets')
    op.drop_table('training_sessions')
    op.drop_table('measurements')
    with op.batch_alter_table('profiles', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_profiles_units'), type_='check')
        batch_op.drop_column('units')
