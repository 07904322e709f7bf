"""The audit page appended to a signed document before it is sealed."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

# Anything that looks like a bearer token in a URL or parameter is cut out: the audit page is
# shared with the client and staff, and a link token must never be written into a document.
_TOKEN_PATTERNS = [
    re.compile(r"(/s/)[A-Za-z0-9_\-]{8,}"),
    re.compile(r"((?:token|t|key|code)=)[A-Za-z0-9_\-.~%]{8,}", re.IGNORECASE),
    re.compile(r"\b[A-Za-z0-9_\-]{40,}\b"),
]


def redact(text: str) -> str:
    for pattern in _TOKEN_PATTERNS[:2]:
        text = pattern.sub(lambda m: m.group(1) + "[…]", text)
    return _TOKEN_PATTERNS[2].sub(lambda m: m.group(0) if _is_hex_hash(m.group(0)) else "[…]", text)


def _is_hex_hash(s: str) -> bool:
    return len(s) in (40, 64) and all(c in "0123456789abcdefABCDEF" for c in s)


@dataclass(frozen=True)
class AuditData:
    title: str
    template_id: str
    template_version: str
    legal_form: str
    legal_note: str
    firm_name: str
    seal_fingerprint: str
    shown_sha256: str
    filled_sha256: str
    signer_name: str
    typed_name: str | None
    channel: str
    address: str
    signed_at: datetime
    ip: str
    user_agent: str
    link_id: str
    consent_text: str
    client_values: list[tuple[str, str]]
    events: list[tuple[datetime, str]]
    tz: str = "Europe/Berlin"


def _fmt_time(moment: datetime, tz: ZoneInfo) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    utc = moment.astimezone(UTC)
    local = moment.astimezone(tz)
    return f"{utc:%Y-%m-%d %H:%M:%S} UTC · {local:%d.%m.%Y %H:%M:%S} {local.tzname()}"


def audit_page_pdf(data: AuditData) -> bytes:
    """One (or, with a long timeline, more) A4 page(s) as PDF bytes."""
    tz = ZoneInfo(data.tz)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=50, rightMargin=50, topMargin=50, bottomMargin=50,
                            title=f"Prüfprotokoll – {data.title}", invariant=1)
    h1 = ParagraphStyle("h1", fontName="Helvetica-Bold", fontSize=14, leading=18, spaceAfter=2)
    sub = ParagraphStyle("sub", fontName="Helvetica", fontSize=8.5, leading=11, textColor=colors.grey)
    h2 = ParagraphStyle("h2", fontName="Helvetica-Bold", fontSize=10, leading=13, spaceBefore=8, spaceAfter=3)
    lab = ParagraphStyle("lab", fontName="Helvetica", fontSize=8, leading=10,
                         textColor=colors.HexColor("#444444"))
    val = ParagraphStyle("val", fontName="Helvetica", fontSize=8.5, leading=10.5)
    mono = ParagraphStyle("mono", fontName="Courier", fontSize=7.6, leading=10)
    small = ParagraphStyle("small", fontName="Helvetica", fontSize=7.5, leading=9.5, textColor=colors.grey)

    def p(text: str, style: ParagraphStyle = val) -> Paragraph:
        return Paragraph(escape(redact(text)).replace("\n", "<br/>"), style)

    def table(rows: list[tuple[str, Paragraph]], widths: tuple[float, float] = (140, 355)) -> Table:
        t = Table([[Paragraph(escape(k), lab), v] for k, v in rows], colWidths=list(widths))
        t.setStyle(TableStyle([
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#dddddd")),
            ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ]))
        return t

    story: list = [
        Paragraph("Prüfprotokoll zur elektronischen Unterschrift", h1),
        Paragraph("Signature audit trail – this page is part of the sealed document", sub),
        Spacer(1, 6),
        Paragraph("Dokument / Document", h2),
        table([
            ("Titel / Title", p(data.title)),
            ("Vorlage / Template", p(f"{data.template_id} (Version {data.template_version})")),
            ("Form / Legal form", p(data.legal_note)),
            ("SHA-256 angezeigte Fassung / version shown", p(data.shown_sha256, mono)),
            ("SHA-256 ausgefüllt vor Siegel / filled, before seal", p(data.filled_sha256, mono)),
        ]),
        Paragraph("Unterzeichnung / Signing", h2),
        table([
            ("Unterzeichner/in / Signer", p(data.signer_name)),
            *([("Getippter Name / Typed name", p(data.typed_name))] if data.typed_name else []),
            ("Kanal / Channel", p(f"{data.channel}: {data.address}")),
            ("Zeitpunkt / Time", p(_fmt_time(data.signed_at, tz) + f" ({data.tz})")),
            ("IP-Adresse / IP address", p(data.ip)),
            ("Browser / User agent", p(data.user_agent)),
            ("Link-ID / Link id", p(data.link_id, mono)),
            ("Einwilligung / Consent", p(data.consent_text)),
            *[(f"Eingabe / Input: {k}", p(v)) for k, v in data.client_values],
        ]),
    ]
    if data.events:
        story += [Paragraph("Ablauf / Timeline", h2),
                  table([(_fmt_time(t, tz), p(text)) for t, text in sorted(data.events, key=_event_key)],
                        widths=(215, 280))]
    story += [
        Spacer(1, 10),
        Paragraph(escape(
            f"Versiegelt von / sealed by {data.firm_name} (PAdES, zertifizierende Signatur ohne erlaubte "
            f"Änderungen; SHA-256-Fingerabdruck des Siegelzertifikats: {data.seal_fingerprint}). "
            "Jede spätere Änderung der Datei macht das Siegel ungültig. Die Unterschrift ist eine einfache "
            "elektronische "
            "Signatur; sie ersetzt nicht die Schriftform (§ 126 BGB) oder eine qualifizierte elektronische "
            "Signatur."), small),
    ]
    doc.build(story)
    return buf.getvalue()


def _event_key(event: tuple[datetime, str]) -> datetime:
    moment = event[0]
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
