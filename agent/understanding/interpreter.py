"""Free-form understanding of a client's reply to a questionnaire, through the LLM.

The LLM sees only compact briefs of the fields still open (plus answered ones, for corrections)
and the client's message as delimited data — never the transcript, never instructions it could
act on, and no tools. It proposes values *as text*; the deterministic core re-parses and
validates every proposal and reads it back to the client before it counts.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, create_model, model_validator

from agent.i18n import normalise_lang
from agent.llm import LLMClient, load_prompt

Wants = Literal["answer", "question", "command", "smalltalk", "other"]
WANTS: tuple[str, ...] = ("answer", "question", "command", "smalltalk", "other")

MAX_TEXT_CHARS = 6000  # a pasted letter must not blow the token budget
MAX_VALUE_CHARS = 2000
MAX_QUOTE_CHARS = 300
MAX_SIDE_QUESTION_CHARS = 500

OPEN_TAG = "<client_message>"
CLOSE_TAG = "</client_message>"
# Anything that looks like our delimiter (any case, spacing, attributes) inside the client's text.
_MARKER = re.compile(r"<\s*/?\s*client[\s_-]*message\b[^>]*>", re.IGNORECASE)


@dataclass(frozen=True)
class FieldBrief:
    """What the LLM may see of one field."""

    id: str
    type: str
    label: str
    question: str
    options: list[tuple[str, str]]  # (key, label)


@dataclass(frozen=True)
class ProposedAnswer:
    field_id: str
    text: str  # the value as text for the deterministic parser of the field's type
    quote: str  # the client's words it rests on
    confidence: float


@dataclass(frozen=True)
class Interpretation:
    answers: list[ProposedAnswer]
    corrections: list[ProposedAnswer]
    side_question: str | None
    wants: Wants


# -- schema -----------------------------------------------------------------------------------


def _lean_schema(schema: dict[str, Any]) -> None:
    """Fewer schema tokens per call: no per-property titles; ``enum`` instead of ``const``
    (a one-id Literal), which every structured-output server understands."""
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
        if "const" in prop:
            prop["enum"] = [prop.pop("const")]


_CONFIG = ConfigDict(extra="ignore", json_schema_extra=_lean_schema)


def _item_model(name: str, ids: list[str]) -> type[BaseModel]:
    return create_model(
        name,
        __config__=_CONFIG,
        field_id=(Literal[tuple(ids)], ...),  # type: ignore[valid-type]
        text=(str, ...),
        quote=(str, ...),
        confidence=(float, ...),
    )


def build_schema(open_ids: list[str], answered_ids: list[str]) -> type[BaseModel]:
    """The structured-output model for one call, offering only these field ids.

    ``field_id`` is a Literal of the offered ids, so a strict server cannot invent fields. A lax
    server still might: before validation, items for unknown ids are dropped (not the whole
    reply), and an item filed under the wrong list (answer vs. correction) is moved.
    """
    open_set, answered_set = set(open_ids), set(answered_ids)
    fields: dict[str, Any] = {}
    if open_ids:
        fields["answers"] = (list[_item_model("Answer", open_ids)], ...)  # type: ignore[valid-type]
    if answered_ids:
        fields["corrections"] = (list[_item_model("Correction", answered_ids)], ...)  # type: ignore[valid-type]
    fields["side_question"] = (str | None, ...)
    fields["wants"] = (Wants, ...)

    def _sort_items(cls: type[BaseModel], data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        items: list[Any] = []
        for key in ("answers", "corrections"):
            value = data.get(key)
            if isinstance(value, list):
                items.extend(value)
        items = [i for i in items if isinstance(i, dict) and isinstance(i.get("field_id"), str)]
        answers = [i for i in items if i["field_id"] in open_set]
        corrections = [i for i in items if i["field_id"] in answered_set]
        data = {k: v for k, v in data.items() if k not in ("answers", "corrections")}
        if open_ids:
            data["answers"] = answers
        if answered_ids:
            data["corrections"] = corrections
        data.setdefault("side_question", None)
        if data.get("wants") not in WANTS:
            data["wants"] = "other"
        return data

    return create_model(
        "Interpretation",
        __config__=_CONFIG,
        __validators__={"_sort_items": model_validator(mode="before")(classmethod(_sort_items))},
        **fields,
    )


# -- prompt -----------------------------------------------------------------------------------

_LABELS = {
    "de": {
        "today": "Heute",
        "current": "Aktuelle Frage",
        "open": "Offene Felder",
        "answered": "Bereits beantwortet (nur für Korrekturen)",
        "none": "keine",
    },
    "en": {
        "today": "Today",
        "current": "Current question",
        "open": "Open fields",
        "answered": "Already answered (for corrections only)",
        "none": "none",
    },
}


def neutralise(text: str) -> str:
    """The client's text with anything resembling our delimiters defused."""
    return _MARKER.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›"), text)


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _brief_line(field: FieldBrief) -> str:
    kind = field.type
    if field.options:
        kind += ": " + ", ".join(f"{_one_line(k, 40)}={_one_line(v, 60)}" for k, v in field.options)
    # The question says what the field means; the label would only repeat it (tokens on every call).
    return f"- {field.id} ({kind}) {_one_line(field.question) or _one_line(field.label, 80)}"


