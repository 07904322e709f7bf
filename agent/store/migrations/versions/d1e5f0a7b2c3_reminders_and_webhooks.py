"""reminders sent, reminder stops and webhook subscriptions

Revision ID: d1e5f0a7b2c3
Revises: c3a1b2c3d4e5
Create Date: 2026-12-03 18:40:00
"""
from alembic import op
import sqlalchemy as sa
import agent.store.models


revision = 'd1e5f0a7b2c3'
down_revision = 'c3a1b2c3d4e5'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'webhook',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('url', sa.String(length=2000), nullable=False),
        sa.Column('events', sa.JSON(), nullable=False),
        sa.Column('secret', sa.String(length=100), nullable=False),
        sa.Column('description', sa.String(length=200), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', agent.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'reminder_sent',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('request_id', sa.String(length=32), nullable=False),
        sa.Column('step', sa.Integer(), nullable=False),
        sa.Column('cycle_step', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=20), nullable=False),
        sa.Column('outbox_message_id', sa.String(length=200), nullable=False),
        sa.Column('sent_at', agent.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['request_id'], ['request.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('request_id', 'step', name='uq_reminder_request_step'),
    )
    with op.batch_alter_table('reminder_sent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_sent_request_id'), ['request_id'], unique=False)
    op.create_table(
        'reminder_stop',
        sa.Column('request_id', sa.String(length=32), nullable=False),
        sa.Column('reason', sa.String(length=40), nullable=False),
        sa.Column('stopped_at', agent.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['request_id'], ['request.id']),
        sa.PrimaryKeyConstraint('request_id'),
    )


def downgrade() -> None:
    op.drop_table('reminder_stop')
    with op.batch_alter_table('reminder_sent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminder_sent_request_id'))
    op.drop_table('reminder_sent')
    op.drop_table('webhook')
