"""Slot rules beyond sender and dates: fine notices, insurance letters, court parties and rooms,
the signatory of a dismissal and whether the works council was heard.

Each rule reads positioned lines (and, for sentences that wrap, paragraphs joined from them) and
returns a SlotValue with the line as evidence. Values are normalised so they compare and parse:
money as ``70.00``, plates as ``K-AB 1234``, IBANs compact and checked with schwifty, date-times
as ``2026-02-12T14:35``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from tools.documents.layout import Line, region
from tools.documents.slots_base import SlotValue, parse_date, slot

__all__ = ["court_slots", "dismissal_slots", "fine_slots", "insurance_slots", "paragraphs"]

_TIME = re.compile(r"\b(\d{1,2})[:.](\d{2})(?:\s*Uhr)?\b")
_MONEY = re.compile(r"(?:(?:€|EUR)\s*)?(\d{1,3}(?:\.\d{3})+|\d+),(\d{2})(?:\s*(?:€|EUR|Euro))?")
_CLOSING = re.compile(r"^(?:Mit freundlichen\W*Grüßen|Freundliche\W*Grüße|Mit freundlichem\W*Gruß|Hochachtungsvoll|"
                      r"Viele\W*Grüße|Beste\W*Grüße)\b", re.I)
_PROXY = re.compile(r"^(?:i\.\s?A\.|i\.\s?V\.|ppa\.|p\.\s?p\.|gez\.)\s*", re.I)
_NAME_PART = r"[A-ZÄÖÜ][a-zäöüßéèáíóúçğışñ'’]+(?:-[A-ZÄÖÜ][a-zäöüßéèáíóúçğışñ'’]+)?"
_PERSON = re.compile(rf"^(?:(?:Dr|Prof)\.\s)*{_NAME_PART}(?:\s(?:von\s|van\s|de\s)?{_NAME_PART}){{1,2}}$")
_NOT_A_PERSON = re.compile(r"abteilung|leitung|führung|personal|service|team|kanzlei|vorstand|\bihre?\b", re.I)
_AUTHORITY = re.compile(r"\b(?:Stadt|Landkreis|Landratsamt|Kreisverwaltung|Bußgeldstelle|Polizei\w*|Bezirksamt|"
                        r"Ordnungsamt|Regierungspräsidium|Gemeinde|Landesamt|Bundesamt|Verwaltungsamt)\b")
_PLATE = re.compile(r"Kennzeichen\s*:?\s*([A-ZÄÖÜ]{1,3})[-\s]([A-Z]{1,2})[-\s]?(\d{1,4}[EH]?)\b")
_GENERIC_FILE = re.compile(r"(?:Aktenzeichen|Az\.?|Geschäftszeichen)\s*:?\s*([A-Z0-9][A-Za-z0-9./\-]{4,30}[A-Za-z0-9])")
# Groups separated by spaces, or by the dots and dashes OCR reads into them; schwifty decides.
_IBAN = re.compile(r"\bIBAN\s*:?\s*([A-Z]{2}\s?\d{2}(?:[\s.\-]?[A-Z0-9]{2,4}){3,8})")
_PAYEE_CUE = re.compile(r"Ihr(?:em)? Konto|Zahlungsempfänger|überweisen|auf das Konto|Auszahlung", re.I)


def paragraphs(lines: list[Line]) -> list[Line]:
    """Body lines that continue a sentence joined into one: an anchor and its date may wrap apart."""
    out: list[Line] = []
    for ln in lines:
        last = out[-1] if out else None
        if (last is not None and ln.page == last.page and region(ln) == region(last) == "body"
                and abs(ln.x0 - last.x0) < 20 and 0 <= ln.y0 - last.y1 < 1.2 * (last.y1 - last.y0 + 4)
                and not re.search(r"[.:!?]$", last.text)):
            out[-1] = Line(ln.page, f"{last.text} {ln.text}", min(last.x0, ln.x0), last.y0, max(last.x1, ln.x1),
                           ln.y1, ln.page_width, ln.page_height)
        else:
            out.append(ln)
    return out


def _search(lines: list[Line], pattern: re.Pattern[str] | str, build: Callable[[re.Match[str], Line], str | None],
            method: str, confidence: float = 0.9, *, sentences_first: bool = False) -> SlotValue | None:
    """The first line, then the first paragraph, where `pattern` matches and `build` makes a value.
    ``sentences_first``: a date and its time may wrap apart, so read whole paragraphs first."""
    compiled = re.compile(pattern, re.I) if isinstance(pattern, str) else pattern
    joined = paragraphs(lines)
    for group in ((joined, lines) if sentences_first else (lines, joined)):
        for ln in group:
            if region(ln) in ("footer", "window"):
                continue
            for m in compiled.finditer(ln.text):
                value = build(m, ln)
                if value:
                    return slot(value, ln, confidence, method)
    return None


def _datetime_after(m: re.Match[str], ln: Line) -> str | None:
    rest = ln.text[m.end():]
    found = parse_date(rest)
    if not found:
        return None
    after = rest[rest.find(found[1]) + len(found[1]):]
    time_m = _TIME.search(after[:40])
    return found[0].isoformat() + (f"T{int(time_m.group(1)):02d}:{time_m.group(2)}" if time_m else "")


def money(text: str) -> str | None:
    m = _MONEY.search(text)
    return f"{m.group(1).replace('.', '')}.{m.group(2)}" if m else None


def monies(text: str) -> list[str]:
    return [f"{m.group(1).replace('.', '')}.{m.group(2)}" for m in _MONEY.finditer(text)]


def _money_after(m: re.Match[str], ln: Line) -> str | None:
    rest = ln.text[m.end():].lstrip(" :")
    return money(rest) if _MONEY.match(rest) else None


def iban(raw: str) -> str | None:
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    try:
        return str(IBAN(re.sub(r"[\s.\-]", "", raw).upper()).compact)
    except (SchwiftyException, ValueError):
        return None


# ----------------------------------------------------------------------------- by document type


def fine_slots(lines: list[Line]) -> dict[str, SlotValue | None]:
    return {
        "authority": _authority(lines),
        "file_number": _search(lines, _GENERIC_FILE, lambda m, _ln: m.group(1), "anchor:file_number"),
        "offence.datetime": _search(lines, r"\bTatzeit\b|\bTattag\b|\bvorgeworfen\b|\bTatvorwurf\b", _datetime_after,
                                    "anchor:offence_time", sentences_first=True),
        "offence.place": _search(lines, r"\bTatort\s*:?\s*(.+?)\s*$|\bUhr\s+in\s+(.+?)\s+(?:als|mit)\b",
                                 lambda m, _ln: (m.group(1) or m.group(2) or "").strip(" ,."), "anchor:offence_place"),
        "vehicle.plate": _search(lines, _PLATE, lambda m, _ln: f"{m.group(1)}-{m.group(2)} {m.group(3)}",
                                 "anchor:plate"),
        "fine.amount": _search(lines, r"\b(?:Geldbuße|Verwarnungsgeld|Bußgeld)\b(?:\s+in Höhe von)?", _money_after,
                               "anchor:fine"),
        "fees.amount": _search(lines, r"\b(?:Gebühren|Verwaltungsgebühr)(?:\s+und\s+Auslagen)?\b", _money_after,
                               "anchor:fees"),
    }


def _authority(lines: list[Line]) -> SlotValue | None:
    for ln in lines:
        if region(ln) == "letterhead" and _AUTHORITY.search(ln.text):
            return slot(re.split(r"\s+[·|•]\s+", ln.text)[0].strip(), ln, 0.9, "layout:letterhead")
    return None


def insurance_slots(lines: list[Line]) -> dict[str, SlotValue | None]:
    number = r"\s*:?\s*([A-Z0-9][A-Z0-9\-/.]{3,24}[A-Z0-9])"
    return {
        "policy_number": _search(lines, r"(?:Versicherungsschein|Versicherungs|Police|Vertrag)s?(?:nummer|-Nr\.?|nr\.?)"
                                 + number, lambda m, _ln: m.group(1), "anchor:policy_number"),
        "claim_number": _search(lines, r"Schadens?(?:nummer|-Nr\.?|nr\.?)" + number, lambda m, _ln: m.group(1),
                                "anchor:claim_number"),
        "payee.iban": _payee_iban(lines),
    }


def _payee_iban(lines: list[Line]) -> SlotValue | None:
    """The account a payment goes to: an IBAN in the body next to a payment cue, never the footer's own."""
    body = [ln for ln in paragraphs(lines) if region(ln) not in ("footer", "letterhead", "window")]
    for cued in (True, False):
        for ln in body:
            if cued != bool(_PAYEE_CUE.search(ln.text)):
                continue
            for m in _IBAN.finditer(ln.text):
                value = iban(m.group(1))
                if value:
                    return slot(value, ln, 0.9 if cued else 0.7, "anchor:payee_iban")
    return None


