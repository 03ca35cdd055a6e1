"""instance_extra.injected_files: the personality files a server was booted with

Revision ID: c0002
Revises: c0001
Create Date: 2026-12-03 09:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'c0002'
down_revision = 'c0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('instance_extra', schema=None) as batch_op:
        batch_op.add_column(sa.Column('injected_files', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('instance_extra', schema=None) as batch_op:
        batch_op.drop_column('injected_files')
