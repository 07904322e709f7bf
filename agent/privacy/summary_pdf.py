"""``summary.pdf``: the request for the case file, in the request's language.

A TrueType font is embedded (DejaVu Sans when the system has it, else reportlab's bundled Vera), so
umlauts, ß and typographic quotes print on any viewer and the text can be extracted and searched.
Everything from the client is escaped before it reaches reportlab's mini-markup.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from agent.privacy.texts import t

_CANDIDATES = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
)
_FONT, _BOLD = "MandatSans", "MandatSans-Bold"


def _fonts() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if _FONT in pdfmetrics.getRegisteredFontNames():
        return
    regular, bold = next(((r, b) for r, b in _CANDIDATES if Path(r).is_file() and Path(b).is_file()),
                         ("Vera.ttf", "VeraBd.ttf"))  # bundled with reportlab, found on its TTF search path
    pdfmetrics.registerFont(TTFont(_FONT, regular))
    pdfmetrics.registerFont(TTFont(_BOLD, bold))


def _text(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def _styles() -> dict[str, Any]:
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle

    return {
        "h1": ParagraphStyle("h1", fontName=_BOLD, fontSize=15, leading=19, spaceAfter=4),
        "h2": ParagraphStyle("h2", fontName=_BOLD, fontSize=11, leading=14, spaceBefore=10, spaceAfter=4),
        "p": ParagraphStyle("p", fontName=_FONT, fontSize=9, leading=12),
        "cell": ParagraphStyle("cell", fontName=_FONT, fontSize=8, leading=10),
        "small": ParagraphStyle("small", fontName=_FONT, fontSize=7.5, leading=9.5, textColor=colors.grey),
    }


def _table(rows: list[list[str]], widths: list[float], st: dict[str, Any]) -> Any:
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph, Table, TableStyle

    data = [[Paragraph(escape(cell), st["cell"]) for cell in row] for row in rows]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), _FONT), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#cccccc")),
    ]))
    return table


def _source(answer: dict[str, Any], lang: str) -> str:
    src = answer.get("source") or {}
    where = (t("src_document", lang, id=src.get("id"), page=src.get("page") or "–")
             if src.get("type") == "document" else t("src_message", lang))
    mark = t("confirmed" if answer.get("confirmed") else "not_confirmed", lang)
    return f"{where} · {answer.get('method')} · {mark}"


def _header(record: dict[str, Any], lang: str, st: dict[str, Any]) -> list[Any]:
    from reportlab.platypus import Paragraph

    req = record["request"]
    client = req.get("client") or {}
    lines = [(t("request", lang), req["id"]), (t("client", lang), client.get("name")),
             (t("email", lang), client.get("email") or "–"), (t("status", lang), req["status"]),
             (t("staff", lang), req.get("staff") or "–"), (t("created", lang), str(req["created_at"])[:16]),
             (t("exported", lang), str(record["exported_at"])[:16])]
    out = [Paragraph(escape(f"{record['firm']['name']} – {t('title', lang)}"), st["h1"])]
    out += [Paragraph(f"<b>{escape(k)}:</b> {escape(_text(v))}", st["p"]) for k, v in lines]
    return out


def _body(record: dict[str, Any], lang: str, st: dict[str, Any], width: float) -> list[Any]:
    from reportlab.platypus import Paragraph

    out: list[Any] = [Paragraph(escape(t("answers", lang)), st["h2"])]
    groups: dict[str, list[list[str]]] = {}
    for a in record["answers"]:
        groups.setdefault(a.get("questionnaire") or "", []).append(
            [a.get("label") or a["field"], _text(a["value"]), _source(a, lang)])
    for title, rows in groups.items():
        if title:
            out.append(Paragraph(f"<b>{escape(title)}</b>", st["p"]))
        out.append(_table([[t("field", lang), t("value", lang), t("source", lang)], *rows],
                          [width * 0.3, width * 0.4, width * 0.3], st))
    if not groups:
        out.append(Paragraph(t("none", lang), st["p"]))
    case = record.get("case") or {}
    out.append(Paragraph(escape(t("case", lang)), st["h2"]))
    slots = [[name, _text(slot.get("value")), ", ".join(f"{s.get('filename')} p.{s.get('page')}"
                                                        for s in slot.get("sources", []))]
             for name, slot in (case.get("slots") or {}).items()]
    out.append(_table([[t("slot", lang), t("value", lang), t("source", lang)], *slots],
                      [width * 0.3, width * 0.4, width * 0.3], st) if slots else Paragraph(t("none", lang), st["p"]))
    if case.get("conflicts"):
        names = ", ".join(c["slot"] for c in case["conflicts"])
        out.append(Paragraph(escape(t("conflicts", lang, slots=names)), st["p"]))
    out.append(Paragraph(escape(t("documents", lang)), st["h2"]))
    docs = []
    for d in record["documents"]:
        notes = "; ".join(t("deadline", lang, date=x.get("due_date"), basis=x.get("basis"))
                          for x in d.get("deadlines", []))
        origin = t("signed" if d.get("origin") == "signed" else "uploaded", lang)
        docs.append([d["filename"], f"{d.get('type') or '–'} · {origin}", f"SHA-256 {d['sha256'][:16]}… {notes}"])
    out.append(_table([[t("documents", lang), t("status", lang), t("source", lang)], *docs],
                      [width * 0.35, width * 0.25, width * 0.4], st) if docs else Paragraph(t("none", lang), st["p"]))
    out.append(Paragraph(escape(t("activity", lang)), st["h2"]))
    acts = [[str(a["at"])[:16].replace("T", " "), a["kind"], a["summary"]] for a in record["activity"]]
    out.append(_table([[t("created", lang), t("status", lang), t("activity", lang)], *acts],
                      [width * 0.18, width * 0.2, width * 0.62], st) if acts else Paragraph(t("none", lang), st["p"]))
    return out


def render_summary(record: dict[str, Any]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    _fonts()
    lang = record["request"]["lang"]
    st = _styles()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=16 * mm, title=f"{t('title', lang)} {record['request']['id']}",
                            author=record["firm"]["name"], invariant=True)

    def footer(canvas: Any, document: Any) -> None:
        canvas.setFont(_FONT, 7.5)
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, t("page", lang, n=document.page))

    story = _header(record, lang, st) + _body(record, lang, st, A4[0] - 36 * mm)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()
