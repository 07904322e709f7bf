"""Personal links are bearer credentials: 256 random bits, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from agent.store.models import Link

PURPOSES = ("chat", "sign", "telegram")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


@dataclass(frozen=True)
class IssuedLink:
    id: str
    token: str
    purpose: str
    expires_at: datetime


def issue(session: Session, request_id: str, purpose: str, days: int, *, item_id: int | None = None,
          now: datetime | None = None) -> IssuedLink:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown link purpose {purpose!r}")
    token = secrets.token_urlsafe(32)  # 32 bytes = 256 bits
    now = now or datetime.now(UTC)
    link = Link(token_hash=hash_token(token), request_id=request_id, purpose=purpose, item_id=item_id,
                expires_at=now + timedelta(days=days))
    session.add(link)
    session.flush()
    return IssuedLink(id=link.id, token=token, purpose=purpose, expires_at=link.expires_at)


@dataclass(frozen=True)
class LinkCheck:
    link: Link | None
    problem: str | None  # None | "unknown" | "expired" | "revoked" | "used"


def resolve(session: Session, token: str, purpose: str, *, now: datetime | None = None) -> LinkCheck:
    """Find the link for a token; never changes anything (a GET of a link must stay harmless)."""
    if not token or len(token) > 200:
        return LinkCheck(None, "unknown")
    link = session.scalars(select(Link).where(Link.token_hash == hash_token(token))).one_or_none()
    if link is None or link.purpose != purpose:
        return LinkCheck(None, "unknown")
    now = now or datetime.now(UTC)
    if link.revoked_at is not None:
        return LinkCheck(link, "revoked")
    if link.expires_at <= now:
        return LinkCheck(link, "expired")
    return LinkCheck(link, None)


def revoke_all(session: Session, request_id: str, purpose: str | None = None) -> int:
    stmt = update(Link).where(Link.request_id == request_id, Link.revoked_at.is_(None))
    if purpose:
        stmt = stmt.where(Link.purpose == purpose)
    return session.execute(stmt.values(revoked_at=datetime.now(UTC))).rowcount or 0
