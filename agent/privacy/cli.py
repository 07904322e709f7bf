"""`mandat request export`, `mandat client export` and `mandat client erase` (docs/privacy.md)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

ServiceOf = Callable[[], Any]


def add_request_export(request_sub: Any, service_of: ServiceOf) -> None:
    """`mandat request export ID [--out FILE]` on the `request` subcommands."""
    export = request_sub.add_parser("export", help="the request as a ZIP: request.json, summary.pdf, files, "
                                                   "conversation.txt, manifest.json with SHA-256")
    export.add_argument("id")
    export.add_argument("--out", metavar="FILE", help="where to write the ZIP (default: request-ID.zip)")
    export.set_defaults(func=lambda args: cmd_request_export(args, service_of))


def add_client_commands(sub: Any, service_of: ServiceOf) -> None:
    client = sub.add_parser("client", help="a client's data: export (Art. 15/20 GDPR) and erase (Art. 17)") \
        .add_subparsers(dest="client_command", required=True)
    export = client.add_parser("export", help="every request of the client as one ZIP (JSON and files)")
    export.add_argument("email")
    export.add_argument("--out", metavar="FILE", help="where to write the ZIP (default: client-export.zip)")
    export.set_defaults(func=lambda args: cmd_client_export(args, service_of))
    erase = client.add_parser("erase", help="erase the client everywhere; keeps a tombstone without personal data")
    erase.add_argument("email")
    erase.add_argument("--yes", action="store_true", help="do not ask (required when not on a terminal)")
    erase.set_defaults(func=lambda args: cmd_client_erase(args, service_of))


def _write(out: Path, data: bytes) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    tmp.write_bytes(data)
    tmp.chmod(0o600)  # personal data: readable by the operator only
    tmp.replace(out)


def cmd_request_export(args: argparse.Namespace, service_of: ServiceOf) -> int:
    from agent.privacy.export import export_request

    return _export(service_of, lambda service: export_request(service, args.id),
                   Path(args.out or f"request-{args.id}.zip"), {"id": args.id})


def cmd_client_export(args: argparse.Namespace, service_of: ServiceOf) -> int:
    from agent.privacy.export import export_client

    return _export(service_of, lambda service: export_client(service, args.email),
                   Path(args.out or "client-export.zip"), {"email": args.email.strip().lower()})


def _export(service_of: ServiceOf, make: Callable[[Any], bytes], out: Path, echo: dict[str, str]) -> int:
    """Build the ZIP, write it atomically, print what was written; an export error is a message, exit 1."""
    from agent.privacy.export import ExportError

    service = service_of()
    try:
        data = make(service)
    except ExportError as exc:
        print(f"mandat: {exc}", file=sys.stderr)
        return 1
    finally:
        service.close()
    _write(out, data)
    print(json.dumps({**echo, "out": str(out), "bytes": len(data)}))
    return 0


def confirmed(email: str, *, yes: bool, stdin: TextIO, stderr: TextIO) -> bool | None:
    """True to go on; False when the operator declined; None when piped without --yes."""
    if yes:
        return True
    if not stdin.isatty():
        return None
    stderr.write(f"This erases {email} and all their requests, files and messages for good.\n"
                 "Type the e-mail address again to confirm: ")
    stderr.flush()
    return stdin.readline().strip().lower() == email


def cmd_client_erase(args: argparse.Namespace, service_of: ServiceOf) -> int:
    from agent.privacy import erase_client

    email = args.email.strip().lower()
    answer = confirmed(email, yes=args.yes, stdin=sys.stdin, stderr=sys.stderr)
    if answer is None:
        print("mandat: not on a terminal: add --yes to erase without asking", file=sys.stderr)
        return 2
    if not answer:
        print("mandat: not confirmed; nothing erased", file=sys.stderr)
        return 1
    service = service_of()
    try:
        report = erase_client(service, email)
    finally:
        service.close()
    print(json.dumps({"erased": report.requests > 0 or bool(report.counts.get("client")),
                      "tombstone": report.tombstone_id, "counts": report.counts}, sort_keys=True))
    return 0
