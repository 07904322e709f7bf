"""A turn in batch mode: ask a section per message, read a reply to it, confirm by numbered summary.

Only what differs from asking one question at a time lives here; commands, uploads, side questions,
storing answers and moving on stay in agent.conversation.turn. The turn calls in here when its
``TurnDeps.batch_max`` is above 1 (e-mail by default; chat channels when the firm switches it on).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from agent.conversation.batch import Later, detail_lines, question_line, render_batch, select_batch
from agent.conversation.batch_texts import TEXTS, bt
from agent.questionnaire.engine import is_complete, relevant_answers, visible_fields
from agent.questionnaire.model import Field, Questionnaire
from agent.understanding.batch_reply import (
    _LABELLED,
    _NUMBERED,
    Found,
    Reading,
    is_end,
    is_noise,
    read_batch_reply,
)
from agent.understanding.errors import error_text

if TYPE_CHECKING:
    from agent.conversation.snapshot import ItemView, Snapshot
    from agent.conversation.turn import Turn

_CORRECTION = re.compile(
    r"^\s*(?:(?:nr|nummer|punkt|no|number|item)\.?\s*)?(?P<n>\d{1,2})\s*[.:)]?\s*(?:ist|is|stimmt|war|was)?\s*"
    r"(?:falsch|nicht richtig|nicht korrekt|nicht|wrong|incorrect|not right|not correct)\b[\s,.;:!–-]*"
    r"(?:(?:richtig|korrekt|correct|right)\s+(?:ist|wäre|is|would be)|es ist|sondern|it is|it's|should be|"
    r"the right (?:one|value) is|stattdessen|instead)?\s*:?\s*(?P<value>.*)$",
    re.IGNORECASE,
)
_CONFIRM = re.compile(
    r"^\s*(?:passt|stimmt|ja|jawohl|genau|richtig|korrekt|alles (?:richtig|korrekt|gut|klar)|in ordnung|ok|okay|"
    r"yes|correct|right|that's right|all (?:correct|good|fine)|looks good|fine|(?:der |the )?rest (?:stimmt|passt|"
    r"is (?:right|correct|fine)))\b",
    re.IGNORECASE,
)
_DENIAL = re.compile(r"\b(?:nicht|falsch|nein|not|wrong|no)\b", re.IGNORECASE)
_WORDY = 9  # a "one line per answer" line with more words than this is more likely a paragraph


def on(turn: Turn) -> bool:
    return (turn.deps.batch_max or 0) > 1


def later_of(snap: Snapshot, sign_title: Any = None) -> Later:
    uploads = tuple(i.ref for i in snap.items if i.kind == "upload" and i.status == "open")
    signs = tuple((sign_title(i, snap.lang) if sign_title else i.ref)
                  for i in snap.items if i.kind == "sign" and i.status == "open")
    return Later(uploads=uploads, signs=signs)


def own_lines(fields: list[Field], lang: str) -> list[str]:
    """The lines our batch mail consists of (a reply that copies them without quote marks is not answering)."""
    lines = [TEXTS["intro"][lang if lang in TEXTS["intro"] else "de"]]
    for n, f in enumerate(fields, start=1):
        lines.append(question_line(n, f, lang))
        lines += [line.strip() for line in detail_lines(f, lang)]
    return lines


# ---------------------------------------------------------------------------------------- asking


def ask_batch(turn: Turn, item: ItemView, *, prefix: str = "") -> bool:
    """Say the next batch of the questionnaire; False when nothing is open."""
    q = turn.q(item)
    values = turn.snap.values(item.id)
    fields = select_batch(q, values, turn.snap.skipped(item.id), turn.deps.batch_max)
    if not fields:
        return False
    text = render_batch(q, values, fields, turn.lang, later=later_of(turn.snap, turn.deps.sign_title),
                        with_title=False, skipped=turn.snap.skipped(item.id))
    turn.snap.state.update(item=item.id, field=fields[0].id, phase="asking", batch=[f.id for f in fields])
    turn.say((prefix + "\n\n" + text).strip() if prefix else text)
    return True


def opening_text(snap: Snapshot, q: Questionnaire, item: ItemView, limit: int, sign_title: Any = None) -> str:
    """The first batch for an invitation mail; records the numbering in the snapshot's state."""
    values = snap.values(item.id)
    fields = select_batch(q, values, snap.skipped(item.id), limit)
    snap.state.update(item=item.id, field=fields[0].id if fields else None, phase="asking",
                      batch=[f.id for f in fields])
    return render_batch(q, values, fields, snap.lang, later=later_of(snap, sign_title))


def batch_fields(turn: Turn, item: ItemView) -> list[Field]:
    """The questions of the last batch mail, numbered as the client saw them."""
    q = turn.q(item)
    ids = turn.snap.state.get("batch") or []
    if ids and turn.snap.state.get("item") == item.id and all(q.has_field(i) for i in ids):
        return [q.field(i) for i in ids]
    return select_batch(q, turn.snap.values(item.id), turn.snap.skipped(item.id), turn.deps.batch_max)


