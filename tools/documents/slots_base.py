"""What every slot rule shares: the slot value with its provenance, and German dates in letters."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from tools.documents.layout import Line

__all__ = ["SlotValue", "parse_date", "slot"]

_MONTHS = {"januar": 1, "jänner": 1, "februar": 2, "märz": 3, "maerz": 3, "marz": 3, "april": 4, "mai": 5,
           "juni": 6, "juli": 7, "august": 8, "september": 9, "oktober": 10, "november": 11, "dezember": 12}
# "15,3.2026": OCR reads a dot as a comma often enough to allow it between the numbers of a date.
_DATE_RE = re.compile(r"\b(\d{1,2})\s?[.,]\s?(?:(\d{1,2})\s?[.,]\s?|(" + "|".join(_MONTHS) + r")\s+)(\d{4})\b", re.I)


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
    """The first valid date in `text` and the words it was read from."""
    for m in _DATE_RE.finditer(text):
        month = int(m.group(2)) if m.group(2) else _MONTHS[m.group(3).casefold()]
        try:
            return date(int(m.group(4)), month, int(m.group(1))), m.group(0)
        except ValueError:
            continue
    return None


def slot(value: str, line: Line, confidence: float, method: str, role: str | None = None) -> SlotValue:
    return SlotValue(value, line.page, line.text, line.bbox, confidence, method, role)