def build_user_message(
    *,
    lang: str,
    current: FieldBrief | None,
    open_fields: list[FieldBrief],
    answered: list[FieldBrief],
    text: str,
    today: date | None = None,
) -> str:
    labels = _LABELS.get(lang, _LABELS["de"])
    lines = [f"{labels['today']}: {(today or date.today()).isoformat()}"]
    if current is not None:
        lines.append(f"{labels['current']}: {current.id}")
    lines.append(f"{labels['open']}:")
    if open_fields:
        lines.extend(_brief_line(f) for f in open_fields)
    else:
        lines.append(labels["none"])
    if answered:
        lines.append(f"{labels['answered']}:")
        lines.extend(_brief_line(f) for f in answered)
    body = neutralise(text[:MAX_TEXT_CHARS])
    lines.append(f"{OPEN_TAG}\n{body}\n{CLOSE_TAG}")
    return "\n".join(lines)


# -- interpret --------------------------------------------------------------------------------


def _confidence(value: float) -> float:
    if not isinstance(value, int | float) or math.isnan(value):
        return 0.0
    return min(1.0, max(0.0, float(value)))


def _proposals(items: list[Any], allowed: set[str]) -> list[ProposedAnswer]:
    """Clean proposals: known ids only, non-empty text, one per field (the most confident)."""
    best: dict[str, ProposedAnswer] = {}
    for item in items:
        field_id, value = str(item.field_id), item.text.strip()
        if field_id not in allowed or not value:
            continue
        proposal = ProposedAnswer(
            field_id=field_id,
            text=value[:MAX_VALUE_CHARS],
            quote=item.quote.strip()[:MAX_QUOTE_CHARS],
            confidence=_confidence(item.confidence),
        )
        if field_id not in best or proposal.confidence > best[field_id].confidence:
            best[field_id] = proposal
    return list(best.values())


def interpret(
    client: LLMClient,
    *,
    lang: str,
    current: FieldBrief | None,
    open_fields: list[FieldBrief],
    answered: list[FieldBrief],
    text: str,
) -> Interpretation | None:
    """What the client's free-form message says about the offered fields; None if the LLM failed."""
    if not text.strip():
        return Interpretation(answers=[], corrections=[], side_question=None, wants="other")
    lang = normalise_lang(lang)
    offered = list(open_fields)
    if current is not None and all(f.id != current.id for f in offered):
        offered.insert(0, current)
    open_ids = list(dict.fromkeys(f.id for f in offered))
    answered = [f for f in answered if f.id not in set(open_ids)]
    answered_ids = list(dict.fromkeys(f.id for f in answered))

    schema = build_schema(open_ids, answered_ids)
    user = build_user_message(lang=lang, current=current, open_fields=offered, answered=answered, text=text)
    system = load_prompt("interpret", lang)
    result = client.parse(purpose="interpret", system=system, user=user, schema=schema)
    if result is None:
        return None

    answers = _proposals(getattr(result, "answers", []), set(open_ids))
    corrections = _proposals(getattr(result, "corrections", []), set(answered_ids))
    side = (getattr(result, "side_question", None) or "").strip()
    wants: Wants = getattr(result, "wants", "other")
    if wants not in WANTS:
        wants = "other"
    return Interpretation(
        answers=answers,
        corrections=corrections,
        side_question=side[:MAX_SIDE_QUESTION_CHARS] or None,
        wants=wants,
    )
