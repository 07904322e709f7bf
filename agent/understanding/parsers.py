"""Deterministic parsers for typed client answers (German and English).

Pure functions, no I/O. Fast regexes handle the common shapes; dateparser is imported lazily and
only used as a cached fallback for free-form relative dates, because its first call is slow.
Input is untrusted: control characters are stripped, the length looked at is capped, and
`parse_value` never raises for any string.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from rapidfuzz import fuzz
from schwifty import IBAN
from schwifty.exceptions import InvalidBBANChecksum, InvalidChecksumDigits, SchwiftyException

from agent.i18n import normalise_lang
from agent.understanding.choice_meaning import match_meaning, match_meanings

__all__ = [
    "FIELD_TYPES",
    "MAX_INPUT_CHARS",
    "MAX_LONG_TEXT_CHARS",
    "MAX_TEXT_CHARS",
    "Option",
    "Parsed",
    "parse_value",
    "warm_up",
]


@dataclass(frozen=True)
class Option:
    """A choice option; `labels` maps a language code to the label shown in that language."""

    key: str
    labels: dict[str, str]
    aliases: tuple[str, ...] = ()  # other words for this option (questionnaire YAML), any language


@dataclass(frozen=True)
class Parsed:
    ok: bool
    value: Any = None
    error: str | None = None
    confidence: float = 1.0
    params: dict[str, Any] = field(default_factory=dict)


FIELD_TYPES = (
    "text",
    "long_text",
    "number",
    "money",
    "date",
    "boolean",
    "choice",
    "multi_choice",
    "email",
    "phone",
    "iban",
    "address",
    "file",
)

# Typed values are short; anything past this is never part of a valid answer.
MAX_INPUT_CHARS = 2000
MAX_TEXT_CHARS = 2000
MAX_LONG_TEXT_CHARS = 20000


def _fail(code: str, **params: Any) -> Parsed:
    return Parsed(ok=False, error=code, params=params)


def _ok(value: Any, confidence: float = 1.0) -> Parsed:
    return Parsed(ok=True, value=value, confidence=confidence)


# --------------------------------------------------------------------------- cleaning

_SPACE_RE = re.compile(r"[^\S\n]+")


def _clean(text: Any, limit: int | None = MAX_INPUT_CHARS, keep_newlines: bool = False) -> str:
    """Drop control/format/surrogate characters, unify spaces, NFC-normalise, strip."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if limit is not None:
        text = text[: limit * 2]  # leave room for characters we drop below
    text = text.replace("\r\n", "\n")
    out = []
    for ch in text:
        if ch in "\n\r":
            out.append("\n" if keep_newlines else " ")
            continue
        if ch == "\t":
            out.append(" ")
            continue
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Cs", "Co", "Cn"):
            continue
        out.append(" " if cat in ("Zs", "Zl", "Zp") else ch)
    cleaned = unicodedata.normalize("NFC", "".join(out))
    if limit is not None:
        cleaned = cleaned[:limit]
    cleaned = _SPACE_RE.sub(" ", cleaned)
    if keep_newlines:
        cleaned = "\n".join(line.strip() for line in cleaned.split("\n"))
        cleaned = re.sub(r"\n{3,}", "\n\n", cleaned)
    return cleaned.strip()


def _fold(text: str) -> str:
    """Case- and accent-insensitive comparison key (ä -> ae, ß -> ss, é -> e)."""
    text = text.casefold()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(a, b)
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch))


_WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")


def _words(text: str) -> list[str]:
    return _WORD_RE.findall(text.casefold().replace("’", "'"))


# --------------------------------------------------------------------------- numbers

_NUM_TOKEN_RE = re.compile(
    r"(?<![\w.,])"
    r"(?P<sign>[-+−–]\s?)?"
    r"(?P<num>\d{1,3}(?:(?:[.,'’]|\s)\d{3})+(?:[.,]\d+)?(?![\d])"
    r"|\d+(?:[.,]\d+)?|[.,]\d+)"
    r"(?P<dash>,-{1,2}|\.-)?"
    r"(?:\s?(?P<mult>k|tsd\.?|tausend|thousand|mio\.?|million(?:en|s)?|mrd\.?|milliarden?|billion|bn)\b)?",
    re.IGNORECASE,
)

_MULTIPLIERS = {
    "k": 1000,
    "tsd": 1000,
    "tausend": 1000,
    "thousand": 1000,
    "mio": 1_000_000,
    "million": 1_000_000,
    "millionen": 1_000_000,
    "millions": 1_000_000,
    "mrd": 1_000_000_000,
    "milliarde": 1_000_000_000,
    "milliarden": 1_000_000_000,
    "billion": 1_000_000_000,
    "bn": 1_000_000_000,
}

_NUMBER_WORDS = {
    "null": 0,
    "zero": 0,
    "kein": 0,
    "keine": 0,
    "keiner": 0,
    "none": 0,
    "eins": 1,
    "ein": 1,
    "eine": 1,
    "einen": 1,
    "one": 1,
    "zwei": 2,
    "two": 2,
    "drei": 3,
    "three": 3,
    "vier": 4,
    "four": 4,
    "fünf": 5,
    "fuenf": 5,
    "five": 5,
    "sechs": 6,
    "six": 6,
    "sieben": 7,
    "seven": 7,
    "acht": 8,
    "eight": 8,
    "neun": 9,
    "nine": 9,
    "zehn": 10,
    "ten": 10,
    "elf": 11,
    "eleven": 11,
    "zwölf": 12,
    "zwoelf": 12,
    "twelve": 12,
}

