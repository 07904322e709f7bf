"""The store: SQLAlchemy models, the database, Alembic migrations.

Importing the package registers every table on the one metadata — the core's (models) and the staff
workspace's (staff_tables) — so Alembic, the schema test and every session see the whole schema."""

from agent.store import models, staff_tables  # noqa: F401
