"""staff workspace: search index on client names (trigram GIN on PostgreSQL), e-mailed sign-in links,
mail templates' default items edited in the browser

Revision ID: c1a2b3c4d5e6
Revises: e1a0b1c2d3e4
Create Date: 2026-12-03 18:50:00
"""
from alembic import op
import sqlalchemy as sa
import agent.store.models


revision = 'c1a2b3c4d5e6'
down_revision = 'e1a0b1c2d3e4'
branch_labels = None
depends_on = None

INDEX = 'ix_client_name_search'


def _trigram_schema(bind: sa.engine.Connection) -> str | None:
    """The schema pg_trgm lives in, installing it into ``public`` first when it is missing and allowed.

    ``public``, not the current schema: an extension is per database, and a schema dropped with CASCADE
    (tests, tenants) would take the extension, and every other schema's index on it, along."""
    find = sa.text("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                   "WHERE e.extname = 'pg_trgm'")
    schema = bind.execute(find).scalar()
    if schema is None:
        try:
            with bind.begin_nested():
                bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
        except sa.exc.DBAPIError:
            pass  # no right to install it (or no such package): the plain index still serves
        schema = bind.execute(find).scalar()
    return schema


def upgrade() -> None:
    op.create_table('staff_login_link',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('created_at', agent.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', agent.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', agent.store.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('staff_login_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_login_link_staff_id'), ['staff_id'], unique=False)
    op.create_table('template_defaults',
    sa.Column('firm_id', sa.String(length=64), nullable=False),
    sa.Column('template', sa.String(length=100), nullable=False),
    sa.Column('questionnaires', sa.JSON(), nullable=False),
    sa.Column('uploads', sa.JSON(), nullable=False),
    sa.Column('sign', sa.JSON(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', agent.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], ),
    sa.ForeignKeyConstraint(['updated_by'], ['staff.id'], ),
    sa.PrimaryKeyConstraint('firm_id', 'template')
    )
    bind = op.get_bind()
    schema = _trigram_schema(bind) if bind.dialect.name == 'postgresql' else None
    if schema is not None:
        op.execute(f'CREATE INDEX {INDEX} ON client USING gin (name "{schema}".gin_trgm_ops)')
    else:
        with op.batch_alter_table('client', schema=None) as batch_op:
            batch_op.create_index(INDEX, ['name'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_index(INDEX)
    with op.batch_alter_table('staff_login_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_login_link_staff_id'))
    op.drop_table('staff_login_link')
    op.drop_table('template_defaults')