def _trim(value: str) -> str:
    """Sentence punctuation off a name, but not the dot of "e.K." or "Co."."""
    value = value.strip(" ,;")
    return value[:-1] if value.endswith(".") and not re.search(r"\b\w{1,3}\.$", value) else value


def court_slots(lines: list[Line]) -> dict[str, SlotValue | None]:
    party_end = r"(?=\s+(?:werden|wird|wegen|erhalten|hat|ist)\b|[,;]|$)"
    return {
        "hearing.datetime": _search(lines, r"(?:geladen|Termin|Verhandlung|Güteverhandlung|Kammertermin)\b",
                                    _datetime_after, "anchor:hearing", sentences_first=True),
        "hearing.room": _search(lines, r"\b((?:Sitzungs)?[Ss]aal|Raum|Zimmer)\s+([A-Z]?\d{1,4}[A-Za-z]?)\b",
                                lambda m, _ln: f"{m.group(1)} {m.group(2)}", "anchor:room"),
        "parties.claimant": _search(
            lines, r"Rechtsstreit\s+(?:des\s+|der\s+)?(.+?)\s+(?:\./\.|gegen)\s"
                   rf"|\bKläger(?:in)?\s*:\s*(.+?){party_end}",
            lambda m, _ln: _trim(m.group(1) or m.group(2) or ""), "anchor:parties"),
        "parties.defendant": _search(
            lines, rf"(?:\./\.|\sgegen)\s+(.+?){party_end}|\bBeklagte[rn]?\s*:\s*(.+?){party_end}",
            lambda m, _ln: _trim(m.group(1) or m.group(2) or ""), "anchor:parties"),
    }


def dismissal_slots(lines: list[Line]) -> dict[str, SlotValue | None]:
    return {"employer.signatory": _signatory(lines), "works_council_heard": _works_council(lines)}


def _signatory(lines: list[Line]) -> SlotValue | None:
    """The first person's name within three lines under the closing ("i. A." and the like removed)."""
    for index, ln in enumerate(lines):
        if not _CLOSING.match(ln.text):
            continue
        for follow in lines[index + 1:index + 4]:
            name = _PROXY.sub("", follow.text).strip()
            if region(follow) != "footer" and _PERSON.match(name) and not _NOT_A_PERSON.search(name):
                return slot(name, follow, 0.85, "layout:signature")
        return None
    return None


def _works_council(lines: list[Line]) -> SlotValue | None:
    def heard(m: re.Match[str], _ln: Line) -> str:
        return "nein" if re.search(r"\bnicht\b|\bkein", m.group(0), re.I) else "ja"

    return _search(lines, r"\bBetriebsrat\b[^.]{0,80}?\b(?:angehört|beteiligt|unterrichtet|angehoert)\b", heard,
                   "keyword:works_council")
