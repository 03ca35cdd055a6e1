"""migrations.disk_step and disk_rate: which step the disk figures are of, and its rate

Revision ID: c0003
Revises: c0002
Create Date: 2026-12-03 13:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'c0003'
down_revision = 'c0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('migrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disk_step', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('disk_rate', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('migrations', schema=None) as batch_op:
        batch_op.drop_column('disk_rate')
        batch_op.drop_column('disk_step')
