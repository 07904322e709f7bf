"""`make run`: a staff login URL and a demo password printed once; the password signs in as an admin."""

from __future__ import annotations

import io

from agent.service import Mandat
from agent.staff.accounts import authenticate
from agent.staff.demo import ensure_demo_staff


def test_demo_staff_password_is_printed_once_and_works(service: Mandat) -> None:
    first = io.StringIO()
    password = ensure_demo_staff(service, out=first)
    assert password and password in first.getvalue()
    assert "http://127.0.0.1:8000/staff/login" in first.getvalue()
    member = authenticate(service.db, "anna.beispiel@beispiel.example", password)
    assert member is not None and member.is_admin
    again = io.StringIO()
    assert ensure_demo_staff(service, out=again) is None
    assert password not in again.getvalue() and "/staff/login" in again.getvalue()
