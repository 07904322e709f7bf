"""erasure tombstones (issue 15: retention and erasure)

Revision ID: e1a0b1c2d3e4
Revises: c0a1b2c3d4e5
Create Date: 2026-12-03 18:40:00
"""
from alembic import op
import sqlalchemy as sa
import agent.store.models


revision = 'e1a0b1c2d3e4'
down_revision = 'c0a1b2c3d4e5'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'erasure_tombstone',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('subject_hash', sa.String(length=64), nullable=False),
        sa.Column('reason', sa.String(length=20), nullable=False),
        sa.Column('erased_at', agent.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('counts', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_erasure_tombstone_subject_hash'), 'erasure_tombstone', ['subject_hash'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_erasure_tombstone_subject_hash'), table_name='erasure_tombstone')
    op.drop_table('erasure_tombstone')
