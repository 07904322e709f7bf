"""Understand a choice by meaning, not only by its label.

The label matcher in parsers.py knows "21 bis 200" and "3"; a client writes "ca. 45",
"so um die 50 Leute", "knapp 200", "weiß nicht genau" or "Einschreiben". This module maps
such answers to an option: a number to the range option that holds it, a don't-know phrase to
the don't-know option, and words to options through per-option `aliases` from the
questionnaire YAML plus a small built-in German/English synonym list.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Range", "dont_know_key", "match_meaning", "match_meanings", "option_range"]

_NUM = r"(\d{1,3}(?:[.\s]\d{3})+|\d+)"
_BETWEEN_RE = re.compile(rf"(?:von\s+|from\s+|zwischen\s+|between\s+)?{_NUM}\s*(?:bis|to|-|–|und|and)\s*{_NUM}")
_UPTO_RE = re.compile(rf"(?:bis|up to|höchstens|max\.?|maximal|weniger als|unter|less than|under|fewer than)\s*{_NUM}")
_ABOVE_RE = re.compile(rf"(?:mehr als|über|ueber|more than|over|ab|at least|mindestens)\s*{_NUM}")
_PLUS_RE = re.compile(rf"^{_NUM}\s*\+$")
_DONT_KNOW_RE = re.compile(
    r"\b(?:wei(?:ß|ss)\s+(?:ich\s+)?(?:es\s+)?(?:noch\s+)?nicht|keine ahnung|unklar|unbekannt|"
    r"nicht sicher|unsicher|(?:i\s+)?(?:do not|don'?t) know|no idea|not sure|unsure|unknown)\b"
)
_STRICT_WORDS = {"weniger als", "unter", "less than", "under", "fewer than"}

# Built-in synonyms: a word the client uses -> words an option's label or key may contain.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "einschreiben": ("post", "brief", "letter", "mail_post"),
    "brief": ("post", "letter"),
    "briefpost": ("post", "letter"),
    "postalisch": ("post", "letter"),
    "letter": ("post", "brief"),
    "e-mail": ("mail", "email"),
    "email": ("mail", "e-mail"),
    "mail": ("email", "e-mail"),
    "persönlich": ("hand", "person"),
    "übergeben": ("hand",),
    "in person": ("hand", "persönlich"),
    "by hand": ("hand", "persönlich"),
    "fax": ("telefax", "fax"),
    "whatsapp": ("messenger", "chat"),
    "sms": ("messenger", "text"),
    "mündlich": ("mündlich", "oral", "verbal"),
    "telefonisch": ("telefon", "phone", "mündlich"),
}


@dataclass(frozen=True)
class Range:
    low: float
    high: float  # inclusive; inf for "more than"


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold().replace("’", "'").strip()


def _int(raw: str) -> int:
    return int(re.sub(r"[.\s]", "", raw))


def option_range(label: str) -> Range | None:
    """The numeric range an option label states: "bis 10", "11 bis 20", "mehr als 200", "200+"."""
    s = _fold(label)
    if m := _BETWEEN_RE.search(s):
        return Range(_int(m.group(1)), _int(m.group(2)))
    if m := _UPTO_RE.search(s):
        strict = any(s.startswith(w) for w in _STRICT_WORDS)
        return Range(0, _int(m.group(1)) - (1 if strict else 0))
    if m := _ABOVE_RE.search(s):
        strict = s.startswith(("mehr als", "über", "ueber", "more than", "over"))
        return Range(_int(m.group(1)) + (1 if strict else 0), float("inf"))
    if m := _PLUS_RE.match(s):
        return Range(_int(m.group(1)), float("inf"))
    return None


def _labels(option: Any) -> list[str]:
    return [lbl for lbl in (getattr(option, "labels", None) or {}).values() if isinstance(lbl, str)]


def dont_know_key(options: Sequence[Any]) -> str | None:
    for opt in options:
        if opt.key in ("unknown", "unsure", "dont_know", "not_sure") or any(
            _DONT_KNOW_RE.search(_fold(lbl)) for lbl in _labels(opt)
        ):
            return opt.key
    return None


def _number_in(text: str) -> tuple[float, bool] | None:
    """The one number a client gives ("ca. 45", "knapp 200") and whether it is a rough figure."""
    s = _fold(text)
    if _BETWEEN_RE.search(s) and not re.search(r"\b(?:und|and)\b", s):
        m = _BETWEEN_RE.search(s)
        assert m is not None
        return (_int(m.group(1)) + _int(m.group(2))) / 2, True
    nums = re.findall(_NUM, s)
    if len(nums) != 1:
        return None
    value = float(_int(nums[0]))
    if re.search(r"\b(?:knapp|fast|beinahe|almost|nearly|just under|unter)\b", s):
        value -= 1  # "knapp 200": a little less than 200
    elif re.search(r"\b(?:über|ueber|mehr als|more than|over|gut)\b", s):
        value += 1
    return value, bool(re.search(r"\b(?:ca|circa|etwa|ungefähr|rund|so um|um die|about|around|roughly|approx)", s))


def _by_number(text: str, options: Sequence[Any]) -> tuple[str, float] | None:
    found = _number_in(text)
    if found is None:
        return None
    value, rough = found
    for opt in options:
        for lbl in _labels(opt):
            r = option_range(lbl)
            if r is not None and r.low <= value <= r.high:
                return opt.key, 0.9 if rough else 0.95
    return None


def _alias_words(option: Any) -> list[str]:
    aliases = getattr(option, "aliases", None) or ()
    return [_fold(a) for a in aliases if isinstance(a, str) and a.strip()]


def _by_alias(text: str, options: Sequence[Any]) -> list[str]:
    """Options named by an alias or a built-in synonym, in the order the options come."""
    s = _fold(text)
    hits: list[str] = []
    for opt in options:
        if any(re.search(rf"(?<!\w){re.escape(a)}(?!\w)", s) for a in _alias_words(opt)):
            hits.append(opt.key)
    if hits:
        return hits
    for word, targets in SYNONYMS.items():
        if not re.search(rf"(?<!\w){re.escape(word)}(?!\w)", s):
            continue
        for target in targets:  # in order of preference: the first target any option names wins
            named = [opt.key for opt in options if re.search(rf"(?<!\w){re.escape(target)}", _hay(opt))]
            if named:
                hits.extend(k for k in named if k not in hits)
                break
    return hits


def _hay(option: Any) -> str:
    return " ".join([_fold(option.key.replace("_", " "))] + [_fold(lbl) for lbl in _labels(option)])


def match_meaning(text: str, options: Sequence[Any]) -> tuple[str, float] | None:
    """The option `text` means, with a confidence, or None when the meaning is not clear."""
    if not options or not text or len(text) > 300:
        return None
    if _DONT_KNOW_RE.search(_fold(text)):
        key = dont_know_key(options)
        return (key, 0.95) if key else None
    by_number = _by_number(text, options)
    if by_number is not None:
        return by_number
    hits = _by_alias(text, options)
    if len(hits) == 1:
        return hits[0], 0.9
    return None


def match_meanings(text: str, options: Sequence[Any]) -> list[str]:
    """Every option a sentence names through aliases or synonyms ("per Einschreiben und per Mail")."""
    return _by_alias(text, options) if options and text and len(text) <= 500 else []