# ---------------------------------------------------------------------------------------- reading


def handle_batch(turn: Turn, item: ItemView, text: str, full: str | None) -> None:
    """Read a reply to a batch, store what is valid, say what was understood and what is asked again."""
    q = turn.q(item)
    values = turn.snap.values(item.id)
    fields = batch_fields(turn, item)
    visible = visible_fields(q, values)
    reading = read_batch_reply(text, full, fields, q, turn.lang, turn.parse_for, visible=visible,
                               own=own_lines(fields, turn.lang))
    if turn.deps.interpret is not None and _needs_llm(reading):
        _llm_fill(turn, item, fields, reading, text)
    if not (reading.found or reading.invalid or reading.skips):
        if reading.questions:
            turn.side_question(" ".join(reading.questions))
        else:
            turn.say(error_text("invalid", turn.lang))
        turn.prompt_next(repeat=True)
        return
    _apply(turn, item, fields, reading)


def _needs_llm(reading: Reading) -> bool:
    wordy = any(f.style == "positional" and f.field.type != "long_text" and len(f.raw.split()) > _WORDY
                for f in reading.found)
    return bool(reading.unassigned or reading.invalid or wordy)


def _llm_fill(turn: Turn, item: ItemView, fields: list[Field], reading: Reading, text: str) -> None:
    """ONE structured-output call for every batch field the deterministic reading did not settle."""
    from agent.understanding.interpreter import FieldBrief

    settled = {f.field.id for f in reading.found if f.style != "positional"} | {f.id for f in reading.skips}
    offered = [f for f in fields if f.id not in settled and f.type != "file"]
    if not offered:
        return

    def brief(f: Field) -> FieldBrief:
        options = [(o.key, o.labels.get(turn.lang) or o.key) for o in f.option_objects()]
        return FieldBrief(id=f.id, type=f.type, label=f.text("label", turn.lang),
                          question=f.text("question", turn.lang), options=options)

    result = turn.deps.interpret(lang=turn.lang, current=brief(offered[0]), open_fields=[brief(f) for f in offered],
                                 answered=[], text=text)
    if result is None:
        return
    by_id = {f.id: f for f in offered}
    for proposal in result.answers:
        f = by_id.get(proposal.field_id)
        if f is None:
            continue
        parsed = turn.parse_for(f, proposal.text)  # the same parsers and validators as typed input
        reading.found = [x for x in reading.found if x.field.id != f.id]
        reading.invalid = [x for x in reading.invalid if x.field.id != f.id]
        (reading.found if parsed.ok else reading.invalid).append(Found(f, proposal.quote or proposal.text,
                                                                       parsed, "llm"))
    reading.unassigned = []
    if result.side_question:
        reading.questions.append(result.side_question)


def _apply(turn: Turn, item: ItemView, fields: list[Field], reading: Reading) -> None:
    noted = []
    for found in reading.found:
        method = "llm" if found.style == "llm" else "parser"
        turn.store(item, found.field, found.parsed, found.raw, method=method)
        noted.append(turn.shown(found.field, found.parsed.value))
    problems = [_problem(turn, fields, found) for found in reading.invalid]
    for f in reading.skips:
        if f.required:
            problems.append(_numbered(fields, f, turn.lang) + ": " + error_text("required", turn.lang))
        else:
            turn.snap.add_skipped(item.id, f.id)
    _skip_passed_over(turn, item, fields, reading)
    turn.snap.state["field"] = None
    if noted:
        turn.say(bt("understood", turn.lang, items="; ".join(noted)))
    if problems:
        turn.say("\n".join([bt("problems", turn.lang)] + [f"• {p}" for p in problems]))
    if reading.unassigned:
        turn.say(bt("unassigned", turn.lang, lines=" / ".join(line[:80] for line in reading.unassigned[:5])))
    if reading.questions:
        turn.side_question(" ".join(reading.questions))
    turn.after_change(item)


def _numbered(fields: list[Field], f: Field, lang: str) -> str:
    n = fields.index(f) + 1 if f in fields else 0
    return f"{n}. {f.text('label', lang)}" if n else f.text("label", lang)


def _problem(turn: Turn, fields: list[Field], found: Found) -> str:
    error = error_text(found.parsed.error or "invalid", turn.lang, **found.parsed.params)
    return bt("problem_line", turn.lang, label=_numbered(fields, found.field, turn.lang), error=error)


def _skip_passed_over(turn: Turn, item: ItemView, fields: list[Field], reading: Reading) -> None:
    """An optional question left blank counts as skipped: in a reply that answers the batch (two or more
    of its questions), and always when the client answered a later one. A one-line reply to the first
    question is someone answering one at a time; the rest stay open."""
    touched = reading.touched
    positions = [n for n, f in enumerate(fields) if f.id in touched]
    if not positions:
        return
    last = len(fields) if len(positions) >= 2 else max(positions)
    for f in fields[:last]:
        if not f.required and f.id not in touched and f.type != "file":
            turn.snap.add_skipped(item.id, f.id)


