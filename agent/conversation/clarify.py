"""When a choice answer is still not understood: one clarifying question, never the same one a third time.

The first miss repeats the question with the options. The second asks "Do you mean A or B?",
naming the two options closest to what the client wrote. A third miss does not ask again: the
field is set aside for staff (who are told what the client wrote) and the conversation goes on.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from rapidfuzz import fuzz

__all__ = ["MAX_MISSES", "closest_two", "clarifying_question", "set_aside_text"]

MAX_MISSES = 3


def _label(option: Any, lang: str) -> str:
    labels = option.labels or {}
    return labels.get(lang) or labels.get("de") or labels.get("en") or option.key


def closest_two(text: str, options: Sequence[Any], lang: str) -> list[Any]:
    """The two options whose labels are nearest to `text` (by spelling and shared words)."""
    q = re.sub(r"\s+", " ", (text or "").casefold()).strip()

    def score(option: Any) -> float:
        labels = [lbl.casefold() for lbl in (option.labels or {}).values() if isinstance(lbl, str)]
        return max((max(fuzz.token_set_ratio(q, lbl), fuzz.partial_ratio(q, lbl)) for lbl in labels), default=0.0)

    ranked = sorted(options, key=score, reverse=True)
    return ranked[:2]


_TEXTS = {
    "clarify": {
        "de": "Ich bin nicht sicher, was Sie meinen. Meinen Sie eher „{a}“ oder „{b}“?",
        "en": "I'm not sure what you mean. Do you mean “{a}” or “{b}”?",
    },
    "set_aside": {
        "de": "Ich lasse diese Frage vorerst offen – {staff} klärt sie mit Ihnen. Weiter geht's:",
        "en": "I'll leave this question open for now – {staff} will clarify it with you. Let's go on:",
    },
}


def clarifying_question(text: str, options: Sequence[Any], lang: str) -> tuple[str, list[str]]:
    """The question and its two quick replies."""
    two = closest_two(text, options, lang)
    labels = [_label(o, lang) for o in two] + ([] if len(two) == 2 else ["?"])
    msg = _TEXTS["clarify"].get(lang, _TEXTS["clarify"]["de"]).format(a=labels[0], b=labels[1])
    return msg, labels[:2]


def set_aside_text(lang: str, staff: str) -> str:
    return _TEXTS["set_aside"].get(lang, _TEXTS["set_aside"]["de"]).format(staff=staff)
