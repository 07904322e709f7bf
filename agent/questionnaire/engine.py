"""The questionnaire engine: pure functions over a Questionnaire and the answers so far.

Answers map field id -> normalised value (see agent.understanding.parsers). A field counts as
answered when its id is present with a value other than None. Visibility is decided in file
order: a field is visible when its `when` holds on the answers of the *visible* earlier fields,
so an answer that became irrelevant (its field is now hidden) never switches anything on.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Set
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from rapidfuzz import fuzz

from agent.i18n import normalise_lang
from agent.questionnaire.model import Condition, Field, Questionnaire, resolve_date

__all__ = [
    "evaluate",
    "find_field_by_name",
    "is_answered",
    "is_complete",
    "is_visible",
    "next_field",
    "progress",
    "relevant_answers",
    "validate",
    "visible_fields",
]


def is_answered(answers: Mapping[str, Any], field_id: str) -> bool:
    return answers.get(field_id) is not None


# --------------------------------------------------------------------------- conditions


def _same(actual: Any, expected: Any) -> bool:
    # bool is an int in Python; a boolean answer must not equal 1, nor a number True.
    if isinstance(actual, bool) or isinstance(expected, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual == expected
    if isinstance(actual, Mapping) and "amount" in actual and not isinstance(expected, Mapping):
        actual = actual["amount"]  # money compares by amount
    if isinstance(actual, int | float | str | Decimal) and isinstance(expected, int | float | str | Decimal):
        if isinstance(actual, str) and isinstance(expected, str):
            return actual == expected
        try:
            return Decimal(str(actual)) == Decimal(str(expected))
        except InvalidOperation:
            return False
    if isinstance(expected, date) and isinstance(actual, str):
        return actual == expected.isoformat()
    return bool(actual == expected)


def _matches(actual: Any, expected: Any) -> bool:
    """equals semantics: for a multi_choice answer (a list) a single key means 'was chosen'."""
    if isinstance(actual, list | tuple) and not isinstance(expected, list | tuple):
        return any(_same(item, expected) for item in actual)
    if isinstance(actual, list | tuple) and isinstance(expected, list | tuple):
        return sorted(map(str, actual)) == sorted(map(str, expected))
    return _same(actual, expected)


def evaluate(condition: Condition, answers: Mapping[str, Any]) -> bool:
    """Evaluate a condition against answers (callers pass only the relevant answers)."""
    operator = condition.operator
    if operator == "all":
        return all(evaluate(child, answers) for child in condition.children())
    if operator == "any":
        return any(evaluate(child, answers) for child in condition.children())
    if operator == "not":
        return not evaluate(condition.children()[0], answers)
    assert condition.field is not None
    if operator == "answered":
        return is_answered(answers, condition.field) == bool(condition.answered)
    if not is_answered(answers, condition.field):
        return False  # nothing to compare yet: do not ask follow-up questions
    actual = answers[condition.field]
    if operator == "equals":
        return _matches(actual, condition.equals)
    if operator == "not_equals":
        return not _matches(actual, condition.not_equals)
    return any(_matches(actual, expected) for expected in condition.in_ or [])


def _visibility(
    q: Questionnaire, answers: Mapping[str, Any], stop_at: str | None = None
) -> tuple[dict[str, Any], list[str]]:
    """Walk the fields in order up to `stop_at` (exclusive): (answers of visible fields, visible ids)."""
    relevant: dict[str, Any] = {}
    visible: list[str] = []
    for candidate in q.fields:
        if candidate.id == stop_at:
            break
        if candidate.when is None or evaluate(candidate.when, relevant):
            visible.append(candidate.id)
            if is_answered(answers, candidate.id):
                relevant[candidate.id] = answers[candidate.id]
    return relevant, visible


def is_visible(q: Questionnaire, field: Field, answers: Mapping[str, Any]) -> bool:
    if field.when is None:
        return True
    earlier = _visibility(q, answers, stop_at=field.id)[0]
    return evaluate(field.when, earlier)


def visible_fields(q: Questionnaire, answers: Mapping[str, Any]) -> list[Field]:
    visible = set(_visibility(q, answers)[1])
    return [candidate for candidate in q.fields if candidate.id in visible]


def relevant_answers(q: Questionnaire, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Answers of visible fields only, in file order (unknown ids and hidden fields dropped)."""
    return dict(_visibility(q, answers)[0])


# --------------------------------------------------------------------------- flow


def next_field(q: Questionnaire, answers: Mapping[str, Any], skipped: Set[str] = frozenset()) -> Field | None:
    """First visible field that is neither answered nor skipped, in file order."""
    for candidate in visible_fields(q, answers):
        if not is_answered(answers, candidate.id) and candidate.id not in skipped:
            return candidate
    return None


def progress(
    q: Questionnaire, answers: Mapping[str, Any], skipped: Set[str] = frozenset()
) -> tuple[int, int]:
    """(answered visible fields, total visible fields). Skipped fields count as open."""
    shown = visible_fields(q, answers)
    return sum(1 for candidate in shown if is_answered(answers, candidate.id)), len(shown)


