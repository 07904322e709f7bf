"""Leases over the ``lease`` table: one holder per name across every process of an installation.

Works the same on SQLite and PostgreSQL (unlike advisory locks): a process takes a lease that is free,
expired or already its own, and must renew it before ``ttl`` runs out; a killed holder simply stops
renewing and another process takes over after one TTL.
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.exc import IntegrityError

from agent.store.db import Database
from agent.store.lease_tables import Lease


def process_holder() -> str:
    """An id for this process that a restarted process with the same pid never repeats."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class Leases:
    def __init__(self, db: Database, holder: str | None = None) -> None:
        self.db = db
        self.holder = holder or process_holder()

    def acquire(self, name: str, ttl: timedelta) -> bool:
        """Take or renew ``name`` until now + ``ttl``; False while another live holder has it."""
        now = datetime.now(UTC)
        with self.db.write() as s:
            taken = s.execute(
                update(Lease)
                .where(Lease.name == name, or_(Lease.holder == self.holder, Lease.expires_at < now))
                .values(holder=self.holder, expires_at=now + ttl)
            ).rowcount
            if taken == 1:
                return True
        try:
            with self.db.write() as s:
                s.add(Lease(name=name, holder=self.holder, expires_at=now + ttl, acquired_at=now))
        except IntegrityError:  # the row exists and someone else holds it
            return False
        return True

    def release(self, name: str) -> None:
        with self.db.write() as s:
            s.execute(delete(Lease).where(Lease.name == name, Lease.holder == self.holder))

    def holder_of(self, name: str) -> str | None:
        """The live holder of ``name``, if any (for health checks and tests)."""
        with self.db.read() as s:
            row = s.get(Lease, name)
            if row is None or row.expires_at < datetime.now(UTC):
                return None
            return row.holder