_FILLER_WORDS = frozenset(
    [
        "ca",
        "circa",
        "etwa",
        "ungefähr",
        "ungefaehr",
        "rund",
        "so",
        "um",
        "die",
        "knapp",
        "fast",
        "über",
        "ueber",
        "mehr",
        "als",
        "weniger",
        "unter",
        "approx",
        "approximately",
        "about",
        "around",
        "roughly",
        "nearly",
        "almost",
        "some",
        "over",
        "under",
        "more",
        "less",
        "than",
        "ich",
        "habe",
        "hab",
        "es",
        "sind",
        "ist",
        "i",
        "have",
        "it",
        "is",
        "we",
        "are",
        "about",
    ]
)


def _to_decimal(raw: str, lang: str, money: bool = False) -> Decimal | None:
    """Interpret one numeric token; German uses ',' as decimal mark, English '.'."""
    s = re.sub(r"[\s'’]", "", raw)
    if not s:
        return None
    has_dot, has_comma = "." in s, "," in s
    if has_dot and has_comma:
        dec = "." if s.rfind(".") > s.rfind(",") else ","
        thou = "," if dec == "." else "."
        if s.count(dec) != 1:
            return None
        int_part, frac = s.split(dec)
        int_part = int_part.replace(thou, "")
        s = f"{int_part}.{frac}"
    elif has_dot or has_comma:
        sep = "." if has_dot else ","
        parts = s.split(sep)
        if len(parts) > 2:
            if not all(len(p) == 3 for p in parts[1:]) or not (1 <= len(parts[0]) <= 3):
                return None
            s = "".join(parts)
        else:
            head, tail = parts
            thousands_shape = len(tail) == 3 and 1 <= len(head) <= 3 and head != "0"
            if thousands_shape:
                # "1.234": German thousands, English decimal; money never has 3 decimals.
                is_thousands = money or (sep == "." and lang == "de") or (sep == "," and lang != "de")
            else:
                is_thousands = False
            s = head + tail if is_thousands else f"{head or '0'}.{tail}"
    try:
        return Decimal(s)
    except (InvalidOperation, ValueError):
        return None


@dataclass
class _NumHit:
    value: Decimal
    start: int
    end: int


def _find_numbers(text: str, lang: str, money: bool = False) -> list[_NumHit] | None:
    hits: list[_NumHit] = []
    for m in _NUM_TOKEN_RE.finditer(text):
        num = m.group("num")
        if re.match(r"[.,]\d", text[m.end("num") : m.end("num") + 2]):
            return None  # "1.2.3": not a number shape we know
        value = _to_decimal(num, lang, money)
        if value is None:
            return None
        if m.group("sign") and m.group("sign").strip() in "-−–":
            value = -value
        mult = m.group("mult")
        if mult:
            value *= _MULTIPLIERS[mult.casefold().rstrip(".")]
        hits.append(_NumHit(value, m.start(), m.end()))
    return hits


def _plain_number(value: Decimal) -> int | float:
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def _parse_number(text: str, lang: str) -> Parsed:
    hits = _find_numbers(text, lang)
    if hits is None:
        return _fail("number.invalid")
    if not hits:
        words = _words(text)
        nums = [_NUMBER_WORDS[w] for w in words if w in _NUMBER_WORDS]
        if len(nums) == 1 and len(words) <= 4:
            return _ok(nums[0], confidence=0.9)
        return _fail("number.invalid")
    if len(hits) > 1:
        return _fail("number.invalid")
    hit = hits[0]
    rest = [w for w in _words(text[: hit.start] + " " + text[hit.end :]) if w not in _FILLER_WORDS]
    confidence = 1.0 if len(rest) <= 3 else 0.8
    return _ok(_plain_number(hit.value), confidence)


# --------------------------------------------------------------------------- money

_CURRENCY_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"€|(?<![a-z])(?:eur|euros?)(?![a-z])", "EUR"),
    (r"us\$|\$|(?<![a-z])(?:usd|dollars?)(?![a-z])", "USD"),
    (r"£|(?<![a-z])(?:gbp|pfund|pounds?)(?![a-z])", "GBP"),
    (r"(?<![a-z])(?:chf|sfr|franken|francs?)(?![a-z])\.?", "CHF"),
)
_CURRENCY_RES = [(re.compile(p, re.IGNORECASE), code) for p, code in _CURRENCY_PATTERNS]
_CENT = Decimal("0.01")
_CENT_RE = re.compile(r"(?<![a-z])(?:cents?|ct)(?![a-z])\.?", re.IGNORECASE)
_MAX_MONEY = Decimal("1e15")


def _parse_money(text: str, lang: str) -> Parsed:
    currency = None
    stripped = text
    for rx, code in _CURRENCY_RES:
        if rx.search(stripped):
            if currency is not None and currency != code:
                return _fail("money.invalid")
            currency = code
            stripped = rx.sub(" ", stripped)
    in_cents = False
    if currency in (None, "EUR", "USD") and _CENT_RE.search(stripped):
        in_cents = True  # "50 Cent"
        stripped = _CENT_RE.sub(" ", stripped)
    hits = _find_numbers(stripped, lang, money=True)
    if not hits or len(hits) != 1:
        return _fail("money.invalid")
    hit = hits[0]
    amount = hit.value / 100 if in_cents else hit.value
    if abs(amount) >= _MAX_MONEY:
        return _fail("money.invalid")
    rest = [w for w in _words(stripped[: hit.start] + " " + stripped[hit.end :]) if w not in _FILLER_WORDS]
    confidence = 1.0 if len(rest) <= 3 else 0.8
    quantized = amount.quantize(_CENT, rounding=ROUND_HALF_UP)
    if quantized != amount:
        confidence = min(confidence, 0.9)
    if quantized == 0:
        quantized = abs(quantized)  # no "-0.00"
    return _ok({"amount": f"{quantized:.2f}", "currency": currency or "EUR"}, confidence)


# --------------------------------------------------------------------------- dates

