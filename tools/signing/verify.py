"""Validate sealed PDFs: pyHanko for the report, `mandat verify FILE.pdf` for people."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from ._aio import run_sync
from .keys import to_asn1


@dataclass
class VerifyReport:
    ok: bool
    signer: str = ""
    signing_time: datetime | None = None
    intact: bool = False
    valid: bool = False
    trusted: bool = False
    coverage: str = ""
    docmdp_ok: bool = False
    timestamped: bool = False
    certified: bool = False
    signatures: int = 0
    errors: list[str] = field(default_factory=list)


def _context(trust: Iterable[Any] | None) -> ValidationContext:
    roots: list[asn1_x509.Certificate] = [to_asn1(c) for c in (trust or [])]
    # Self-signed firm certificates have no revocation info; never go online from a validator.
    return ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")


async def verify_pdf_async(pdf: bytes, *, trust: list[Any] | None = None) -> VerifyReport:
    """Check every signature; `ok` needs all intact, valid, DocMDP respected and the whole file covered.

    With `trust` (certificates: cryptography, asn1crypto, DER or PEM bytes) the signer must also chain
    to one of them; without it `trusted` is reported but does not affect `ok`.
    """
    report = VerifyReport(ok=False)
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        sigs = list(reader.embedded_signatures)
    except Exception as exc:  # a damaged file can fail in many places
        report.errors.append(f"unreadable PDF: {exc}")
        return report
    report.signatures = len(sigs)
    if not sigs:
        report.errors.append("no signature found")
        return report
    statuses = []
    for emb in sigs:
        try:
            status = await async_validate_pdf_signature(emb, signer_validation_context=_context(trust))
            statuses.append(status)
        except Exception as exc:
            report.errors.append(f"signature {emb.field_name}: cannot be validated: {exc}")
    if not statuses:
        return report
    first, last = statuses[0], statuses[-1]
    cert = first.signing_cert
    report.signer = cert.subject.native.get("common_name") or cert.subject.human_friendly
    report.timestamped = first.timestamp_validity is not None
    report.signing_time = (first.timestamp_validity.timestamp if first.timestamp_validity is not None
                           else first.signer_reported_dt)
    report.certified = sigs[0].docmdp_level is not None
    report.intact = all(s.intact for s in statuses)
    report.valid = all(s.valid for s in statuses)
    report.trusted = all(s.trusted for s in statuses)
    report.docmdp_ok = all(s.docmdp_ok is not False for s in statuses)
    report.coverage = last.coverage.name if last.coverage is not None else ""
    if not report.intact:
        report.errors.append("document changed after signing (hash mismatch)")
    if not report.valid:
        report.errors.append("signature cryptographically invalid")
    if not report.docmdp_ok:
        report.errors.append("changes not permitted by the certification (DocMDP)")
    if trust is not None and not report.trusted:
        report.errors.append("signer is not trusted")
    if report.coverage != "ENTIRE_FILE":
        report.errors.append(f"signature does not cover the whole file ({report.coverage or 'unknown'})")
    report.ok = not report.errors
    return report


def verify_pdf(pdf: bytes, *, trust: list[Any] | None = None) -> VerifyReport:
    """Sync variant; safe from worker threads and inside a running loop."""
    return run_sync(verify_pdf_async(pdf, trust=trust))


def verify_command(path: Path, trust_cert: Path | None = None) -> int:
    """`mandat verify FILE.pdf [--trust CERT]`: print signer, time, integrity, coverage; 1 if not valid."""
    try:
        pdf = path.read_bytes()
    except OSError as exc:
        print(f"{path}: cannot read: {exc}", file=sys.stderr)
        return 1
    trust = None
    if trust_cert is not None:
        try:
            trust = [trust_cert.read_bytes()]
        except OSError as exc:
            print(f"{trust_cert}: cannot read: {exc}", file=sys.stderr)
            return 1
    # pyHanko logs an untrusted self-signed certificate as a warning with a traceback; the report
    # below says the same in one line, so keep the terminal readable.
    pyhanko_log = logging.getLogger("pyhanko")
    previous = pyhanko_log.level
    pyhanko_log.setLevel(logging.ERROR)
    try:
        report = verify_pdf(pdf, trust=trust)
    finally:
        pyhanko_log.setLevel(previous)
    yes_no = {True: "ja / yes", False: "NEIN / NO"}
    print(f"Datei / File:            {path}")
    print(f"Unterzeichner / Signer:  {report.signer or '-'}")
    when = report.signing_time.isoformat() if report.signing_time else "-"
    print(f"Zeit / Time:             {when}{' (Zeitstempel / timestamp)' if report.timestamped else ''}")
    print(f"Unverändert / Intact:    {yes_no[report.intact]}")
    print(f"Signatur gültig / Valid: {yes_no[report.valid]}")
    print(f"Abdeckung / Coverage:    {report.coverage or '-'}")
    print(f"DocMDP:                  {yes_no[report.docmdp_ok]}")
    trusted = yes_no[report.trusted]
    if trust is None:
        trusted += " (kein --trust angegeben / no --trust given)"
    print(f"Vertraut / Trusted:      {trusted}")
    for err in report.errors:
        print(f"Fehler / Error:          {err}")
    print("ERGEBNIS / RESULT:       " + ("GÜLTIG / VALID" if report.ok else "UNGÜLTIG / INVALID"))
    return 0 if report.ok else 1


def _main(argv: list[str]) -> int:  # python -m tools.signing.verify FILE [CERT]
    if len(argv) < 2:
        print("usage: python -m tools.signing.verify FILE.pdf [TRUST_CERT.pem]", file=sys.stderr)
        return 2
    return verify_command(Path(argv[1]), Path(argv[2]) if len(argv) > 2 else None)


if __name__ == "__main__":
    sys.exit(_main(sys.argv))
