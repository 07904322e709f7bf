"""Personal links are bearer credentials: 256 random bits, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from agent.i18n import normalise_lang
from agent.page_views import LinkView
from agent.store.models import Link, Request

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
    return LinkCheck(link, _problem(link.revoked_at, link.expires_at, now))


def _problem(revoked_at: datetime | None, expires_at: datetime, now: datetime | None) -> str | None:
    """Why a link of the right purpose does not work (None: it does)."""
    if revoked_at is not None:
        return "revoked"
    if expires_at <= (now or datetime.now(UTC)):
        return "expired"
    return None


# Every chat POST looks its link up: one indexed Core query with the request's language, built once
# (loading the ORM request with its eager relationships cost more than the turn it guards).
_BY_HASH = (select(Link.id, Link.purpose, Link.revoked_at, Link.expires_at, Request.id, Request.lang)
            .join_from(Link, Request, Request.id == Link.request_id)
            .where(Link.token_hash == bindparam("token_hash")))


def resolve_view(conn: Connection, token: str, purpose: str, *, now: datetime | None = None) -> LinkView:
    """Like ``resolve``, as the pages' view; a bad token costs the same query as a good one (timing)."""
    bad = not token or len(token) > 200
    row = conn.execute(_BY_HASH, {"token_hash": hash_token("" if bad else token)}).first()
    if bad or row is None or row[1] != purpose:
        return LinkView("unknown")
    link_id, _, revoked_at, expires_at, request_id, lang = row
    problem = _problem(revoked_at, expires_at, now)
    if problem is not None:
        return LinkView(problem)
    return LinkView(None, link_id, request_id, normalise_lang(lang))


def revoke_all(session: Session, request_id: str, purpose: str | None = None) -> int:
    stmt = update(Link).where(Link.request_id == request_id, Link.revoked_at.is_(None))
    if purpose:
        stmt = stmt.where(Link.purpose == purpose)
    return session.execute(stmt.values(revoked_at=datetime.now(UTC))).rowcount or 0