_MONTHS: dict[str, int] = {}
for _num, _names in enumerate(
    (
        "jan januar jänner jaenner january",
        "feb febr februar feber february",
        "mär mar märz maerz marz march",
        "apr april",
        "mai may",
        "jun juni june",
        "jul juli july",
        "aug august",
        "sep sept september",
        "okt oct oktober october",
        "nov november",
        "dez dec dezember december",
    ),
    start=1,
):
    for _n in _names.split():
        _MONTHS[_n] = _num

_WEEKDAYS: dict[str, int] = {}
for _num, _names in enumerate(
    (
        "montag mo monday mon",
        "dienstag di tuesday tue tues",
        "mittwoch mi wednesday wed",
        "donnerstag do thursday thu thurs",
        "freitag fr friday fri",
        "samstag sonnabend sa saturday sat",
        "sonntag so sunday sun",
    )
):
    for _n in _names.split():
        _WEEKDAYS[_n] = _num

_MONTH_ALT = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
_WEEKDAY_LONG = (
    "montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonnabend|sonntag|"
    "monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun|"
    "mo|di|mi|do|fr|sa|so"
)

_ISO_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_NUMERIC_RE = re.compile(r"^(\d{1,2})\s?([./-])\s?(\d{1,2})(?:\s?\2\s?(\d{4}|\d{2})?)?\.?$")
_DAY_MONTH_RE = re.compile(
    rf"^(\d{{1,2}})(?:\.|st|nd|rd|th)?\s*(?:of\s+)?({_MONTH_ALT})\.?,?(?:\s*(\d{{4}}|'?\d{{2}}))?$"
)
_MONTH_DAY_RE = re.compile(
    rf"^({_MONTH_ALT})\.?\s+(?:the\s+)?(\d{{1,2}})(?:st|nd|rd|th|\.)?(?:(?:,\s*|\s+)(\d{{4}}|'?\d{{2}}))?$"
)
_PREFIX_RE = re.compile(
    rf"^(?:(?:am|den|dem|seit|ab|bis|zum|vom|on|the|since|from|until|der|die|das)\s+)*"
    rf"(?:(?:{_WEEKDAY_LONG})\.?,?\s+(?:the\s+|den\s+)?)?",
)
_TIME_SUFFIX_RE = re.compile(r",?\s+(?:um|gegen|at|around|ca\.?)?\s*\d{1,2}(?:[:.]\d{2})?\s*(?:uhr|h|am|pm|o'clock)$")
_AGO_DE_RE = re.compile(r"^vor\s+(\d+|\w+)\s+(tag|tagen|woche|wochen|monat|monaten|jahr|jahren)$")
_AGO_EN_RE = re.compile(r"^(\d+|\w+)\s+(day|days|week|weeks|month|months|year|years)\s+ago$")
_LAST_WEEKDAY_RE = re.compile(
    rf"^(?:(?:am|on)\s+)?(?:(?:letzten|letzter|vergangenen|vergangener|last|past)\s+)?({_WEEKDAY_LONG})$"
)

_RELATIVE_DAYS = {
    "heute": 0,
    "today": 0,
    "gestern": -1,
    "yesterday": -1,
    "vorgestern": -2,
    "day before yesterday": -2,
    "the day before yesterday": -2,
    "morgen": 1,
    "tomorrow": 1,
    "übermorgen": 2,
    "uebermorgen": 2,
    "day after tomorrow": 2,
    "the day after tomorrow": 2,
}


def _year(raw: str | None, today: date) -> int | None:
    if raw is None:
        return None
    raw = raw.lstrip("'")
    year = int(raw)
    if len(raw) == 2:
        pivot = (today.year % 100) + 1
        year += 2000 if year <= pivot else 1900
    return year


def _make_date(year: int | None, month: int, day: int, today: date) -> date | None:
    try:
        if year is None:
            candidate = date(today.year, month, day)
            # No year given: the most recent such date (client answers are mostly about the past).
            if candidate > today:
                candidate = date(today.year - 1, month, day)
            return candidate
        if not 1900 <= year <= 2200:
            return None
        return date(year, month, day)
    except ValueError:
        return None


def _shift_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    return date(year, month, 28)


_AGO_WORDS = {"einem": 1, "einer": 1, "a": 1, "an": 1, "paar": 2, "couple": 2}


def _ago(count_raw: str, unit: str, today: date) -> date | None:
    count = int(count_raw) if count_raw.isdigit() else _AGO_WORDS.get(count_raw, _NUMBER_WORDS.get(count_raw))
    if count is None or count > 1000:
        return None
    unit = unit.rstrip("sn").rstrip("e") if unit.startswith(("tag", "woch")) else unit
    if unit.startswith(("tag", "day")):
        return today - timedelta(days=count)
    if unit.startswith(("woch", "week")):
        return today - timedelta(weeks=count)
    if unit.startswith(("monat", "month")):
        return _shift_months(today, -count)
    return _shift_months(today, -12 * count)


