"""index instance_group_member.instance_uuid

Revision ID: a0003
Revises: a0002
Create Date: 2026-12-09 10:00:00
"""
from alembic import op


revision = 'a0003'
down_revision = 'a0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('instance_group_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_instance_group_member_instance_uuid'),
                              ['instance_uuid'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('instance_group_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_instance_group_member_instance_uuid'))
