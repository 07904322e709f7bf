"""Deadlines: § 4 KSchG for dismissals, § 67 OWiG for fine notices, and deadlines stated in letters.

Counting follows §§ 187, 188 BGB (the day of receipt is not counted; a deadline in weeks ends on
the same weekday) and § 193 BGB / § 222 ZPO (a deadline ending on a Saturday, Sunday or
nationwide public holiday ends on the next working day). Regional holidays are not known here,
which the basis text says.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from tools.documents.extract import _evidence, iter_dates
from tools.documents.model import Deadline, Fact, PageText

_NUMBER_WORDS = {
    "einem": 1, "einer": 1, "eines": 1, "ein": 1, "eine": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5,
    "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10, "elf": 11, "zwölf": 12, "vierzehn": 14,
}
_NUM = r"(\d{1,3}|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
RELATIVE = re.compile(
    rf"\b(?:innerhalb|binnen)\s+(?:(?:einer|der)\s+Frist\s+)?(?:von\s+)?{_NUM}\s+(Tag(?:e|en)?|Woche(?:n)?|Monat(?:e|en)?)\b"
    r"([^.\n]{0,80})",
    re.IGNORECASE,
)
UNTIL = re.compile(r"\b(?:bis\s+(?:spätestens\s+)?(?:zum|am)?|spätestens\s+(?:am|bis\s+zum|zum)?)\s*$", re.IGNORECASE)

_NOTE_REGIONAL = " Regionale Feiertage sind nicht berücksichtigt."


def easter(year: int) -> date:
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    ll = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ll) // 451
    month = (h + ll - 7 * m + 114) // 31
    day = (h + ll - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def national_holidays(year: int) -> set[date]:
    e = easter(year)
    return {
        date(year, 1, 1), e - timedelta(days=2), e + timedelta(days=1), date(year, 5, 1),
        e + timedelta(days=39), e + timedelta(days=50), date(year, 10, 3), date(year, 12, 25), date(year, 12, 26),
    }


def next_working_day(d: date) -> date:
    """§ 193 BGB: Saturday, Sunday or a (nationwide) public holiday moves the end to the next working day."""
    while d.weekday() >= 5 or d in national_holidays(d.year):
        d += timedelta(days=1)
    return d


def add_period(start: date, amount: int, unit: str) -> date:
    unit = unit.lower()
    if unit.startswith("tag"):
        return start + timedelta(days=amount)
    if unit.startswith("woche"):
        return start + timedelta(weeks=amount)
    month_index = start.month - 1 + amount
    year, month = start.year + month_index // 12, month_index % 12 + 1
    # § 188 (3) BGB: no such day in the end month → its last day
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def _letter_date(facts: list[Fact]) -> Fact | None:
    for name in ("letter_date", "date"):
        for f in facts:
            if f.name == name:
                return f
    return None


def _base(receipt_date: date | None, facts: list[Fact], what: str) -> tuple[date | None, str, bool, Fact | None]:
    if receipt_date is not None:
        return receipt_date, f"{what} am {receipt_date:%d.%m.%Y} (angegeben)", False, None
    letter = _letter_date(facts)
    if letter is None:
        return None, "", True, None
    d = date.fromisoformat(letter.value)
    note = (f"{what} unbekannt – vorläufig ab dem Datum des Schreibens ({d:%d.%m.%Y}) gerechnet; "
            f"das tatsächliche Zugangsdatum muss bestätigt werden")
    return d, note, True, letter


def find_deadlines(
    doc_type: str, pages: list[PageText], facts: list[Fact], receipt_date: date | None
) -> list[Deadline]:
    out: list[Deadline] = []
    if doc_type == "dismissal_letter":
        base, note, confirm, src = _base(receipt_date, facts, "Zugang der Kündigung")
        if base is not None:
            due = next_working_day(base + timedelta(weeks=3))
            out.append(Deadline(
                "kschg_claim", due,
                "Kündigungsschutzklage innerhalb von drei Wochen nach Zugang der schriftlichen Kündigung "
                f"(§ 4 Satz 1 KSchG); sonst gilt die Kündigung als wirksam (§ 7 KSchG). {note}." + _NOTE_REGIONAL,
                src.evidence if src else "", src.page if src else 1, confirm,
            ))
    if doc_type == "fine_notice":
        base, note, confirm, src = _base(receipt_date, facts, "Zustellung des Bußgeldbescheids")
        if base is not None:
            due = next_working_day(base + timedelta(weeks=2))
            out.append(Deadline(
                "owig_objection", due,
                "Einspruch gegen den Bußgeldbescheid innerhalb von zwei Wochen nach Zustellung, schriftlich "
                f"oder zur Niederschrift bei der Verwaltungsbehörde (§ 67 Abs. 1 OWiG). {note}. Maßgeblich ist "
                "das Zustelldatum auf dem gelben Umschlag." + _NOTE_REGIONAL,
                src.evidence if src else "", src.page if src else 1, True if receipt_date is None else confirm,
            ))
    if doc_type in ("court_letter", "fine_notice", "insurance_letter", "other", "invoice"):
        out.extend(_stated(doc_type, pages, facts, receipt_date, out))
    return out


def _stated(
    doc_type: str, pages: list[PageText], facts: list[Fact], receipt_date: date | None, known: list[Deadline]
) -> list[Deadline]:
    out: list[Deadline] = []
    for page in pages:
        text = page.text
        for start, end, d in iter_dates(text):
            line_start = text.rfind("\n", 0, start) + 1
            before = " ".join(text[max(line_start - 40, 0):start].split())
            if UNTIL.search(before):
                out.append(Deadline("stated", d, "Im Schreiben genannte Frist (festes Datum).",
                                    _evidence(text, start, end), page.page, False))
        for m in RELATIVE.finditer(text):
            raw = m.group(1).lower()
            amount = int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]
            unit = m.group(2)
            if doc_type == "fine_notice" and unit.lower().startswith("woche") and amount == 2:
                continue  # that is the § 67 OWiG objection period, already listed
            tail = m.group(3).lower()
            what = "Zustellung" if "zustell" in tail else "Zugang"
            base, note, confirm, _src = _base(receipt_date, facts, f"{what} des Schreibens")
            if base is None:
                continue
            due = next_working_day(add_period(base, amount, unit))
            out.append(Deadline(
                "stated", due,
                f"Im Schreiben genannte Frist: {amount} {unit} ab {what} (§§ 187, 188 BGB). {note}." + _NOTE_REGIONAL,
                _evidence(text, m.start(), m.end()), page.page, confirm,
            ))
    unique: dict[tuple[date, str], Deadline] = {}
    for d in out:
        if not any(k.due_date == d.due_date for k in known):
            unique.setdefault((d.due_date, d.kind), d)
    return list(unique.values())
