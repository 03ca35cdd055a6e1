"""networks.physical_network: the provider physnet a network is on (QoS bandwidth)

Revision ID: s0002
Revises: s0001
Create Date: 2026-12-03 13:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = 's0002'
down_revision = 's0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('networks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('physical_network', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('networks', schema=None) as batch_op:
        batch_op.drop_column('physical_network')
