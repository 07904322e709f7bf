"""Sign-in by e-mail: a one-time link, valid ``LINK_TTL``, sent when the firm has SMTP configured.

The token is a bearer credential: 32 random bytes in the link, only its SHA-256 in ``staff_login_link``.
Opening the link (GET) only shows a confirm button — mail scanners that fetch links must not spend it —
and the POST spends it in one conditional UPDATE, so of two racing confirms exactly one signs in.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from agent.config import Settings
from agent.staff import accounts
from agent.staff.accounts import StaffMember
from agent.staff.texts import t
from agent.store import models as m
from agent.store.db import Database
from agent.store.staff_tables import StaffLoginLink

LINK_TTL = timedelta(minutes=15)
LINK_PATH = "/staff/login/link"
Mail = Callable[[StaffMember, str], tuple[str, str]]  # (member, token) -> (subject, text)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def enabled(settings: Settings) -> bool:
    return bool(settings.smtp_host)


def issue(db: Database, email: str, default_lang: str, *, mail: Mail | None = None,
          now: datetime | None = None) -> tuple[str, StaffMember] | None:
    """A fresh token for the staff member with this address (who can sign in at all), else None. With
    ``mail`` the sign-in mail is queued in the outbox in the same transaction (the one way out)."""
    email = (email or "").strip().lower()[:320]
    now = now or datetime.now(UTC)
    with db.write() as s:
        staff_id = s.scalar(select(m.Staff.id).where(func.lower(m.Staff.email) == email))
        member = accounts.member_in(s, staff_id, default_lang) if staff_id is not None else None
        if member is None or not member.has_password:
            return None
        token = secrets.token_urlsafe(32)
        s.add(StaffLoginLink(id=_hash(token), staff_id=member.id, created_at=now, expires_at=now + LINK_TTL))
        if mail is not None:
            subject, text = mail(member, token)
            s.add(m.OutboxRow(message_id=f"staff-login-{_hash(token)[:32]}", request_id=None, channel="email",
                              address=member.email, kind="notification",
                              body={"text": text, "quick_replies": [], "meta": {"subject": subject}}))
        return token, member


def valid(db: Database, token: str | None, *, now: datetime | None = None) -> bool:
    """Whether the link can still be used (the confirm page asks; nothing is spent)."""
    if not token or len(token) > 100:
        return False
    with db.read() as s:
        row = s.get(StaffLoginLink, _hash(token))
        return row is not None and row.used_at is None and row.expires_at > (now or datetime.now(UTC))


def consume(db: Database, token: str | None, *, now: datetime | None = None) -> int | None:
    """Spend the link: the staff id once, None when unknown, used or expired."""
    if not token or len(token) > 100:
        return None
    now = now or datetime.now(UTC)
    key = _hash(token)
    with db.write() as s:
        spent = s.execute(update(StaffLoginLink).where(StaffLoginLink.id == key, StaffLoginLink.used_at.is_(None),
                                                      StaffLoginLink.expires_at > now).values(used_at=now))
        if spent.rowcount != 1:
            return None
        return s.scalar(select(StaffLoginLink.staff_id).where(StaffLoginLink.id == key))


def mail_text(settings: Settings, member: StaffMember, token: str, firm_name: str) -> tuple[str, str]:
    """Subject and body of the sign-in mail, in the staff member's language."""
    url = f"{settings.public_url.rstrip('/')}{LINK_PATH}?token={token}"
    minutes = int(LINK_TTL.total_seconds() // 60)
    return (t("link_mail_subject", member.lang, firm=firm_name),
            t("link_mail_body", member.lang, name=member.name, url=url, minutes=minutes))


def send_link(db: Database, settings: Settings, email: str, default_lang: str, firm_name: str,
              wake: Callable[[], None]) -> bool:
    """Issue a link and queue its mail when the address is a staff member's; runs after the answer went out,
    so the time it takes tells nothing about the address. True when a mail was queued."""
    issued = issue(db, email, default_lang,
                   mail=lambda member, token: mail_text(settings, member, token, firm_name))
    if issued is None:
        return False
    wake()
    return True
