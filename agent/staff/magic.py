"""Sign-in by e-mail: a one-time link, valid ``LINK_TTL``, sent when the firm has SMTP configured.

The token is a bearer credential: 32 random bytes in the link, only its SHA-256 in ``staff_login_link``.
Opening the link (GET) only shows a confirm button — mail scanners that fetch links must not spend it —
and the POST spends it in one conditional UPDATE, so of two racing confirms exactly one signs in.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import smtplib
import ssl
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy import func, select, update

from agent.config import Settings
from agent.staff import accounts
from agent.staff.accounts import StaffMember
from agent.staff.texts import t
from agent.store import models as m
from agent.store.db import Database
from agent.store.staff_tables import StaffLoginLink

log = logging.getLogger(__name__)
LINK_TTL = timedelta(minutes=15)
LINK_PATH = "/staff/login/link"
SMTP_TIMEOUT_S = 20.0


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def enabled(settings: Settings) -> bool:
    return bool(settings.smtp_host)


def issue(db: Database, email: str, default_lang: str, *,
          now: datetime | None = None) -> tuple[str, StaffMember] | None:
    """A fresh token for the staff member with this address (who can sign in at all), else None."""
    email = (email or "").strip().lower()[:320]
    now = now or datetime.now(UTC)
    with db.write() as s:
        staff_id = s.scalar(select(m.Staff.id).where(func.lower(m.Staff.email) == email))
        member = accounts.member_in(s, staff_id, default_lang) if staff_id is not None else None
        if member is None or not member.has_password:
            return None
        token = secrets.token_urlsafe(32)
        s.add(StaffLoginLink(id=_hash(token), staff_id=member.id, created_at=now, expires_at=now + LINK_TTL))
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


def compose(settings: Settings, member: StaffMember, token: str, firm_name: str) -> EmailMessage:
    lang = member.lang
    url = f"{settings.public_url.rstrip('/')}{LINK_PATH}?token={token}"
    msg = EmailMessage()
    msg["From"] = settings.mail_from or f"Mandat <mandat@{settings.smtp_host}>"
    msg["To"] = member.email
    msg["Subject"] = t("link_mail_subject", lang, firm=firm_name)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="mandat.local")
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(t("link_mail_body", lang, name=member.name, url=url, minutes=int(LINK_TTL.total_seconds() // 60)))
    return msg


def send(settings: Settings, msg: EmailMessage) -> None:
    """One message over the configured SMTP server (implicit TLS, STARTTLS or plain)."""
    host, port = settings.smtp_host or "", settings.smtp_port
    context = ssl.create_default_context()
    if settings.smtp_tls == "ssl":
        conn: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT_S, context=context)
    else:
        conn = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT_S)
    try:
        conn.ehlo()
        if settings.smtp_tls == "starttls":
            conn.starttls(context=context)
            conn.ehlo()
        if settings.smtp_user:
            conn.login(settings.smtp_user, settings.smtp_password or "")
        conn.send_message(msg)
    finally:
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException):
            conn.close()


def send_link(db: Database, settings: Settings, email: str, default_lang: str, firm_name: str) -> bool:
    """Issue and mail a link when the address is a staff member's; runs after the answer went out, so the
    time it takes tells nothing about the address. True when a mail was sent."""
    issued = issue(db, email, default_lang)
    if issued is None:
        return False
    token, member = issued
    try:
        send(settings, compose(settings, member, token, firm_name))
    except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
        log.warning("sign-in link for staff %s not sent: %s", member.id, exc)
        return False
    return True
