"""Durable small facts channels keep in the core's database, owned by the core.

A channel remembers where it stopped (the last IMAP UID per mailbox, Telegram's update offset), keeps a
secret that must survive restarts and workers (the e-mail plus-token key), and lets only one worker poll
a mailbox. It does so through this repository (``Mandat.channel_state``), never through the ORM.
"""

from __future__ import annotations

import secrets
import threading
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy.exc import IntegrityError

from agent.cluster.election import RETRY_S, TTL_S, Election
from agent.cluster.lease import Leases
from agent.store import models as m
from agent.store.db import Database


class ChannelState:
    def __init__(self, db: Database, leases: Leases | None = None) -> None:
        self.db = db
        self.leases = leases or Leases(db)

    def get(self, key: str) -> dict[str, Any] | None:
        with self.db.read() as s:
            row = s.get(m.KeyValue, key)
            return dict(row.value or {}) if row is not None else None

    def put(self, key: str, value: dict[str, Any]) -> None:
        with self.db.write() as s:
            s.merge(m.KeyValue(key=key, value=value))

    def raise_counter(self, key: str, name: str, value: int) -> None:
        """Keep ``value`` under ``name`` unless a larger one is kept already (marks only move forward)."""
        with self.db.write() as s:
            row = s.get(m.KeyValue, key)
            if row is None:
                s.add(m.KeyValue(key=key, value={name: value}))
            elif int((row.value or {}).get(name, 0)) < value:
                row.value = {**(row.value or {}), name: value}

    def secret(self, key: str) -> str:
        """A random secret made once and kept under ``key``; a race between workers keeps the first."""
        for _ in range(3):
            kept = self.get(key)
            if kept and kept.get("secret"):
                return str(kept["secret"])
            try:
                with self.db.write() as s:
                    if s.get(m.KeyValue, key) is None:
                        s.add(m.KeyValue(key=key, value={"secret": secrets.token_hex(32)}))
            except IntegrityError:  # another worker made it first: read theirs
                continue
        raise RuntimeError(f"could not create the secret {key!r}")

    def exclusive(self, name: str, stop: threading.Event, retry_s: float = RETRY_S,
                  ttl_s: float = TTL_S) -> AbstractContextManager[threading.Event | None]:
        """One holder of ``name`` per installation, on SQLite and PostgreSQL alike (a lease, see
        agent/cluster/election.py). Yields None when ``stop`` was set before the lease was won, else an
        event set when the block must end: ``stop`` was set or the lease was lost to another worker."""
        return Election(self.leases, f"channel:{name}"[:120], ttl_s=ttl_s, retry_s=retry_s).hold(stop)