# ---------------------------------------------------------------------------------------- confirming


def readback_batch(turn: Turn, item: ItemView) -> None:
    """One numbered summary; the client corrects by number or confirms with 'passt'."""
    q = turn.q(item)
    values = relevant_answers(q, turn.snap.values(item.id))
    shown = [f for f in visible_fields(q, values) if f.id in values]
    lines = [bt("summary_intro", turn.lang), ""]
    lines += [f"{n}. {turn.shown(f, values[f.id])}" for n, f in enumerate(shown, start=1)]
    lines += ["", bt("summary_question", turn.lang)]
    turn.snap.state.update(item=item.id, phase="confirming", field=None, correcting=None,
                           summary=[f.id for f in shown])
    turn.say("\n".join(lines))


def _reply_lines(text: str) -> list[str]:
    lines = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if line.startswith(">"):
            continue
        if is_end(line):
            break
        if not is_noise(line):
            lines.append(line)
    return lines


def handle_batch_confirm(turn: Turn, item: ItemView, text: str) -> None:
    """``5 ist falsch, richtig ist 12.03.2021`` / ``5: 12.03.2021`` / ``Geburtsdatum: …`` / ``passt``."""
    if turn.snap.state.get("correcting"):
        turn.handle_confirming(item, text)
        return
    q = turn.q(item)
    summary = [q.field(i) for i in turn.snap.state.get("summary") or [] if q.has_field(i)]
    changed: list[str] = []
    problems: list[str] = []
    ask: Field | None = None
    confirm = False
    leftover = []
    for line in _reply_lines(text):
        target, value = _correction_of(turn, q, summary, line, problems)
        if target is None and value is None:
            if _CONFIRM.match(line) and not _DENIAL.search(line):
                confirm = True
            else:
                leftover.append(line)
            continue
        if target is None:
            continue
        if not value:
            ask = ask or target
            continue
        parsed = turn.parse_for(target, value)
        if parsed.ok:
            turn.store(item, target, parsed, line, method="parser")
            changed.append(turn.shown(target, parsed.value))
        else:
            problems.append(f"{target.text('label', turn.lang)}: "
                            f"{error_text(parsed.error or 'invalid', turn.lang, **parsed.params)}")
    _finish_confirm(turn, item, summary, changed=changed, problems=problems, ask=ask, confirm=confirm,
                    leftover=leftover, text=text)


def _correction_of(turn: Turn, q: Questionnaire, summary: list[Field], line: str,
                   problems: list[str]) -> tuple[Field | None, str | None]:
    """(field, new value) a line corrects; (None, '') for a number not in the summary; (None, None) otherwise."""
    m = _CORRECTION.match(line) or _NUMBERED.match(line)
    if m:
        n = int(m.group(1))
        if 1 <= n <= len(summary):
            return summary[n - 1], (m.group("value") or "").strip()
        problems.append(bt("summary_unknown_number", turn.lang, n=n))
        return None, ""
    m = _LABELLED.match(line)
    if m:
        from agent.questionnaire.engine import find_field_by_name

        target = find_field_by_name(q, m.group("label"), turn.lang)
        if target is not None and target in summary:
            return target, m.group("value").strip()
    return None, None


def _complete_now(turn: Turn, item: ItemView) -> bool:
    """Drop answers a correction made irrelevant, then: is every visible required field answered?"""
    q = turn.q(item)
    values = turn.snap.values(item.id)
    for fid in set(values) - set(relevant_answers(q, values)):
        turn.snap.answers[item.id].pop(fid, None)
    return is_complete(q, turn.snap.values(item.id))


def file_field(turn: Turn, item: ItemView, current: Field | None) -> Field | None:
    """The batch's open file question an attachment answers (the current question may be another one)."""
    if current is not None and current.type == "file":
        return current
    values = turn.snap.values(item.id)
    return next((f for f in batch_fields(turn, item) if f.type == "file" and f.id not in values), current)


def _finish_confirm(turn: Turn, item: ItemView, summary: list[Field], *, changed: list[str], problems: list[str],
                    ask: Field | None, confirm: bool, leftover: list[str], text: str) -> None:
    if changed:
        turn.say(bt("changed", turn.lang, items="; ".join(changed)))
    if problems:
        turn.say("\n".join(problems))
    if ask is not None:
        turn.snap.state["correcting"] = ask.id
        n = summary.index(ask) + 1
        turn.say(bt("correction_ask", turn.lang, n=n, label=ask.text("label", turn.lang)))
        return
    if changed or problems:
        if confirm and not problems and _complete_now(turn, item):
            turn.confirm(item)
            return
        turn.after_change(item)  # the summary again (or new questions a changed answer opened)
        return
    if confirm:
        turn.confirm(item)
        return
    if leftover:
        turn.handle_confirming(item, "\n".join(leftover))
        return
    turn.say(bt("summary_which", turn.lang))
