"""Deterministic case-data extractors: every value comes with page, quoted evidence and confidence.

Regular expressions rather than dateparser: they are ~100x faster, never guess ("next Friday"),
and each pattern is anchored on German letter conventions. OCR confusions (O/0, I/l/1) are
repaired only inside the structures where they are unambiguous (file numbers, IBANs).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from tools.documents.model import Fact, PageText

MONTHS = {
    "januar": 1, "jan": 1, "jänner": 1, "februar": 2, "feb": 2, "märz": 3, "maerz": 3, "marz": 3, "mär": 3, "mrz": 3,
    "april": 4, "apr": 4, "mai": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10, "november": 11, "nov": 11,
    "dezember": 12, "dez": 12,
}
_MONTH_ALT = "|".join(sorted(MONTHS, key=len, reverse=True))

DATE_NUMERIC = re.compile(r"(?<![\d.,/])(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4}|\d{2})(?!\d|\.\d|,\d)")
DATE_WORDS = re.compile(rf"(?<!\d)(\d{{1,2}})\.?\s*({_MONTH_ALT})\.?\s+(\d{{4}})(?!\d)", re.IGNORECASE)
DATE_ISO = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?![\d-])")


def make_date(day: int, month: int, year: int) -> date | None:
    if year < 100:
        year += 2000 if year < 70 else 1900
    if not 1900 <= year <= 2100:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_date(text: str) -> date | None:
    """The first German/ISO date in ``text`` (used to validate LLM proposals too)."""
    found = list(iter_dates(text))
    return found[0][2] if found else None


def iter_dates(text: str) -> Iterable[tuple[int, int, date]]:
    """(start, end, date) for every date in the text, in order."""
    hits: list[tuple[int, int, date]] = []
    for m in DATE_NUMERIC.finditer(text):
        d = make_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if d:
            hits.append((m.start(), m.end(), d))
    for m in DATE_WORDS.finditer(text):
        d = make_date(int(m.group(1)), MONTHS[m.group(2).lower()], int(m.group(3)))
        if d:
            hits.append((m.start(), m.end(), d))
    for m in DATE_ISO.finditer(text):
        d = make_date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        if d:
            hits.append((m.start(), m.end(), d))
    return sorted(hits)


# -- court file numbers ---------------------------------------------------------------------------

_GENERAL_REGISTERS = (  # noqa: SIM905 - one register family per line reads better
    "O OH S T U C H HK F UF WF XV M K L A B N IN IK "  # civil, family, administrative, insolvency
    "Ca Ga BV BVGa Sa Ta TaBV AZR AZN ABR "  # labour courts
    "Js UJs Ds Cs Ls KLs Ns Ss Qs OWi Gs VRs StR "  # criminal
    "ZR ZB BvR BvL BvF"  # federal courts
).split()
_SOCIAL_REGISTERS = "AS SO KR R U AL KA P SB EG VH BA KG AY VS VE LW RS V VG".split()  # noqa: SIM905
_NUM = "[0-9OoIl]"
_REG = "|".join(sorted(_GENERAL_REGISTERS, key=len, reverse=True))
FILE_GENERAL = re.compile(
    rf"(?<![\w/.])({_NUM}{{1,4}}|[IVX]{{1,6}})[ \t]{{1,3}}({_REG}|0)[ \t]{{1,3}}({_NUM}{{1,6}})[ \t]?/[ \t]?"
    rf"(\d{{4}}|{_NUM}{{2}})(?![\w/])"
)
FILE_SOCIAL = re.compile(
    rf"(?<![\w/])([SL])[ \t]{{1,3}}({_NUM}{{1,3}})[ \t]{{1,3}}({'|'.join(_SOCIAL_REGISTERS)})"
    rf"([ \t]{{1,3}}ER)?[ \t]{{1,3}}({_NUM}{{1,6}})[ \t]?/[ \t]?(\d{{4}}|{_NUM}{{2}})([ \t]{{1,3}}ER)?(?![\w/])"
)
_FILE_LABEL = re.compile(r"(Aktenzeichen|Az\.?|Geschäftszeichen|Geschäfts-Nr|Gesch\.-Nr|Akt\.?\s?Z)", re.I)
_OCR_DIGITS = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1"})


def _digits(s: str) -> tuple[str, bool]:
    fixed = s.translate(_OCR_DIGITS)
    return fixed, fixed != s


def normalise_file_number(raw: str) -> str | None:
    """Canonical form of a court file number in ``raw`` (e.g. "12 0 345/25" → "12 O 345/25"), or None."""
    found = _file_numbers(raw)
    return found[0][2] if found else None


def _file_numbers(text: str) -> list[tuple[int, int, str, bool]]:
    """(start, end, canonical value, repaired) for each court file number."""
    out: list[tuple[int, int, str, bool]] = []
    taken: list[tuple[int, int]] = []
    for m in FILE_SOCIAL.finditer(text):
        chamber, f1 = _digits(m.group(2))
        number, f2 = _digits(m.group(5))
        year, f3 = _digits(m.group(6))
        if not any(c.isdigit() for c in m.group(2) + m.group(5)):
            continue
        er = " ER" if (m.group(4) or m.group(7)) else ""
        out.append((m.start(), m.end(), f"{m.group(1)} {int(chamber)} {m.group(3)}{er} {int(number)}/{year}",
                    f1 or f2 or f3))
        taken.append((m.start(), m.end()))
    for m in FILE_GENERAL.finditer(text):
        if any(s <= m.start() < e for s, e in taken):
            continue
        raw_chamber, reg = m.group(1), m.group(2)
        roman = bool(re.fullmatch(r"[IVX]+", raw_chamber)) and not re.search(r"\d", raw_chamber)
        if not roman and not re.search(r"\d", raw_chamber):
            continue
        if not re.search(r"\d", m.group(3)):
            continue
        chamber, f1 = (raw_chamber, False) if roman else _digits(raw_chamber)
        number, f2 = _digits(m.group(3))
        year, f3 = _digits(m.group(4))
        f4 = reg == "0"
        reg = "O" if f4 else reg
        value = f"{chamber if roman else int(chamber)} {reg} {int(number)}/{year}"
        out.append((m.start(), m.end(), value, f1 or f2 or f3 or f4))
    return sorted(out)


# -- other patterns -------------------------------------------------------------------------------

IBAN_CANDIDATE = re.compile(r"\b([A-Z]{2}[0-9O]{2}(?:[ ]?[A-Z0-9]){11,30})")
EMAIL = re.compile(
    r"(?<![\w.+-])([A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24})\b"
)
PHONE = re.compile(
    r"\b(Tel(?:efon)?|Mobil(?:funk)?|Handy|Fon|Fax|Telefax)\b\.?(?:[ \t]*\([^)\n]{0,20}\))?[ \t]*[:.]?[ \t]*"
    r"(\+?\(?\d[\d \t/()\-]{4,22}\d)",
    re.IGNORECASE,
)
AMOUNT_AFTER = re.compile(
    r"(?<![\d.,])(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d{2}|-{1,2}))?[ \t]?(?:€|EUR\b|Euro\b)"
)
AMOUNT_BEFORE = re.compile(r"(?:€|\bEUR)[ \t]?(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d{2}|-{1,2}))?(?![\d.,]\d)")
_STREET_WORD = r"[A-ZÄÖÜ][A-Za-zÄÖÜäöüß.\-]*(?:[ \-][A-Za-zÄÖÜäöüß.\-]+){0,4}"
_HOUSE = r"\d{1,4}[ \t]?[a-zA-Z]?(?:[ \t]?[-–][ \t]?\d{1,4}[a-z]?)?"
_STREET_SUFFIX = (
    r"(?:straße|strasse|str\.|weg|platz|allee|gasse|ring|damm|ufer|chaussee|markt|steig|pfad|"
    r"Straße|Strasse|Str\.|Weg|Platz|Allee|Gasse|Ring|Damm|Ufer|Chaussee|Markt)"
)
ADDRESS_LINES = re.compile(
    rf"^[ \t]*({_STREET_WORD}[ \t]+{_HOUSE})[ \t]*\n[ \t]*(\d{{5}})[ \t]+([A-ZÄÖÜ][^\n,·|•]{{1,40}}?)[ \t]*$",
    re.MULTILINE,
)
ADDRESS_INLINE = re.compile(
    rf"([A-ZÄÖÜ][A-Za-zÄÖÜäöüß\-]*{_STREET_SUFFIX}[ \t]+{_HOUSE}|[A-ZÄÖÜ][A-Za-zÄÖÜäöüß\-]*[ \t]"
    rf"[A-ZÄÖÜ]?[A-Za-zÄÖÜäöüß\-]*{_STREET_SUFFIX}[ \t]+{_HOUSE})"
    rf"(?:[ \t]*[,·|•\-–+*][ \t]*|[ \t]{{1,3}})(\d{{5}})[ \t]+"
    r"([A-ZÄÖÜ][A-Za-zÄÖÜäöüß.\-]+(?:[ \t](?:am|an der|in der|im|ob der|bei)[ \t][A-ZÄÖÜ][A-Za-zÄÖÜäöüß.\-]+)?)"
)
POLICY = re.compile(
    r"(Versicherungsschein(?:[ \t-]?(?:Nr\.?|nummer))?|Versicherungsnummer|Vers\.?-Nr\.?|Polic(?:en|e)"
    r"[ \t-]?(?:Nr\.?|nummer))[ \t]*[:.]?[ \t]*([A-Z0-9][A-Z0-9./\-]*(?:[ \t][A-Z0-9][A-Z0-9./\-]*){0,3})",
)
CLAIM = re.compile(
    r"(Schadens?(?:[ \t-]?(?:Nr\.?|nummer)|aktenzeichen)|Schaden-?Nr\.?)[ \t]*[:.]?[ \t]*"
    r"([A-Z0-9][A-Z0-9./\-]*(?:[ \t][A-Z0-9][A-Z0-9./\-]*){0,3})",
)
PLATE = re.compile(r"(?<![\w-])([A-ZÄÖÜ]{1,3})([ \t]?-[ \t]?|[ \t])([A-Z]{1,2})[ \t]?(\d{1,4})([EH])?(?![\w/-])")
_PLATE_LABEL = re.compile(r"(Kennzeichen|Kfz\.?-?Kennz|amtl\.|Fahrzeug|Pkw|Kfz)", re.IGNORECASE)
REFERENCE = re.compile(
    r"\b(Aktenzeichen|Az\.|Geschäftszeichen|Kassenzeichen)[ \t]*[:.]?[ \t]*([A-Z0-9][A-Za-z0-9./\-]*\d[A-Za-z0-9./\-]*)"
)
LETTER_DATE_LINE = re.compile(
    r"^[ \t]*(?:(?:[A-ZÄÖÜ][A-Za-zÄÖÜäöüß.\- ]{1,40}),[ \t]*(?:den[ \t]+)?|Datum[ \t]*:[ \t]*)(.+?)[ \t]*$",
    re.MULTILINE,
)


def _evidence(text: str, start: int, end: int, width: int = 60) -> str:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    if line_end < 0:
        line_end = len(text)
    lo, hi = max(line_start, start - width), min(line_end, end + width)
    return " ".join(text[lo:hi].split())


def _label_before(text: str, start: int, pattern: re.Pattern[str], reach: int = 40) -> bool:
    line_start = max(text.rfind("\n", 0, start) + 1, start - reach)
    return bool(pattern.search(text[line_start:start]))


def _iban(raw: str) -> str | None:
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    compact = raw.replace(" ", "").upper()
    if compact[:2] == "DE":
        compact = compact[:2] + compact[2:].translate(_OCR_DIGITS)
    for length in range(len(compact), 14, -1):
        try:
            return str(IBAN(compact[:length]).compact)
        except (SchwiftyException, ValueError):
            continue
    return None


def _phone(raw: str) -> str | None:
    import phonenumbers

    cleaned = re.sub(r"[ \t/()\-]", "", raw)
    try:
        number = phonenumbers.parse(cleaned, "DE")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _amount(euros: str, cents: str | None) -> str:
    whole = int(euros.replace(".", ""))
    c = int(cents) if cents and cents.isdigit() else 0
    return f"{whole}.{c:02d}"


def _valid_id(value: str) -> bool:
    return sum(ch.isdigit() for ch in value) >= 3 and len(value) >= 5


def _page_facts(page: PageText) -> list[tuple[int, Fact]]:
    text, n = page.text, page.page
    ocr = page.method == "ocr"
    out: list[tuple[int, Fact]] = []

    def add(pos: int, name: str, value: str, start: int, end: int, conf: float) -> None:
        if ocr:
            conf -= 0.05
        out.append((pos, Fact(name, value, n, _evidence(text, start, end), round(max(conf, 0.05), 2), "rules")))

    for start, end, d in iter_dates(text):
        add(start, "date", d.isoformat(), start, end, 0.95)
    for m in LETTER_DATE_LINE.finditer(text):
        dates = list(iter_dates(m.group(1)))
        # only a line that is nothing but "<place>, den <date>" or "Datum: <date>"
        if len(dates) == 1 and dates[0][1] - dates[0][0] >= len(m.group(1).strip()) - 1:
            add(m.start(1), "letter_date", dates[0][2].isoformat(), m.start(1), m.end(1), 0.85)
            break
    file_spans: list[tuple[int, int]] = []
    for start, end, value, repaired in _file_numbers(text):
        labelled = _label_before(text, start, _FILE_LABEL)
        add(start, "court_file_number", value, start, end, (0.95 if labelled else 0.85) - (0.1 if repaired else 0))
        file_spans.append((start, end))
    for m in REFERENCE.finditer(text):
        if any(s <= m.start(2) < e for s, e in file_spans) or _file_numbers(text[m.start(2):m.end(2) + 12]):
            continue
        add(m.start(2), "reference", m.group(2).rstrip(".-/"), m.start(), m.end(), 0.8)
    for m in IBAN_CANDIDATE.finditer(text):
        iban = _iban(m.group(1))
        if iban:
            add(m.start(), "iban", iban, m.start(), m.end(), 0.99)
    for m in EMAIL.finditer(text):
        add(m.start(), "email", m.group(1).lower(), m.start(), m.end(), 0.95)
    for m in PHONE.finditer(text):
        number = _phone(m.group(2))
        if number:
            name = "fax" if "fax" in m.group(1).lower() else "phone"
            add(m.start(2), name, number, m.start(), m.end(), 0.9)
    seen_amounts: set[int] = set()
    for pattern in (AMOUNT_AFTER, AMOUNT_BEFORE):
        for m in pattern.finditer(text):
            if any(abs(m.start() - s) < 4 for s in seen_amounts):
                continue
            seen_amounts.add(m.start())
            add(m.start(), "amount_eur", _amount(m.group(1), m.group(2)), m.start(), m.end(), 0.9)
    address_spans: list[int] = []
    for pattern, conf in ((ADDRESS_LINES, 0.85), (ADDRESS_INLINE, 0.8)):
        for m in pattern.finditer(text):
            if any(abs(m.start(1) - s) < 3 for s in address_spans):
                continue
            street = " ".join(m.group(1).split())
            city = " ".join(m.group(3).split()).rstrip(".")
            address_spans.append(m.start(1))
            add(m.start(1), "address", f"{street}, {m.group(2)} {city}", m.start(), m.end(), conf)
    for pattern, name in ((POLICY, "insurance_policy_number"), (CLAIM, "insurance_claim_number")):
        for m in pattern.finditer(text):
            value = m.group(2).rstrip(".-/ ")
            if _valid_id(value):
                add(m.start(2), name, value, m.start(), m.end(), 0.9)
    for m in PLATE.finditer(text):
        labelled = _label_before(text, m.start(), _PLATE_LABEL, reach=60)
        if not labelled and "-" not in m.group(2):
            continue
        if any(s <= m.start() < e for s, e in file_spans):
            continue
        value = f"{m.group(1)}-{m.group(3)} {m.group(4)}{m.group(5) or ''}"
        add(m.start(), "vehicle_plate", value, m.start(), m.end(), 0.9 if labelled else 0.7)
    return out


def extract_facts(pages: list[PageText], today: date | None = None) -> list[Fact]:
    """All deterministic facts of all pages, de-duplicated per (name, value), first occurrence kept.

    ``today`` bounds dates: a date more than 20 years after it is an OCR misreading, not a fact.
    """
    facts: list[Fact] = []
    seen: set[tuple[str, str]] = set()
    for page in pages:
        for _pos, fact in sorted(_page_facts(page), key=lambda item: item[0]):
            if fact.name in ("date", "letter_date") and today is not None:
                year = int(fact.value[:4])
                if year > today.year + 20:
                    continue
            key = (fact.name, fact.value)
            if key in seen:
                continue
            seen.add(key)
            facts.append(fact)
    return facts
