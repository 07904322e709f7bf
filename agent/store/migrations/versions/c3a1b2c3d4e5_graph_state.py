"""graph_state: the conversation graph's working state in the domain database

Replaces LangGraph's checkpoint file / checkpoint tables: the state is written in the turn's own
transaction (docs/performance.md).

Revision ID: c3a1b2c3d4e5
Revises: c1a2b3c4d5e6
Create Date: 2026-12-03 18:30:00
"""
from alembic import op
import sqlalchemy as sa
import agent.store.models


revision = 'c3a1b2c3d4e5'
down_revision = 'c1a2b3c4d5e6'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'graph_state',
        sa.Column('thread_id', sa.String(length=64), nullable=False),
        sa.Column('values', sa.JSON(), nullable=False),
        sa.Column('updated_at', agent.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('thread_id'),
    )


def downgrade() -> None:
    op.drop_table('graph_state')