def _parse_date(text: str, lang: str, today: date) -> Parsed:
    if len(text) > 80:
        return _fail("date.invalid")
    s = text.casefold().strip(" .,!")
    s = re.sub(r"\s+", " ", s)
    if s in _RELATIVE_DAYS:
        return _ok((today + timedelta(days=_RELATIVE_DAYS[s])).isoformat())
    m = _ISO_RE.match(s)
    if m:
        d = _make_date(int(m.group(1)), int(m.group(2)), int(m.group(3)), today)
        return _ok(d.isoformat()) if d else _fail("date.invalid")
    m = _AGO_DE_RE.match(s) or _AGO_EN_RE.match(s)
    if m:
        d = _ago(m.group(1), m.group(2), today)
        if d:
            return _ok(d.isoformat())
    m = _LAST_WEEKDAY_RE.match(s)
    if m:
        back = (today.weekday() - _WEEKDAYS[m.group(1)]) % 7 or 7
        return _ok((today - timedelta(days=back)).isoformat(), confidence=0.9)

    core = _PREFIX_RE.sub("", s, count=1).strip(" .,")
    core = _TIME_SUFFIX_RE.sub("", core).strip(" .,")
    m = _NUMERIC_RE.match(core)
    if m:
        a, sep, b, y = int(m.group(1)), m.group(2), int(m.group(3)), m.group(4)
        if sep == "-" and y is None:
            return _fail("date.invalid")
        day, month = a, b
        if lang != "de" and sep == "/":
            if a > 12 >= b:
                day, month = a, b
            elif b > 12 >= a:
                day, month = b, a
            elif a != b:
                return _fail("date.ambiguous")
        d = _make_date(_year(y, today), month, day, today)
        if d is None:
            return _fail("date.invalid")
        return _ok(d.isoformat(), confidence=1.0 if y else 0.9)
    m = _DAY_MONTH_RE.match(core)
    if m:
        d = _make_date(_year(m.group(3), today), _MONTHS[m.group(2)], int(m.group(1)), today)
        if d is None:
            return _fail("date.invalid")
        return _ok(d.isoformat(), confidence=1.0 if m.group(3) else 0.9)
    m = _MONTH_DAY_RE.match(core)
    if m:
        d = _make_date(_year(m.group(3), today), _MONTHS[m.group(1)], int(m.group(2)), today)
        if d is None:
            return _fail("date.invalid")
        return _ok(d.isoformat(), confidence=1.0 if m.group(3) else 0.9)
    if re.fullmatch(rf"({_MONTH_ALT})\.?\s*(\d{{4}})?", core) or re.fullmatch(r"\d{1,2}[./]\d{4}", core):
        return _fail("date.incomplete")
    # Free-form ("letzte Woche", "vor einem Monat", "two weeks ago"): the slow path, cached.
    if not re.search(r"[^\W\d_]{3,}", s):
        return _fail("date.invalid")
    iso = _dateparser_fallback(s, lang, today)
    if iso is None:
        return _fail("date.invalid")
    return _ok(iso, confidence=0.8)


