"""Exercise library, workouts with items, plans with their schedule (and pg_trgm search indexes).

Revision ID: 0002_library
Revises: 653ea3b32947
Create Date: 2026-11-22 15:21:02.520227

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0002_library'
down_revision = '653ea3b32947'
branch_labels = None
depends_on = None


LIVE = sa.text('archived_at IS NULL')  # the lists' partial indexes cover live exercises only


def _string_list():
    return sa.JSON().with_variant(postgresql.ARRAY(sa.String(length=60)), 'postgresql')


def _visibility():
    return sa.Enum('Private', 'Clients', 'Public', name='visibility', native_enum=False, create_constraint=True)


def upgrade():
    postgres = op.get_bind().dialect.name == 'postgresql'
    if postgres:
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')

    op.create_table('exercises',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('video_url', sa.String(length=500), nullable=True),
    sa.Column('category', sa.Enum('Strength', 'Cardio', 'Flexibility', 'Balance', 'Plyometrics', 'Mobility', name='exercise_category', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('difficulty_level', sa.Enum('Beginner', 'Intermediate', 'Advanced', name='difficulty_level', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('muscles', _string_list(), nullable=False),
    sa.Column('equipment', _string_list(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('name_key', sa.String(length=120), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_exercises_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exercises'))
    )
    with op.batch_alter_table('exercises', schema=None) as batch_op:
        batch_op.create_index('uq_exercises_name_lower', [sa.text('lower(name)')], unique=True)
        batch_op.create_index('ix_exercises_category_difficulty', ['category', 'difficulty_level', 'name_key', 'id'], unique=False, postgresql_where=LIVE, sqlite_where=LIVE)
        batch_op.create_index('ix_exercises_created_at', ['created_at', 'id'], unique=False, postgresql_where=LIVE, sqlite_where=LIVE)
        batch_op.create_index(batch_op.f('ix_exercises_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index('ix_exercises_name_key', ['name_key', 'id'], unique=False, postgresql_where=LIVE, sqlite_where=LIVE)
    if postgres:
        op.create_index('ix_exercises_equipment', 'exercises', ['equipment'], unique=False, postgresql_using='gin')
        op.create_index('ix_exercises_muscles', 'exercises', ['muscles'], unique=False, postgresql_using='gin')
        op.create_index('ix_exercises_name_trgm', 'exercises', ['name_key'], unique=False, postgresql_using='gin', postgresql_ops={'name_key': 'gin_trgm_ops'})
        op.create_index('ix_exercises_search_trgm', 'exercises', ['search_text'], unique=False, postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})

    op.create_table('plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('weeks', sa.SmallInteger(), nullable=False),
    sa.Column('visibility', _visibility(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_plans_created_by_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plans'))
    )
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.create_index('ix_plans_created_at', ['created_at', 'id'], unique=False)
        batch_op.create_index('ix_plans_created_by_id', ['created_by_id', 'created_at'], unique=False)
        batch_op.create_index('ix_plans_visibility', ['visibility', 'created_at'], unique=False)

    op.create_table('workouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('visibility', _visibility(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('copied_from_id', sa.Integer(), nullable=True),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['copied_from_id'], ['workouts.id'], name=op.f('fk_workouts_copied_from_id_workouts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_workouts_created_by_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workouts'))
    )
    with op.batch_alter_table('workouts', schema=None) as batch_op:
        batch_op.create_index('ix_workouts_created_at', ['created_at', 'id'], unique=False)
        batch_op.create_index('ix_workouts_created_by_id', ['created_by_id', 'created_at'], unique=False)
        batch_op.create_index('ix_workouts_visibility', ['visibility', 'created_at'], unique=False)

    op.create_table('plan_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.SmallInteger(), nullable=False),
    sa.Column('day', sa.SmallInteger(), nullable=False),
    sa.Column('workout_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('day BETWEEN 1 AND 7', name=op.f('ck_plan_entries_day_range')),
    sa.CheckConstraint('week >= 1', name=op.f('ck_plan_entries_week_positive')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_plan_entries_plan_id_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workout_id'], ['workouts.id'], name=op.f('fk_plan_entries_workout_id_workouts'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_entries'))
    )
    with op.batch_alter_table('plan_entries', schema=None) as batch_op:
        batch_op.create_index('ix_plan_entries_plan_id', ['plan_id', 'week', 'day'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_entries_workout_id'), ['workout_id'], unique=False)

    op.create_table('workout_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workout_id', sa.Integer(), nullable=False),
    sa.Column('exercise_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.Column('sets', sa.SmallInteger(), nullable=True),
    sa.Column('reps', sa.SmallInteger(), nullable=True),
    sa.Column('weight_kg', sa.Numeric(precision=6, scale=2, asdecimal=False), nullable=True),
    sa.Column('duration_s', sa.Integer(), nullable=True),
    sa.Column('distance_m', sa.Numeric(precision=9, scale=1, asdecimal=False), nullable=True),
    sa.Column('rest_s', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['exercise_id'], ['exercises.id'], name=op.f('fk_workout_items_exercise_id_exercises'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['workout_id'], ['workouts.id'], name=op.f('fk_workout_items_workout_id_workouts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workout_items'))
    )
    with op.batch_alter_table('workout_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workout_items_exercise_id'), ['exercise_id'], unique=False)
        batch_op.create_index('ix_workout_items_workout_id', ['workout_id', 'position'], unique=False)


def downgrade():
    # Dropping a table drops its indexes (the PostgreSQL-only ones too); pg_trgm stays: others may use it.
    op.drop_table('workout_items')
    op.drop_table('plan_entries')
    op.drop_table('workouts')
    op.drop_table('plans')
    op.drop_table('exercises')
