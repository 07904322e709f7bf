"""The store: SQLAlchemy models, the database, Alembic migrations.

Importing the package registers every table on the one metadata — the core's (models), the staff
workspace's (staff_tables), the leases (lease_tables), the conversation graph's state (graph_tables),
the erasure tombstones (privacy_tables), reminders and webhooks (sync_tables) — so Alembic, the schema
test and every session see the whole schema."""

from agent.store import graph_tables, lease_tables, models, privacy_tables, staff_tables, sync_tables  # noqa: F401