@lru_cache(maxsize=1024)
def _dateparser_fallback(text: str, lang: str, today: date) -> str | None:
    import dateparser  # lazy: slow import, only needed for unusual phrasings

    settings = {
        "RELATIVE_BASE": datetime(today.year, today.month, today.day, 12, 0),
        "PREFER_DATES_FROM": "past",
        "REQUIRE_PARTS": ["day", "month", "year"],
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    if lang == "de":
        settings["DATE_ORDER"] = "DMY"
    languages = ["de", "en"] if lang == "de" else ["en", "de"]
    try:
        result = dateparser.parse(text, languages=languages, settings=settings)
    except Exception:  # dateparser raises assorted errors on odd input
        return None
    if result is None or not 1900 <= result.year <= 2200:
        return None
    return result.date().isoformat()


# --------------------------------------------------------------------------- boolean

_YES_PHRASES = (
    "ja",
    "jo",
    "joa",
    "jup",
    "jap",
    "japp",
    "jep",
    "jepp",
    "jawohl",
    "jaja",
    "jein?",
    "j",
    "klar",
    "genau",
    "stimmt",
    "korrekt",
    "richtig",
    "sicher",
    "natürlich",
    "natuerlich",
    "selbstverständlich",
    "selbstverstaendlich",
    "auf jeden fall",
    "trifft zu",
    "zutreffend",
    "einverstanden",
    "ok",
    "okay",
    "gerne",
    "gern",
    "absolut",
    "wahr",
    "habe ich",
    "hab ich",
    "bin ich",
    "ist so",
    "das stimmt",
    "das ist richtig",
    "ist richtig",
    "ist korrekt",
    "yes",
    "y",
    "yep",
    "yeah",
    "yup",
    "yea",
    "ya",
    "sure",
    "correct",
    "right",
    "true",
    "indeed",
    "of course",
    "absolutely",
    "affirmative",
    "certainly",
    "definitely",
    "agreed",
    "that's right",
    "thats right",
    "that is right",
    "that's correct",
    "that is correct",
    "i do",
    "i have",
    "i am",
    "i did",
    "we do",
    "we have",
    "it is",
    "it does",
    "passt",
    "passt so",
    "alles richtig",
    "alles korrekt",
    "alles gut",
    "perfekt",
    "bestätigt",
    "ich bestätige",
    "perfect",
    "looks good",
    "all good",
    "all correct",
    "fine",
    "alright",
    "confirmed",
    "i confirm",
)
_NO_PHRASES = (
    "nein",
    "nö",
    "noe",
    "ne",
    "nee",
    "nay",
    "nix",
    "nicht",
    "niemals",
    "nie",
    "keinesfalls",
    "auf keinen fall",
    "falsch",
    "stimmt nicht",
    "trifft nicht zu",
    "nicht richtig",
    "nicht korrekt",
    "nicht zutreffend",
    "habe ich nicht",
    "hab ich nicht",
    "bin ich nicht",
    "ist falsch",
    "ist nicht richtig",
    "das stimmt nicht",
    "kein",
    "keine",
    "keiner",
    "keines",
    "leider nicht",
    "no",
    "n",
    "nope",
    "nah",
    "never",
    "not really",
    "not true",
    "not correct",
    "incorrect",
    "wrong",
    "false",
    "negative",
    "no way",
    "of course not",
    "certainly not",
    "definitely not",
    "that's wrong",
    "thats wrong",
    "that is wrong",
    "that's not right",
    "i don't",
    "i dont",
    "i do not",
    "i haven't",
    "i havent",
    "i have not",
    "i'm not",
    "i am not",
    "i didn't",
    "we don't",
    "we do not",
    "we haven't",
    "it isn't",
    "it is not",
    "it doesn't",
    "none",
)
_YES_SET = {tuple(p.split()) for p in _YES_PHRASES if not p.endswith("?")}
_NO_SET = {tuple(p.split()) for p in _NO_PHRASES}
_PHRASE_MAX = max(len(p) for p in _YES_SET | _NO_SET)
# A bare opposite interjection later in the message makes the answer unclear ("ja ... nein").
_YES_INTERJECTIONS = frozenset({"ja", "yes", "jo", "yep", "yeah", "jup"})
_NO_INTERJECTIONS = frozenset({"nein", "no", "nope", "nö", "nee"})
_UNSURE = frozenset(
    [
        "vielleicht",
        "weiss",
        "weiß",
        "unsicher",
        "eventuell",
        "möglicherweise",
        "moeglicherweise",
        "maybe",
        "perhaps",
        "unsure",
        "possibly",
        "jein",
        "teils",
        "teilweise",
        "sometimes",
        "manchmal",
    ]
)


_BUT = frozenset({"aber", "but", "jedoch", "however", "außer", "ausser", "except", "allerdings", "nur"})
_YES_SPOILERS = _BUT | frozenset(
    {"nicht", "not", "kein", "keine", "keinen", "falsch", "wrong", "incorrect", "fehler", "mistake", "n't"}
)


def _leading_bool(words: list[str]) -> tuple[bool | None, int]:
    for n in range(min(_PHRASE_MAX, len(words)), 0, -1):
        head = tuple(words[:n])
        # The longest phrase wins, so "stimmt nicht" beats "stimmt".
        if head in _NO_SET:
            return False, n
        if head in _YES_SET:
            return True, n
    return None, 0


def _parse_boolean(text: str, lang: str) -> Parsed:
    words = _words(text)
    if not words:
        return _fail("boolean.unclear")
    if any(w in _UNSURE for w in words):
        return _fail("boolean.unclear")
    value, used = _leading_bool(words)
    if value is None:
        return _fail("boolean.unclear")
    rest = words[used:]
    opposite = _NO_INTERJECTIONS if value else _YES_INTERJECTIONS
    if any(w in opposite for w in rest):
        return _fail("boolean.unclear")
    # "ja, aber die PLZ ist falsch" must not count as a plain yes (it would confirm a wrong read-back).
    if value and any(w in _YES_SPOILERS for w in rest):
        return _fail("boolean.unclear")
    confidence = 1.0 if len(rest) <= 4 and not any(w in _BUT for w in rest) else 0.85
    return _ok(value, confidence)


# --------------------------------------------------------------------------- choice

_ORDINALS = {
    "erste": 1,
    "erster": 1,
    "erstes": 1,
    "ersten": 1,
    "erstens": 1,
    "first": 1,
    "zweite": 2,
    "zweiter": 2,
    "zweites": 2,
    "zweiten": 2,
    "zweitens": 2,
    "second": 2,
    "dritte": 3,
    "dritter": 3,
    "drittes": 3,
    "dritten": 3,
    "drittens": 3,
    "third": 3,
    "vierte": 4,
    "vierter": 4,
    "viertes": 4,
    "vierten": 4,
    "fourth": 4,
    "fünfte": 5,
    "fuenfte": 5,
    "fünfter": 5,
    "fünften": 5,
    "fifth": 5,
    "sechste": 6,
    "sechsten": 6,
    "sixth": 6,
    "siebte": 7,
    "siebten": 7,
    "seventh": 7,
    "achte": 8,
    "achten": 8,
    "eighth": 8,
    "neunte": 9,
    "neunten": 9,
    "ninth": 9,
    "zehnte": 10,
    "zehnten": 10,
    "tenth": 10,
    "letzte": -1,
    "letzten": -1,
    "letztes": -1,
    "last": -1,
}
_NOT_PICKS = frozenset({"ein", "eine", "einen"})
_NUMBER_PICK_RE = re.compile(
    r"^(?:(?:die|der|das|the)\s+)?(?:(?:nr|nummer|number|no|option|antwort|answer|punkt|#)\.?\s*)?"
    r"\(?(\d{1,3})(?:st|nd|rd|th)?\s*[.):]?(?:\s+(?:one|bitte|please))?$"
)
_ORDINAL_FILLER = frozenset(
    [
        "die",
        "der",
        "das",
        "den",
        "the",
        "one",
        "option",
        "antwort",
        "möglichkeit",
        "moeglichkeit",
        "variante",
        "bitte",
        "please",
        "nehme",
        "ich",
        "i",
        "take",
        "choose",
        "wähle",
        "waehle",
    ]
)


def _label(option: Option, lang: str) -> str:
    labels = option.labels or {}
    return labels.get(lang) or labels.get("de") or labels.get("en") or next(iter(labels.values()), option.key)


def _option_list(options: Sequence[Option], lang: str) -> str:
    return ", ".join(f"{i}. {_label(o, lang)}" for i, o in enumerate(options, start=1))


def _choice_candidates(option: Option) -> list[str]:
    cands = [_fold(option.key.replace("_", " "))]
    cands.extend(_fold(lbl) for lbl in (option.labels or {}).values() if isinstance(lbl, str))
    return [c for c in cands if c]


def _match_choice(text: str, options: Sequence[Option], lang: str) -> Parsed:
    if not options:
        return _fail("choice.unknown", options="")
    q = _fold(text).strip(" .!,;:\"'")
    q = re.sub(r"\s+", " ", q)
    if not q:
        return _fail("empty")
    q_bare = re.sub(r"[^\w ]", "", q).strip()
    # 0. The option key itself, as the LLM interpreter is asked to give it ("from_11_to_20").
    for opt in options:
        if text.strip() == opt.key:
            return _ok(opt.key)
    # 1. Exact key or label (before numbers: a label may itself be "2").
    for opt in options:
        for cand in _choice_candidates(opt):
            if q == cand or (q_bare and q_bare == re.sub(r"[^\w ]", "", cand).strip()):
                return _ok(opt.key)
    # 2. A number or an ordinal.
    m = _NUMBER_PICK_RE.match(q)
    index: int | None = None
    if m:
        index = int(m.group(1))
    else:
        words = _words(q)
        ords = [_ORDINALS[w] for w in words if w in _ORDINALS]
        if len(ords) == 1 and all(w in _ORDINALS or w in _ORDINAL_FILLER for w in words):
            index = ords[0] if ords[0] > 0 else len(options)
        elif len(words) == 1 and _NUMBER_WORDS.get(words[0], 0) > 0 and words[0] not in _NOT_PICKS:
            index = _NUMBER_WORDS[words[0]]
    if index is not None and 1 <= index <= len(options):
        return _ok(options[index - 1].key)
    # 2b. By meaning: "ca. 45" -> the range holding 45, "weiß nicht genau", aliases, synonyms.
    meant = match_meaning(text, options)
    if meant is not None:
        return _ok(meant[0], confidence=meant[1])
    if index is not None:
        return _fail("choice.unknown", options=_option_list(options, lang))
    # 3. Close spelling or an unambiguous part of a label.
    if len(q_bare) < 3:
        return _fail("choice.unknown", options=_option_list(options, lang))
    scores: list[tuple[float, int]] = []
    for i, opt in enumerate(options):
        best = 0.0
        for cand in _choice_candidates(opt):
            cand_bare = re.sub(r"[^\w ]", "", cand)
            score = fuzz.ratio(q_bare, cand_bare)
            if len(q_bare) >= 4:
                # A label word the client typed fully or nearly ("fristlos" for "Fristlose Kündigung").
                score = max(
                    score,
                    0.95 * fuzz.partial_ratio(q_bare, cand_bare)
                    if len(q_bare) <= len(cand_bare)
                    else 0.9 * fuzz.partial_ratio(cand_bare, q_bare),
                )
                score = max(score, 0.92 * fuzz.token_set_ratio(q_bare, cand_bare))
            best = max(best, score)
        scores.append((best, i))
    scores.sort(reverse=True)
    top, top_i = scores[0]
    second = scores[1][0] if len(scores) > 1 else 0.0
    if top < 80:
        return _fail("choice.unknown", options=_option_list(options, lang))
    if top - second < 8:
        close = [options[i] for s, i in scores if top - s < 8]
        return _fail("choice.ambiguous", options=_option_list(close, lang))
    return _ok(options[top_i].key, confidence=round(min(0.95, top / 100), 3))


_ALL_WORDS = frozenset({"alle", "alles", "all", "all of them", "alle davon", "beide", "both"})
_NONE_WORDS = frozenset({"keine", "keins", "keines", "nichts", "none", "nothing", "neither", "weder noch"})
_MULTI_SPLIT_RE = re.compile(r"\s*(?:[,;/\n+&]|\bund\b|\band\b|\bsowie\b|\bplus\b|\bauch\b)\s*", re.IGNORECASE)


def _parse_multi_choice(text: str, lang: str, options: Sequence[Option]) -> Parsed:
    whole = _match_choice(text, options, lang)
    if whole.ok and whole.confidence == 1.0:
        return _ok([whole.value])
    folded = _fold(text).strip(" .!")
    if folded in _ALL_WORDS and options:
        return _ok([o.key for o in options])
    if folded in _NONE_WORDS:
        return _ok([])
    named = match_meanings(text, options)
    if len(named) > 1:  # "per Einschreiben und per Mail": the sentence names several options
        return _ok(named, 0.9)
    parts = [p for p in _MULTI_SPLIT_RE.split(text) if p and p.strip(" .")]
    if len(parts) == 1 and re.fullmatch(r"[\d\s.]+", parts[0]):
        parts = parts[0].split()
    if not parts:
        return _fail("choice.unknown", options=_option_list(options, lang))
    if len(parts) == 1:
        if whole.ok:
            return Parsed(ok=True, value=[whole.value], confidence=whole.confidence)
        return whole
    keys: list[str] = []
    confidence = 1.0
    for part in parts[:50]:
        res = _match_choice(part, options, lang)
        if not res.ok:
            params = dict(res.params)
            params["value"] = part.strip()
            return Parsed(ok=False, error=res.error, params=params)
        confidence = min(confidence, res.confidence)
        if res.value not in keys:
            keys.append(res.value)
    return _ok(keys, confidence)


# --------------------------------------------------------------------------- e-mail, phone, IBAN

_EMAIL_CANDIDATE_RE = re.compile(r"[^\s<>()\[\]{},;:\"]+@[^\s<>()\[\]{},;:\"]+")


def _parse_email(text: str) -> Parsed:
    s = text.strip()
    if s.lower().startswith("mailto:"):
        s = s[7:]
    candidates = _EMAIL_CANDIDATE_RE.findall(s)
    if len(candidates) != 1:
        return _fail("email.invalid")
    candidate = candidates[0].strip(".").removeprefix("mailto:")
    if len(candidate) > 254:
        return _fail("email.invalid")
    try:
        result = validate_email(candidate, check_deliverability=False)
    except (EmailNotValidError, UnicodeError, ValueError):
        return _fail("email.invalid")
    confidence = 1.0 if candidate == s.strip("<>. ") else 0.9
    return _ok(result.normalized, confidence)


def _parse_phone(text: str) -> Parsed:
    s = text.strip()
    if len(s) > 100:
        return _fail("phone.invalid")
    number = None
    try:
        number = phonenumbers.parse(s, "DE")
    except phonenumbers.NumberParseException:
        number = None
    confidence = 1.0
    if number is None or not phonenumbers.is_valid_number(number):
        matches = list(phonenumbers.PhoneNumberMatcher(s, "DE", leniency=phonenumbers.Leniency.VALID))
        if len(matches) != 1:
            return _fail("phone.invalid")
        number = matches[0].number
        confidence = 0.9
    if not phonenumbers.is_valid_number(number):
        return _fail("phone.invalid")
    return _ok(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), confidence)


