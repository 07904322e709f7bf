"""Server-side staff sessions: the cookie holds a random value, the table its SHA-256.

A session ends when it is revoked (logout, password change), after ``idle`` without use, or
``absolute`` after login whatever happens. Every login makes a new session (no fixation).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from agent.store.db import Database
from agent.store.staff_tables import StaffSession

COOKIE = "mandat_staff"
TOUCH_EVERY = timedelta(seconds=60)  # last_used_at is written at most this often per session


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class ActiveSession:
    id: str  # the hash, never the cookie value
    staff_id: int
    csrf: str


class SessionStore:
    def __init__(self, db: Database, *, idle: timedelta = timedelta(hours=2),
                 absolute: timedelta = timedelta(hours=12)) -> None:
        self.db = db
        self.idle = idle
        self.absolute = absolute

    def start(self, staff_id: int, ip: str, *, replaces: str | None = None) -> tuple[str, ActiveSession]:
        """A new session (cookie value, session); the one the browser had before is revoked."""
        value = secrets.token_urlsafe(32)
        row = StaffSession(id=_hash(value), staff_id=staff_id, csrf=secrets.token_urlsafe(32), ip=ip[:64])
        with self.db.write() as s:
            if replaces:
                s.execute(update(StaffSession).where(StaffSession.id == _hash(replaces),
                                                     StaffSession.revoked_at.is_(None))
                          .values(revoked_at=datetime.now(UTC)))
            s.add(row)
        return value, ActiveSession(row.id, staff_id, row.csrf)

    def resolve(self, value: str | None) -> ActiveSession | None:
        with self.db.read() as s:
            found, stale = self.resolve_in(s, value)
        if found is not None and stale:
            self.touch(found)
        return found

    def resolve_in(self, s: Session, value: str | None) -> tuple[ActiveSession | None, bool]:
        """(the live session or None, whether its last use should be written) inside a read the caller holds."""
        key = self.key(value)
        return self.check(s.get(StaffSession, key) if key else None)

    @staticmethod
    def key(value: str | None) -> str | None:
        """The row id of a cookie value (None for no or an oversized cookie)."""
        return _hash(value) if value and len(value) <= 100 else None

    def check(self, row: StaffSession | None) -> tuple[ActiveSession | None, bool]:
        """Whether a session row (read by whoever) is still live: not revoked, not idle, not too old."""
        now = datetime.now(UTC)
        if row is None or row.revoked_at is not None:
            return None, False
        if now - row.last_used_at > self.idle or now - row.created_at > self.absolute:
            return None, False
        return ActiveSession(row.id, row.staff_id, row.csrf), now - row.last_used_at > TOUCH_EVERY

    def touch(self, found: ActiveSession) -> None:
        with self.db.write() as s:
            s.execute(update(StaffSession).where(StaffSession.id == found.id)
                      .values(last_used_at=datetime.now(UTC)))

    def revoke(self, value: str | None) -> None:
        if not value:
            return
        with self.db.write() as s:
            s.execute(update(StaffSession).where(StaffSession.id == _hash(value), StaffSession.revoked_at.is_(None))
                      .values(revoked_at=datetime.now(UTC)))

    def revoke_all(self, staff_id: int) -> int:
        with self.db.write() as s:
            return s.execute(update(StaffSession).where(StaffSession.staff_id == staff_id,
                                                        StaffSession.revoked_at.is_(None))
                             .values(revoked_at=datetime.now(UTC))).rowcount or 0
