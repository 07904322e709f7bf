"""Durable facts of the e-mail channel in the core's database: last UID per mailbox, the token secret,
and the PostgreSQL advisory lock that keeps one poller per mailbox across workers."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import threading
from collections.abc import Iterator

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from agent.store import models as m
from agent.store.db import Database

SECRET_KEY = "email.secret"


class DbUidStore:
    """The poller's ``UidStore`` in the KeyValue table (survives restarts; per account/folder/UIDVALIDITY)."""

    def __init__(self, db: Database):
        self.db = db

    @staticmethod
    def key(account: str, folder: str, uidvalidity: int) -> str:
        return f"email.uid:{account}/{folder}/{uidvalidity}"[:300]

    def get_last_uid(self, account: str, folder: str, uidvalidity: int) -> int | None:
        with self.db.read() as s:
            row = s.get(m.KeyValue, self.key(account, folder, uidvalidity))
            return int(row.value.get("uid", 0)) if row is not None else None

    def set_last_uid(self, account: str, folder: str, uidvalidity: int, uid: int) -> None:
        key = self.key(account, folder, uidvalidity)
        with self.db.write() as s:
            row = s.get(m.KeyValue, key)
            if row is None:
                s.add(m.KeyValue(key=key, value={"uid": uid}))
            elif int(row.value.get("uid", 0)) < uid:
                row.value = {"uid": uid}


def token_secret(db: Database, configured: str | None) -> str:
    """``MANDAT_MAIL_SECRET`` when set, else a random secret made once and kept in the database, so
    plus tokens stay valid across restarts and workers without a lookup table."""
    if configured:
        return configured
    for _ in range(3):
        with db.read() as s:
            row = s.get(m.KeyValue, SECRET_KEY)
            if row is not None and row.value.get("secret"):
                return str(row.value["secret"])
        try:
            with db.write() as s:
                if s.get(m.KeyValue, SECRET_KEY) is None:
                    s.add(m.KeyValue(key=SECRET_KEY, value={"secret": secrets.token_hex(32)}))
        except IntegrityError:  # another worker made it first: read theirs
            continue
    raise RuntimeError("could not create the e-mail token secret")


def _lock_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextlib.contextmanager
def mailbox_lock(db: Database, name: str, stop: threading.Event, retry_s: float = 5.0) -> Iterator[bool]:
    """Hold ``pg_try_advisory_lock`` for ``name`` while the block runs (PostgreSQL only; SQLite means one
    process). Yields False when ``stop`` was set before the lock was won."""
    if db.is_sqlite:
        yield True
        return
    conn = None
    try:
        while not stop.is_set():
            conn = db.engine.connect()
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