_IBAN_CANDIDATE_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\s?\d{2}(?:[\s-]?[A-Za-z0-9]){8,34}")


def _iban_try(compact: str) -> tuple[str | None, str | None]:
    try:
        return IBAN(compact).compact, None
    except (InvalidChecksumDigits, InvalidBBANChecksum):
        return None, "iban.checksum"
    except (SchwiftyException, ValueError, KeyError):
        return None, "iban.invalid"


def _parse_iban(text: str) -> Parsed:
    s = text.strip()
    if len(s) > 200:
        return _fail("iban.invalid")
    compact = re.sub(r"[\s\-.]", "", s).upper()
    if re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{8,34}", compact):
        value, error = _iban_try(compact)
        return _ok(value) if value else _fail(error or "iban.invalid")
    # IBAN inside a sentence ("meine IBAN ist DE89 ... danke").
    candidates = _IBAN_CANDIDATE_RE.findall(s)
    if not candidates:
        return _fail("iban.invalid")
    cand = re.sub(r"[\s\-]", "", candidates[0]).upper()
    first_error = "iban.invalid"
    for length in range(min(len(cand), 34), 14, -1):
        value, error = _iban_try(cand[:length])
        if value:
            return _ok(value, confidence=0.9)
        if length == len(cand) and error:
            first_error = error
    return _fail(first_error)


