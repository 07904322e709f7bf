"""`make run`: a staff login for the demo, its password printed once (only the hash is kept)."""

from __future__ import annotations

import secrets
import sys
from typing import Any, TextIO

from sqlalchemy import select

from agent.staff.accounts import ADMIN_ROLE, set_password
from agent.store import models as m
from agent.store.staff_tables import StaffLogin


def ensure_demo_staff(service: Any, *, out: TextIO | None = None) -> str | None:
    """First start: the firm's first staff member gets a random password and the admin role, printed
    here once. Later starts print only the login URL. Returns the password when one was made."""
    out = out or sys.stdout
    email = str(service.firm.staff[0].email)
    url = f"{service.settings.public_url}/staff/login"
    with service.db.write() as s:
        staff = s.scalars(select(m.Staff).where(m.Staff.email == email)).one()
        if s.get(StaffLogin, staff.id) is not None:
            staff = None
        else:
            staff.role = ADMIN_ROLE
    if staff is None:
        print(f"  Staff workspace: {url}  (sign in as {email}; `mandat staff password {email}` sets a new "
              "password)\n", file=out, flush=True)
        return None
    password = secrets.token_urlsafe(12)
    set_password(service.db, email, password, lang=service.firm.default_language)
    print(f"  Staff workspace: {url}\n    e-mail:   {email}\n    password: {password}   (shown only this once)\n",
          file=out, flush=True)
    return password
