"""leases for singleton jobs (scheduler, pollers)

Revision ID: c0a1b2c3d4e5
Revises: b7c1d2e3f405
Create Date: 2026-12-03 15:45:00
"""
from alembic import op
import sqlalchemy as sa
import agent.store.models


revision = 'c0a1b2c3d4e5'
down_revision = 'b7c1d2e3f405'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'lease',
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('holder', sa.String(length=120), nullable=False),
        sa.Column('expires_at', agent.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('acquired_at', agent.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )


def downgrade() -> None:
    op.drop_table('lease')