# --------------------------------------------------------------------------- address

_COUNTRY_ALIASES = {
    "deutschland": "DE",
    "germany": "DE",
    "brd": "DE",
    "bundesrepublik deutschland": "DE",
    "österreich": "AT",
    "oesterreich": "AT",
    "austria": "AT",
    "schweiz": "CH",
    "switzerland": "CH",
    "suisse": "CH",
    "uk": "GB",
    "u.k.": "GB",
    "united kingdom": "GB",
    "great britain": "GB",
    "england": "GB",
    "grossbritannien": "GB",
    "großbritannien": "GB",
    "vereinigtes königreich": "GB",
    "scotland": "GB",
    "wales": "GB",
    "niederlande": "NL",
    "netherlands": "NL",
    "holland": "NL",
    "usa": "US",
    "u.s.a.": "US",
    "united states": "US",
    "vereinigte staaten": "US",
    "frankreich": "FR",
    "france": "FR",
    "italien": "IT",
    "italy": "IT",
    "spanien": "ES",
    "spain": "ES",
    "polen": "PL",
    "poland": "PL",
    "belgien": "BE",
    "belgium": "BE",
    "luxemburg": "LU",
    "luxembourg": "LU",
    "dänemark": "DK",
    "denmark": "DK",
}
_CH_CITIES = frozenset(
    [
        "zürich",
        "zuerich",
        "bern",
        "basel",
        "genf",
        "geneva",
        "lausanne",
        "luzern",
        "lugano",
        "winterthur",
        "st.",
        "gallen",
        "biel",
    ]
)
_UK_POSTCODE_RE = re.compile(r"\b([A-Z]{1,2}\d[A-Z\d]?)\s*(\d[A-Z]{2})\b", re.IGNORECASE)
_NL_POSTCODE_RE = re.compile(r"\b(\d{4})\s?([A-Z]{2})\b")
_DACH_POSTCODE_RE = re.compile(r"(?<![\d\w])(?:(D|DE|A|AT|CH)\s?-\s?)?(\d{5}|\d{4})(?!\d)")
_US_ZIP_RE = re.compile(r"\b([A-Z]{2})\s+(\d{5})(?:-\d{4})?\b")
_STREET_ABBR_RE = re.compile(r"(?<=\w)(s)tr\.(?=\s|\d|,|$)|\b(S)tr\.(?=\s|\d|,|$)", re.IGNORECASE)


def _expand_street(street: str) -> str:
    def repl(m: re.Match[str]) -> str:
        s = m.group(1) or m.group(2)
        return ("S" if s.isupper() else "s") + "traße"

    return _SPACE_RE.sub(" ", _STREET_ABBR_RE.sub(repl, street)).strip()


def _country_of(segment: str) -> str | None:
    return _COUNTRY_ALIASES.get(segment.casefold().strip(" ."))


def _parse_address(text: str) -> Parsed:
    segments = [seg.strip(" .") for seg in re.split(r"[\n,;]", text)]
    segments = [seg for seg in segments if seg]
    if not segments:
        return _fail("address.incomplete")
    country: str | None = None
    kept = []
    for seg in segments:
        c = _country_of(seg)
        if c and len(kept) > 0:
            country = c
        else:
            kept.append(seg)
    segments = kept
    confidence = 1.0
    for idx in range(len(segments) - 1, -1, -1):
        seg = segments[idx]
        found = _find_postcode(seg, country)
        if found is None:
            continue
        code, code_country, before, after = found
        city = after.strip(" -,")
        street = before.strip(" -,")
        prior = segments[:idx]
        if not city and not street:
            # The postcode stands on its own line: UK/US towns come before it, German ones after.
            if code_country in ("GB", "US") and prior:
                city, prior = prior[-1], prior[:-1]
            elif idx + 1 < len(segments):
                city = segments[idx + 1]
        elif code_country in ("GB", "US") and not city:
            city, street = street, ""
        if not street:
            with_digit = [s for s in prior if re.search(r"\d", s)]
            if with_digit:
                street = with_digit[-1]
            elif prior:
                street = prior[-1]
        if not street or not city or not re.search(r"[^\W\d_]", city):
            return _fail("address.incomplete")
        country_final = country or code_country
        if country_final in ("DE", "AT", "CH"):
            street = _expand_street(street)
        if not re.search(r"\d", street):
            confidence = 0.8
        if code_country == "AT?" or country_final == "AT?":
            country_final = "AT"
            confidence = min(confidence, 0.7)
        return _ok(
            {"street": street, "postal_code": code, "city": city, "country": country_final},
            confidence,
        )
    return _fail("address.incomplete")


