"""Durable small facts channels keep in the core's database, owned by the core.

A channel remembers where it stopped (the last IMAP UID per mailbox, Telegram's update offset), keeps a
secret that must survive restarts and workers (the e-mail plus-token key), and lets only one worker poll
a mailbox. It does so through this repository (``Mandat.channel_state``), never through the ORM.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import threading
from collections.abc import Iterator
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from agent.store import models as m
from agent.store.db import Database


class ChannelState:
    def __init__(self, db: Database) -> None:
        self.db = db

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

    @contextlib.contextmanager
    def exclusive(self, name: str, stop: threading.Event, retry_s: float = 5.0) -> Iterator[bool]:
        """Hold ``pg_try_advisory_lock`` for ``name`` while the block runs (PostgreSQL only; SQLite means
        one process). Yields False when ``stop`` was set before the lock was won."""
        if self.db.is_sqlite:
            yield True
            return
        conn = None
        try:
            while not stop.is_set():
                conn = self.db.engine.connect()
                if conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _lock_key(name)}).scalar():
                    conn.commit()
                    break
                conn.close()
                conn = None
                stop.wait(retry_s)
            yield conn is not None
        finally:
            if conn is not None:
                with contextlib.suppress(Exception):
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _lock_key(name)})
                conn.close()


def _lock_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
