"""`mandat staff add` and `mandat staff password`: staff accounts from the command line."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from typing import Any, TextIO

from agent.i18n import LANGS


def add_staff_commands(sub: Any, service_of: Callable[[], Any]) -> None:
    """Register the `staff` subcommands on the main parser's subparsers."""
    staff = sub.add_parser("staff", help="staff accounts for the browser workspace (/staff)").add_subparsers(
        dest="staff_command", required=True)
    add = staff.add_parser("add", help="add a staff member (or update name and role of one)")
    add.add_argument("email")
    add.add_argument("--name", required=True)
    add.add_argument("--role", default="lawyer", help="lawyer, assistant, admin (admins edit the firm settings)")
    add.add_argument("--lang", default="de", choices=list(LANGS), help="language of their pages")
    add.set_defaults(func=lambda args: cmd_staff_add(args, service_of))
    password = staff.add_parser("password", help="set a staff member's password (read from stdin)")
    password.add_argument("email")
    password.set_defaults(func=lambda args: cmd_staff_password(args, service_of))


def cmd_staff_add(args: argparse.Namespace, service_of: Callable[[], Any]) -> int:
    from agent.staff.accounts import AccountError, add_staff

    service = service_of()
    try:
        member = add_staff(service.db, service.firm.id, args.email, args.name, args.role, args.lang)
    except AccountError as exc:
        print(f"mandat: {exc}", file=sys.stderr)
        return 2
    finally:
        service.close()
    print(json.dumps({"id": member.id, "email": member.email, "name": member.name, "role": member.role,
                      "has_password": member.has_password}))
    if not member.has_password:
        print(f"Next: mandat staff password {member.email}", file=sys.stderr)
    return 0


def read_new_password(stdin: TextIO, stderr: TextIO) -> str | None:
    """Twice (hidden) on a terminal, one line when piped; None when the two entries differ."""
    if stdin.isatty():
        first = getpass.getpass("New password: ", stream=stderr)
        second = getpass.getpass("Repeat it: ", stream=stderr)
        return first if first == second else None
    return stdin.readline().rstrip("\r\n")


def cmd_staff_password(args: argparse.Namespace, service_of: Callable[[], Any]) -> int:
    from agent.staff.accounts import AccountError, set_password
    from agent.staff.sessions import SessionStore

    password = read_new_password(sys.stdin, sys.stderr)
    if password is None:
        print("mandat: the two passwords differ; nothing changed", file=sys.stderr)
        return 2
    service = service_of()
    try:
        member = set_password(service.db, args.email, password)
        ended = SessionStore(service.db).revoke_all(member.id)  # a new password signs every browser out
    except AccountError as exc:
        print(f"mandat: {exc}", file=sys.stderr)
        return 2
    finally:
        service.close()
    print(json.dumps({"email": member.email, "password_set": True, "sessions_ended": ended}))
    return 0