def _find_postcode(seg: str, hint: str | None) -> tuple[str, str, str, str] | None:
    """Return (postal code, country, text before, text after) for one address segment."""
    if hint in (None, "GB"):
        m = _UK_POSTCODE_RE.search(seg)
        if m and (hint == "GB" or m.end() >= len(seg.rstrip()) - 0):
            code = f"{m.group(1).upper()} {m.group(2).upper()}"
            return code, "GB", seg[: m.start()], seg[m.end() :]
    if hint in (None, "US"):
        m = _US_ZIP_RE.search(seg)
        if m and hint == "US":
            return m.group(2), "US", seg[: m.start(1)], seg[m.end() :]
    if hint in (None, "NL"):
        m = _NL_POSTCODE_RE.search(seg)
        if m and (hint == "NL" or m.group(2) not in ("DE", "AT", "CH")):
            return f"{m.group(1)} {m.group(2)}", "NL", seg[: m.start()], seg[m.end() :]
    matches = list(_DACH_POSTCODE_RE.finditer(seg))
    # The postal code is followed by the city: pick the last number that has words after it.
    for m in reversed(matches):
        after = seg[m.end() :]
        before = seg[: m.start()]
        if not re.match(r"\s+[^\W\d_]", after) and not (not after.strip() and not before.strip()):
            continue
        code = m.group(2)
        prefix = (m.group(1) or "").upper()
        if prefix in ("A", "AT"):
            country = "AT"
        elif prefix == "CH":
            country = "CH"
        elif len(code) == 5:
            country = "DE"
        elif hint in ("AT", "CH"):
            country = hint
        else:
            country = "CH" if _fold(after.strip()).split(" ")[0] in _CH_CITIES else "AT?"
        return code, hint or country, before, after
    return None


# --------------------------------------------------------------------------- entry point


def _parse_text(raw: str, long: bool) -> Parsed:
    limit = MAX_LONG_TEXT_CHARS if long else MAX_TEXT_CHARS
    if not isinstance(raw, str):
        raw = "" if raw is None else str(raw)
    if len(raw) > 4 * limit:  # too long even if much of it were control characters
        return _fail("text.too_long", max=limit)
    cleaned = _clean(raw, limit=None, keep_newlines=long)
    if not cleaned:
        return _fail("empty")
    if len(cleaned) > limit:
        return _fail("text.too_long", max=limit)
    return _ok(cleaned)


def _dispatch(field_type: str, text: str, lang: str, options: Sequence[Option], today: date) -> Parsed:
    if field_type == "text":
        return _parse_text(text, long=False)
    if field_type == "long_text":
        return _parse_text(text, long=True)
    if field_type == "file":
        return _fail("file.needs_upload")
    cleaned = _clean(text, keep_newlines=field_type in ("address", "multi_choice"))
    if not cleaned:
        return _fail("empty")
    handlers: dict[str, Callable[[], Parsed]] = {
        "number": lambda: _parse_number(cleaned, lang),
        "money": lambda: _parse_money(cleaned, lang),
        "date": lambda: _parse_date(cleaned, lang, today),
        "boolean": lambda: _parse_boolean(cleaned, lang),
        "choice": lambda: _match_choice(cleaned, options, lang),
        "multi_choice": lambda: _parse_multi_choice(cleaned, lang, options),
        "email": lambda: _parse_email(cleaned),
        "phone": lambda: _parse_phone(cleaned),
        "iban": lambda: _parse_iban(cleaned),
        "address": lambda: _parse_address(cleaned),
    }
    return handlers[field_type]()


def parse_value(
    field_type: str,
    text: str,
    lang: str,
    *,
    options: Sequence[Option] = (),
    today: date | None = None,
) -> Parsed:
    """Parse a client's answer for a field of `field_type`; never raises for any `text`.

    Raises ValueError only for an unknown `field_type` (a programming error, caught by the
    questionnaire lint long before a client writes).
    """
    if field_type not in FIELD_TYPES:
        raise ValueError(f"unknown field type {field_type!r}")
    lang = normalise_lang(lang)
    try:
        return _dispatch(field_type, text, lang, tuple(options), today or date.today())
    except Exception:  # last line of defence: a parser bug must not break a conversation
        return _fail("invalid")


def warm_up(include_dateparser: bool = False) -> None:
    """Load lazy tables (phone metadata, IBAN registry, optionally dateparser) before the first client.

    Call once at start-up; afterwards a parse takes well under a millisecond.
    """
    today = date.today()
    for field_type, sample in (
        ("phone", "030 1234567"),
        ("email", "a@example.com"),
        ("iban", "DE89370400440532013000"),
        ("date", "3. März 2025"),
        ("money", "1 €"),
        ("address", "Musterstraße 1, 10115 Berlin"),
    ):
        parse_value(field_type, sample, "de", today=today)
    parse_value(
        "choice",
        "Ordentlich",
        "de",
        options=(Option("a", {"de": "Ordentlich"}), Option("b", {"de": "Fristlos"})),
    )
    if include_dateparser:
        _dateparser_fallback("letzte woche", "de", today)
