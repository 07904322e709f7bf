"""Fill case-schema slots from positioned text lines, deterministically (no LLM).

Rules by place and anchor: the letterhead names the sender (never the footer's
Geschäftsführer/Registergericht lines; the window's small return-address line when the letterhead
has no legal form), the address window names the recipient — the client, never proposed as a
party —, a right-aligned "Ort, den …" or an info block's "Datum: …" is the letter date (never an
"Ihre Nachricht vom …"), "kündigen … zum <Datum>" the termination date, "Termin … am <Datum> um
<Uhrzeit>" the hearing. Document-type rules (fine notice, insurance, court parties, signatory) are
in slot_rules. Every slot keeps page, evidence (the line, verbatim), bbox, confidence and method.
"""

from __future__ import annotations

import re

from tools.documents.case_schema import CaseSchema, load_schema
from tools.documents.layout import Line, region
from tools.documents.orgs import find_courts, find_orgs
from tools.documents.slot_rules import court_slots, dismissal_slots, fine_slots, insurance_slots, paragraphs
from tools.documents.slots_base import SlotValue, parse_date, slot

__all__ = ["SlotValue", "extract_slots", "parse_date", "recipient_text"]

_POSTCODE_RE = re.compile(r"\b\d{5}\s+[A-ZÄÖÜ]")
_COURT_FILE = re.compile(
    r"(?:Az\.?|Aktenzeichen|Geschäftszeichen)\s*:?\s*((?:[A-Z]{1,3}\s)?[0-9]{1,3}\s?[A-Za-z]{1,4}\s?[0-9]{1,5}/[0-9]{2,4})"
)
_SEPARATORS = re.compile(r"\s+[·|•]\s+|\s+-\s+")
_NOT_LETTER_DATE = re.compile(r"\bvom\b|Nachricht|Schreiben|Zeichen|geboren|Tatzeit|gültig", re.I)


def _return_line(lines: list[Line]) -> Line | None:
    """DIN 5008's return address: the window's first line, sender name and address run together."""
    window = [ln for ln in lines if region(ln) == "window"]
    if len(window) < 3 or not _POSTCODE_RE.search(window[0].text):
        return None
    # A whole address on one line above the recipient's own postcode line (separators may be lost in a scan).
    if any(_POSTCODE_RE.search(ln.text) for ln in window[1:]):
        return window[0]
    return None


def _address(text: str) -> str:
    parts = [p.strip() for p in _SEPARATORS.split(text) if p.strip()]
    return ", ".join(p for p in parts if not find_orgs(p) and not re.search(r"\bTel|@|Fax|www\.", p))


def _sender(lines: list[Line]) -> dict[str, SlotValue]:
    out: dict[str, SlotValue] = {}
    head = [ln for ln in lines if region(ln) == "letterhead"]
    back = _return_line(lines)
    for ln in head + ([back] if back else []):
        orgs = find_orgs(ln.text)
        if orgs and "name" not in out:
            out["name"] = slot(orgs[0], ln, 0.95 if ln is not back else 0.85,
                               "layout:letterhead" if ln is not back else "layout:return_line")
    for ln in head + ([back] if back else []):
        if _POSTCODE_RE.search(ln.text) and "address" not in out and (address := _address(ln.text)):
            out["address"] = slot(address, ln, 0.9, "layout:letterhead" if ln is not back else "layout:return_line")
    return out


def _recipient(lines: list[Line]) -> list[Line]:
    back = _return_line(lines)
    return [ln for ln in lines if region(ln) == "window" and ln is not back]


def recipient_text(lines: list[Line]) -> str:
    """The address window without the return-address line: who the letter is to (the client)."""
    return " ".join(ln.text for ln in _recipient(lines))


def _letter_date(lines: list[Line]) -> SlotValue | None:
    """"Datum: …" first, then a right-aligned or letterhead date that is not about another letter."""
    places = [ln for ln in lines if region(ln) in ("right", "letterhead")]
    for ln in places:
        m = re.search(r"\bDatum\s*:?\s*", ln.text)
        if m and (found := parse_date(ln.text[m.end():])):
            return slot(found[0].isoformat(), ln, 0.95, "layout:date_label")
    for ln in places:
        if not _NOT_LETTER_DATE.search(ln.text) and (found := parse_date(ln.text)):
            return slot(found[0].isoformat(), ln, 0.95, "layout:date_right")
    return None


