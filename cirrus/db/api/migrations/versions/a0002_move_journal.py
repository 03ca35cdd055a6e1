"""move journal for cross-cell moves

Revision ID: a0002
Revises: a0001
Create Date: 2026-12-02 15:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'a0002'
down_revision = 'a0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'move_journal',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('migration_uuid', sa.String(length=36), nullable=False),
        sa.Column('instance_uuid', sa.String(length=36), nullable=False),
        sa.Column('operation', sa.String(length=32), nullable=False),
        sa.Column('source_cell_uuid', sa.String(length=36), nullable=False),
        sa.Column('target_cell_uuid', sa.String(length=36), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('step', sa.String(length=64), nullable=True),
        sa.Column('steps', sa.Text(), nullable=False),
        sa.Column('data', sa.Text(), nullable=False),
        sa.Column('request_id', sa.String(length=255), nullable=True),
        sa.Column('user_id', sa.String(length=255), nullable=True),
        sa.Column('project_id', sa.String(length=255), nullable=True),
        sa.Column('owner', sa.String(length=255), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_move_journal')),
    )
    with op.batch_alter_table('move_journal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_move_journal_instance_uuid'), ['instance_uuid'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_move_journal_migration_uuid'),
                              ['migration_uuid'], unique=False)
        batch_op.create_index(batch_op.f('ix_move_journal_state'), ['state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('move_journal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_move_journal_state'))
        batch_op.drop_index(batch_op.f('ix_move_journal_migration_uuid'))
        batch_op.drop_index(batch_op.f('ix_move_journal_instance_uuid'))
    op.drop_table('move_journal')
