"""Fill case-schema slots from positioned text lines, deterministically (no LLM).

Rules by place and anchor: the letterhead names the sender (never the footer's
Geschäftsführer/Registergericht lines), the address window names the recipient — the client,
never proposed as the opposing party —, a right-aligned "Ort, den …" is the letter date,
"kündigen … zum <Datum>" the termination date, "Termin … am <Datum> um <Uhrzeit>" the hearing.
Every slot keeps page, evidence (the line, verbatim), bbox, confidence and method.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from tools.documents.case_schema import CaseSchema, load_schema
from tools.documents.layout import Line, region
from tools.documents.orgs import find_courts, find_orgs

__all__ = ["SlotValue", "extract_slots", "parse_date"]

_MONTHS = {"januar": 1, "jänner": 1, "februar": 2, "märz": 3, "maerz": 3, "april": 4, "mai": 5, "juni": 6,
           "juli": 7, "august": 8, "september": 9, "oktober": 10, "november": 11, "dezember": 12}
_DATE_RE = re.compile(r"\b(\d{1,2})\s?\.\s?(?:(\d{1,2})\s?\.\s?|(" + "|".join(_MONTHS) + r")\s+)(\d{4})\b", re.I)
_POSTCODE_RE = re.compile(r"\b\d{5}\s+[A-ZÄÖÜ]")
_FILE_RE = re.compile(
    r"(?:Az\.?|Aktenzeichen|Geschäftszeichen)\s*:?\s*((?:[A-Z]{1,3}\s)?[0-9]{1,3}\s?[A-Za-z]{1,4}\s?[0-9]{1,5}/[0-9]{2,4})"
)
_TIME_RE = re.compile(r"\b(\d{1,2})[:.](\d{2})\s*Uhr")


@dataclass(frozen=True)
class SlotValue:
    value: str
    page: int
    evidence: str
    bbox: tuple[float, float, float, float]
    confidence: float
    method: str
    role: str | None = None


def parse_date(text: str) -> tuple[date, str] | None:
    m = _DATE_RE.search(text)
    if not m:
        return None
    month = int(m.group(2)) if m.group(2) else _MONTHS[m.group(3).casefold()]
    try:
        return date(int(m.group(4)), month, int(m.group(1))), m.group(0)
    except ValueError:
        return None


def _slot(value: str, line: Line, confidence: float, method: str, role: str | None = None) -> SlotValue:
    return SlotValue(value, line.page, line.text, line.bbox, confidence, method, role)


def _sender(lines: list[Line]) -> dict[str, SlotValue]:
    out: dict[str, SlotValue] = {}
    head = [ln for ln in lines if region(ln) == "letterhead"]
    for ln in head:
        orgs = find_orgs(ln.text)
        if orgs and "name" not in out:
            out["name"] = _slot(orgs[0], ln, 0.95, "layout:letterhead")
    for ln in head:
        if _POSTCODE_RE.search(ln.text) and "address" not in out:
            parts = [p.strip() for p in re.split(r"[·|•]| - ", ln.text) if p.strip()]
            address = ", ".join(p for p in parts if not find_orgs(p))
            if address:
                out["address"] = _slot(address, ln, 0.9, "layout:letterhead")
    return out


def _recipient(lines: list[Line]) -> list[Line]:
    return [ln for ln in lines if region(ln) == "window"]


def _letter_date(lines: list[Line]) -> SlotValue | None:
    for ln in lines:
        if region(ln) in ("right", "letterhead") and (found := parse_date(ln.text)):
            return _slot(found[0].isoformat(), ln, 0.95, "layout:date_right")
    return None


def _anchored_date(lines: list[Line], anchor: str, method: str) -> SlotValue | None:
    for ln in lines:
        if region(ln) in ("footer", "window"):
            continue
        m = re.search(anchor, ln.text, re.I)
        if m and (found := parse_date(ln.text[m.end():])):
            return _slot(found[0].isoformat(), ln, 0.9, method)
    return None


def _hearing(lines: list[Line]) -> SlotValue | None:
    for ln in lines:
        m = re.search(r"(?:geladen|Termin|Verhandlung|Güteverhandlung|Kammertermin)\b", ln.text, re.I)
        if not m or region(ln) in ("footer", "window"):
            continue
        found, time_m = parse_date(ln.text[m.end():]), _TIME_RE.search(ln.text[m.end():])
        if found:
            when = found[0].isoformat() + (f"T{int(time_m.group(1)):02d}:{time_m.group(2)}" if time_m else "")
            return _slot(when, ln, 0.9, "anchor:hearing")
    return None


def _first(lines: list[Line], pattern: str, method: str, group: int = 1) -> SlotValue | None:
    for ln in lines:
        if region(ln) != "footer" and (m := re.search(pattern, ln.text, re.I)):
            return _slot(re.sub(r"\s+", " ", m.group(group)).strip(), ln, 0.9, method)
    return None


def _court(lines: list[Line]) -> SlotValue | None:
    for ln in lines:
        if region(ln) not in ("footer", "window") and (courts := find_courts(ln.text)):
            return _slot(courts[0], ln, 0.95, "pattern:court")
    return None


def _notice_type(lines: list[Line]) -> SlotValue | None:
    for word, value in (("fristlos", "fristlos"), ("außerordentlich", "außerordentlich"),
                        ("ordentlich", "ordentlich")):
        hit = _first(lines, rf"\b({word})\b", "keyword:notice_type")
        if hit:
            return SlotValue(value, hit.page, hit.evidence, hit.bbox, hit.confidence, hit.method)
    return None


def _candidates(lines: list[Line]) -> dict[str, SlotValue | None]:
    sender = _sender(lines)
    return {
        "sender.name": sender.get("name"), "sender.address": sender.get("address"),
        "letter_date": _letter_date(lines),
        "termination_date": _anchored_date(lines, r"kündig\w*.*?\bzum\b|\bbeendet\b.*?\bzum\b",
                                           "anchor:termination"),
        "stated_deadline": _anchored_date(lines, r"\bbis (?:spätestens )?(?:zum )?", "anchor:deadline"),
        "hearing.datetime": _hearing(lines), "court.name": _court(lines),
        "file_number": _first(lines, _FILE_RE.pattern, "anchor:file_number"),
        "personnel_number": _first(lines, r"Personal(?:nummer|-Nr\.?|nr\.?)\s*:?\s*([A-Z0-9\-]{3,20})",
                                   "anchor:personnel_number"),
        "policy_number": _first(lines, r"(?:Versicherungsschein|Police|Vertrag)s?(?:nummer|-Nr\.?|nr\.?)\s*:?\s*"
                                r"([A-Z0-9\-/]{4,25})", "anchor:policy_number"),
        "claim_number": _first(lines, r"Schaden(?:nummer|-Nr\.?|nr\.?)\s*:?\s*([A-Z0-9\-/]{4,25})",
                               "anchor:claim_number"),
        "notice_type": _notice_type(lines),
    }


# Which generic candidate fills which schema slot when the slot's own name is not a candidate.
_SENDER_SLOTS = {"employer.name": "sender.name", "employer.address": "sender.address", "insurer.name":
                 "sender.name", "authority": "sender.name", "issuer.name": "sender.name"}


def extract_slots(lines: list[Line], doc_type: str, schema: CaseSchema | None = None) -> dict[str, SlotValue]:
    """The schema's slots for `doc_type` that the rules could fill; the recipient is never a party."""
    specs = (schema or load_schema()).slots(doc_type)
    found = _candidates(lines)
    client_text = " ".join(ln.text for ln in _recipient(lines)).casefold()
    out: dict[str, SlotValue] = {}
    for name, spec in specs.items():
        value = found.get(name) or found.get(_SENDER_SLOTS.get(name, ""))
        if value is None:
            continue
        if spec.role in ("opposing_party", "party") and value.value.casefold() in client_text:
            continue  # the address window's name is the client, never the other side
        out[name] = SlotValue(value.value, value.page, value.evidence, value.bbox, value.confidence,
                              value.method, spec.role)
    return out