def _anchored_date(lines: list[Line], anchor: str, method: str) -> SlotValue | None:
    for group in (lines, paragraphs(lines)):
        for ln in group:
            if region(ln) in ("footer", "window", "letterhead"):
                continue
            m = re.search(anchor, ln.text, re.I)
            if m and (found := parse_date(ln.text[m.end():])):
                return slot(found[0].isoformat(), ln, 0.9, method)
    return None


def _first(lines: list[Line], pattern: str, method: str, group: int = 1) -> SlotValue | None:
    for ln in lines:
        if region(ln) != "footer" and (m := re.search(pattern, ln.text, re.I)):
            return slot(re.sub(r"\s+", " ", m.group(group)).strip(), ln, 0.9, method)
    return None


def _court(lines: list[Line]) -> SlotValue | None:
    for ln in lines:
        if region(ln) not in ("footer", "window") and (courts := find_courts(ln.text)):
            return slot(courts[0], ln, 0.95, "pattern:court")
    return None


def _notice_type(lines: list[Line]) -> SlotValue | None:
    for word, value in (("fristlos", "fristlos"), ("außerordentlich", "außerordentlich"),
                        ("ordentlich", "ordentlich")):
        hit = _first(lines, rf"\b({word})\b", "keyword:notice_type")
        if hit:
            return SlotValue(value, hit.page, hit.evidence, hit.bbox, hit.confidence, hit.method)
    return None


def _candidates(lines: list[Line], doc_type: str) -> dict[str, SlotValue | None]:
    sender = _sender(lines)
    found: dict[str, SlotValue | None] = {
        "sender.name": sender.get("name"), "sender.address": sender.get("address"),
        "letter_date": _letter_date(lines),
        "termination_date": _anchored_date(
            lines, r"(?:kündig\w*|\bbeendet\b|\bbeenden\b|Arbeitsverh\w+|Vertrag\w*)\b.*?\bzum\b",
            "anchor:termination"),
        "stated_deadline": _anchored_date(lines, r"\bbis (?:spätestens )?(?:zum )?", "anchor:deadline"),
        "court.name": _court(lines),
        "file_number": _first(lines, _COURT_FILE.pattern, "anchor:file_number"),
        "personnel_number": _first(lines, r"Personal(?:nummer|-Nr\.?|nr\.?)\s*:?\s*([A-Z0-9\-]{3,20})",
                                   "anchor:personnel_number"),
        "notice_type": _notice_type(lines),
    }
    extra = {"fine_notice": fine_slots, "insurance_letter": insurance_slots, "court_letter": court_slots,
             "dismissal_letter": dismissal_slots}.get(doc_type)
    for name, value in (extra(lines) if extra else {}).items():
        if value is not None and found.get(name) is None:
            found[name] = value
    return found


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


def _is_client(value: str, client_text: str) -> bool:
    """The window's name, also when one copy lost a letter the font or scan could not hold ("Y■lmaz")."""
    words = _words(value)
    if words and f" {words} " in f" {client_text} ":
        return True
    long = {w for w in words.split() if len(w) >= 3}
    return len(long) >= 2 and long <= set(client_text.split())


# Which generic candidate fills which schema slot when the slot's own name is not a candidate.
_SENDER_SLOTS = {"employer.name": "sender.name", "employer.address": "sender.address", "insurer.name":
                 "sender.name", "issuer.name": "sender.name", "court.address": "sender.address"}


def extract_slots(lines: list[Line], doc_type: str, schema: CaseSchema | None = None) -> dict[str, SlotValue]:
    """The schema's slots for `doc_type` that the rules could fill; the recipient is never a party."""
    specs = (schema or load_schema()).slots(doc_type)
    found = _candidates(lines, doc_type)
    client_text = _words(" ".join(ln.text for ln in _recipient(lines)))
    out: dict[str, SlotValue] = {}
    for name, spec in specs.items():
        value = found.get(name) or found.get(_SENDER_SLOTS.get(name, ""))
        if value is None:
            continue
        if spec.role in ("opposing_party", "party", "insurer", "issuer", "sender") and _is_client(value.value,
                                                                                                 client_text):
            continue  # the address window's name is the client, never the other side
        out[name] = SlotValue(value.value, value.page, value.evidence, value.bbox, value.confidence,
                              value.method, spec.role)
    return out