def is_complete(q: Questionnaire, answers: Mapping[str, Any], skipped: Set[str] = frozenset()) -> bool:
    """Every visible required field answered. Skipping a required field does not complete it."""
    return all(
        is_answered(answers, candidate.id) for candidate in visible_fields(q, answers) if candidate.required
    )


# --------------------------------------------------------------------------- validation


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | tuple | dict) and len(value) == 0)


def _number(value: Any) -> Decimal | None:
    if isinstance(value, Mapping):
        value = value.get("amount")
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def validate(field: Field, value: Any, today: date) -> tuple[str, dict[str, Any]] | None:
    """(error code, params) when `value` (already normalised by the type parser) breaks a rule
    of `field`, else None. Codes: required, min, max, min_length, max_length, pattern,
    date.too_early, date.too_late, date.in_future, date.in_past. Date params carry {"date": ISO},
    number params {"min"/"max": the rule as written}."""
    if _is_empty(value):
        return ("required", {}) if field.required else None
    rules = field.validation
    if rules is None:
        return None

    if field.type in ("number", "money"):
        amount = _number(value)
        if amount is not None:
            if rules.min is not None and amount < Decimal(str(rules.min)):
                return "min", {"min": rules.min}
            if rules.max is not None and amount > Decimal(str(rules.max)):
                return "max", {"max": rules.max}
        return None

    if field.type == "date":
        try:
            day = date.fromisoformat(value) if isinstance(value, str) else value
        except ValueError:
            return None  # not ours to judge: the type parser rejects malformed dates
        if not isinstance(day, date):
            return None
        if rules.min_date is not None:
            earliest = resolve_date(rules.min_date, today)
            if day < earliest:
                if rules.min_date.strip().lower() == "today":
                    return "date.in_past", {"date": earliest.isoformat()}
                return "date.too_early", {"date": earliest.isoformat()}
        if rules.max_date is not None:
            latest = resolve_date(rules.max_date, today)
            if day > latest:
                if rules.max_date.strip().lower() == "today":
                    return "date.in_future", {"date": latest.isoformat()}
                return "date.too_late", {"date": latest.isoformat()}
        return None

    if isinstance(value, str | list | tuple):
        if rules.min_length is not None and len(value) < rules.min_length:
            return "min_length", {"min": rules.min_length}
        if rules.max_length is not None and len(value) > rules.max_length:
            return "max_length", {"max": rules.max_length}
    if rules.pattern is not None and isinstance(value, str) and not re.fullmatch(rules.pattern, value):
        return "pattern", {}
    return None


# --------------------------------------------------------------------------- naming a field

_FILLER = {
    # German articles / possessives / filler words a client puts in front of a field's name
    "der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "mein", "meine", "meinen",
    "meiner", "meines", "ihr", "ihre", "ihren", "unser", "unsere", "zum", "zur", "bei", "beim",
    "nochmal", "bitte", "frage", "feld", "angabe", "zu", "von", "noch",
    # English
    "the", "a", "an", "my", "our", "your", "question", "field", "about", "please", "again", "of",
}
_MIN_SCORE = 80.0
_MIN_MARGIN = 6.0


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold().replace("_", " ").replace("-", " ")
    text = text.replace("ß", "ss")
    words = re.findall(r"[\wäöü]+", text)
    kept = [word for word in words if word not in _FILLER]
    return " ".join(kept or words)


def _names(field: Field) -> list[tuple[str, str | None]]:
    names: list[tuple[str, str | None]] = [(field.id, None)]
    names += [(label, lang) for lang, label in field.label.items()]
    for lang, aliases in (field.aliases or {}).items():
        names += [(alias, lang) for alias in aliases]
    return names


def _score(query: str, name: str) -> float:
    if query == name:
        return 100.0
    score = max(fuzz.ratio(query, name), fuzz.token_sort_ratio(query, name))
    # A compound word names its part ("Geburtsdatum" for "Datum") only weakly; a whole-word
    # containment ("iban" in "iban fuer erstattungen") is a good sign.
    if len(query) >= 3 and re.search(rf"\b{re.escape(query)}\b", name):
        score = max(score, 88.0)
    return float(score)


def find_field_by_name(q: Questionnaire, text: str, lang: str) -> Field | None:
    """The field a client names ("Geburtsdatum", "birthday", "die IBAN"); None when no field
    fits well or two fit about equally (better to ask back than to change the wrong answer)."""
    query = _normalise(text)
    if not query:
        return None
    lang = normalise_lang(lang)
    best: dict[str, float] = {}
    for candidate in q.fields:
        score = 0.0
        for name, name_lang in _names(candidate):
            value = _score(query, _normalise(name))
            if name_lang == lang:
                value += 0.5  # on ties prefer the client's language
            score = max(score, value)
        best[candidate.id] = score
    ranked = sorted(best.items(), key=lambda item: item[1], reverse=True)
    if not ranked or ranked[0][1] < _MIN_SCORE:
        return None
    if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < _MIN_MARGIN and ranked[0][1] < 100.0:
        return None
    if len(ranked) > 1 and ranked[1][1] >= 100.0:
        return None  # two fields share a name exactly
    return q.field(ranked[0][0])
