"""Batched asking: which open questions one message asks together, and how that message reads.

An e-mail is answered like a letter, so it carries a whole section at once: every open visible field of
the current section whose condition does not rest on a field still unanswered (that answer could hide
or show it), up to the firm's maximum. The questions are numbered from 1 in every message; the reply is
read against the same numbering (agent.understanding.batch_reply). Everything here is pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass
from typing import Any

from agent.conversation.batch_texts import bt
from agent.questionnaire.engine import is_answered, progress, visible_fields
from agent.questionnaire.model import Field, Questionnaire, pick_text

DEFAULT_BATCH_MAX = 8
_TYPE_HINTS = {"date": "hint_date", "boolean": "hint_boolean", "money": "hint_money", "number": "hint_number",
               "iban": "hint_iban"}


@dataclass(frozen=True)
class Later:
    """What comes after the questionnaire: labels of open uploads and titles of documents to sign."""

    uploads: tuple[str, ...] = ()
    signs: tuple[str, ...] = ()


def depends_on_open(f: Field, values: Mapping[str, Any]) -> bool:
    """True when the field's condition names a field without an answer (its answer may flip it)."""
    if f.when is None:
        return False
    return any(not is_answered(values, ref) for ref in f.when.referenced_fields())


def select_batch(q: Questionnaire, values: Mapping[str, Any], skipped: Set[str] = frozenset(),
                 limit: int = DEFAULT_BATCH_MAX) -> list[Field]:
    """The open questions of the current section to ask together, in questionnaire order."""
    limit = max(1, limit)
    open_fields = [f for f in visible_fields(q, values) if not is_answered(values, f.id) and f.id not in skipped]
    if not open_fields:
        return []
    section = open_fields[0].section
    chosen: list[Field] = []
    for f in open_fields:
        if f.section != section:
            break  # a new section starts: it gets its own message
        if depends_on_open(f, values):
            continue
        chosen.append(f)
        if len(chosen) >= limit:
            break
    return chosen or open_fields[:1]


def _option_labels(f: Field, lang: str) -> str:
    return " · ".join(o.labels.get(lang) or o.labels.get("de") or o.key for o in f.option_objects())


def question_line(n: int, f: Field, lang: str) -> str:
    """``3. Wann sind Sie geboren?`` – the line the reply's inline answers are anchored on."""
    line = f"{n}. {f.text('question', lang)}"
    if not f.required:
        line += " " + bt("optional", lang)
    return line


def detail_lines(f: Field, lang: str) -> list[str]:
    """Hint, choices spelled out, or 'as an attachment', indented under the question."""
    lines: list[str] = []
    if f.type in ("choice", "multi_choice"):
        key = "choices_multi" if f.type == "multi_choice" else "choices"
        lines.append(bt(key, lang, options=_option_labels(f, lang)))
    elif f.type == "file":
        lines.append(bt("file", lang))
    elif f.type in _TYPE_HINTS:
        lines.append("(" + bt(_TYPE_HINTS[f.type], lang) + ")")
    help_text = f.text("help", lang) if f.help else ""
    if help_text:
        lines.append(bt("hint", lang, help=help_text))
    return ["   " + line for line in lines]


def render_questions(fields: list[Field], lang: str) -> list[str]:
    out: list[str] = []
    for n, f in enumerate(fields, start=1):
        out.append(question_line(n, f, lang))
        out.extend(detail_lines(f, lang))
    return out


def status_line(q: Questionnaire, values: Mapping[str, Any], batch: list[Field], lang: str,
                later: Later, skipped: Set[str] = frozenset()) -> str:
    """``7 von 23 erledigt. Danach: noch 8 weitere Fragen, dann eine Zusammenfassung zum Bestätigen.``
    A question the client chose to leave out counts as done."""
    answered, total = progress(q, values)
    done = answered + sum(1 for f in visible_fields(q, values) if f.id in skipped and not is_answered(values, f.id))
    remaining = max(0, total - done - len(batch))
    parts: list[str] = []
    if remaining == 1:
        parts.append(bt("next_one_more", lang))
    elif remaining > 1:
        parts.append(bt("next_more", lang, n=remaining))
    parts.append(bt("next_summary", lang))
    if later.uploads:
        parts.append(bt("next_upload", lang, labels=", ".join(later.uploads)))
    if later.signs:
        parts.append(bt("next_sign", lang, titles=", ".join(later.signs)))
    return bt("status", lang, done=done, total=total) + " " + bt("next", lang, parts=bt("and", lang).join(parts))


def render_batch(q: Questionnaire, values: Mapping[str, Any], batch: list[Field], lang: str, *,
                 later: Later = Later(), with_title: bool = True, skipped: Set[str] = frozenset()) -> str:
    """The whole batch as one message body."""
    lines: list[str] = []
    if with_title:
        lines += [pick_text(q.title, lang), ""]
    lines += [bt("intro", lang), ""]
    lines += render_questions(batch, lang)
    lines += ["", status_line(q, values, batch, lang, later, skipped)]
    return "\n".join(lines)
