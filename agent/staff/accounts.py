"""Staff accounts: passwords hashed with argon2id, looked up by e-mail; the firm folder seeds the people."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agent.i18n import normalise_lang
from agent.store import models as m
from agent.store.db import Database
from agent.store.staff_tables import StaffLogin

MIN_PASSWORD = 10
MAX_PASSWORD = 256
ADMIN_ROLE = "admin"
_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;.]+$")
_hasher = PasswordHasher()
# Verified when the e-mail is unknown, so a wrong address costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class AccountError(ValueError):
    """The account cannot be changed as asked; the message says why."""


@dataclass(frozen=True)
class StaffMember:
    id: int
    name: str
    email: str
    role: str
    lang: str
    has_password: bool

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN_ROLE


def member_of(staff: m.Staff, login: StaffLogin | None, default_lang: str) -> StaffMember:
    """The view of a staff row and its login row (None: no password set) read by the caller."""
    return _member(staff, login, default_lang)


def _member(staff: m.Staff, login: StaffLogin | None, default_lang: str) -> StaffMember:
    return StaffMember(id=staff.id, name=staff.name, email=staff.email, role=staff.role,
                       lang=normalise_lang(login.lang if login else default_lang),
                       has_password=login is not None)


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"the password may have at most {MAX_PASSWORD} characters")
    return password


def add_staff(db: Database, firm_id: str, email: str, name: str, role: str = "lawyer",
              lang: str = "de") -> StaffMember:
    """A new staff member, or the existing one with this e-mail renamed and given this role."""
    email, name, role = email.strip().lower(), name.strip(), role.strip() or "lawyer"
    if not _EMAIL.match(email) or len(email) > 320:
        raise AccountError(f"{email!r} is not an e-mail address")
    if not name or len(name) > 200:
        raise AccountError("a name of 1 to 200 characters is needed")
    with db.write() as s:
        staff = s.scalars(select(m.Staff).where(func.lower(m.Staff.email) == email)).one_or_none()
        if staff is None:
            staff = m.Staff(firm_id=firm_id, email=email, name=name, role=role[:50])
            s.add(staff)
        staff.name, staff.role = name, role[:50]
        s.flush()
        login = s.get(StaffLogin, staff.id)
        return _member(staff, login, lang)


def set_password(db: Database, email: str, password: str, *, lang: str | None = None) -> StaffMember:
    check_password(password)
    with db.write() as s:
        staff = s.scalars(select(m.Staff).where(func.lower(m.Staff.email) == email.strip().lower())).one_or_none()
        if staff is None:
            raise AccountError(f"no staff member {email!r} (add one with `mandat staff add`)")
        login = s.get(StaffLogin, staff.id)
        if login is None:
            login = StaffLogin(staff_id=staff.id, lang=normalise_lang(lang), password_hash="")
            s.add(login)
        login.password_hash = _hasher.hash(password)
        login.changed_at = datetime.now(UTC)
        if lang:
            login.lang = normalise_lang(lang)
        s.flush()
        return _member(staff, login, login.lang)


def authenticate(db: Database, email: str, password: str, default_lang: str = "de") -> StaffMember | None:
    """The staff member when the password is right; None otherwise (same work either way)."""
    email = (email or "").strip().lower()[:320]
    with db.read() as s:
        staff = s.scalars(select(m.Staff).where(func.lower(m.Staff.email) == email)).one_or_none()
        login = s.get(StaffLogin, staff.id) if staff is not None else None
        stored = login.password_hash if login is not None else _DUMMY_HASH
        try:
            _hasher.verify(stored, password[:MAX_PASSWORD])
        except (VerificationError, InvalidHashError):
            return None
        if staff is None or login is None:
            return None
        needs_rehash = _hasher.check_needs_rehash(stored)
        member = _member(staff, login, default_lang)
    if needs_rehash:
        set_password(db, email, password)
    return member


def member(db: Database, staff_id: int, default_lang: str = "de") -> StaffMember | None:
    with db.read() as s:
        return member_in(s, staff_id, default_lang)


def member_in(s: Session, staff_id: int, default_lang: str = "de") -> StaffMember | None:
    # One joined read (every staff page asks this), not two lookups.
    found = s.execute(select(m.Staff, StaffLogin).outerjoin(StaffLogin, StaffLogin.staff_id == m.Staff.id)
                      .where(m.Staff.id == staff_id)).one_or_none()
    return _member(found[0], found[1], default_lang) if found is not None else None


def everyone(db: Database, default_lang: str = "de") -> tuple[StaffMember, ...]:
    with db.read() as s:
        rows = s.execute(select(m.Staff, StaffLogin).outerjoin(StaffLogin, StaffLogin.staff_id == m.Staff.id)
                         .order_by(m.Staff.name))
        return tuple(_member(staff, login, default_lang) for staff, login in rows)


def set_lang(db: Database, staff_id: int, lang: str) -> None:
    with db.write() as s:
        login = s.get(StaffLogin, staff_id)
        if login is not None:
            login.lang = normalise_lang(lang)
