"""One turn of the conversation: understand the client's message, then act on it.

Deterministic first: commands, typed parsers and the questionnaire engine decide whatever they
can. The LLM interpreter is asked only when the parsers cannot decide, and everything it
proposes is parsed and validated again by the same code as typed input.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from agent.conversation import batch_flow, proposals
from agent.conversation.clarify import MAX_MISSES, clarifying_question, set_aside_text
from agent.conversation.snapshot import AnswerView, ItemView, Snapshot
from agent.conversation.texts import t
from agent.questionnaire.engine import (
    find_field_by_name,
    is_complete,
    next_field,
    progress,
    relevant_answers,
    validate,
    visible_fields,
)
from agent.questionnaire.model import Field, Questionnaire
from agent.understanding.commands import detect_command
from agent.understanding.errors import error_text
from agent.understanding.formatting import format_value
from agent.understanding.not_an_answer import not_an_answer
from agent.understanding.not_an_answer import reply_for as not_an_answer_reply
from agent.understanding.parsers import Parsed, parse_value

MAX_TEXT = 10_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_LABELLED = re.compile(r"^\s*([^:=\n]{2,60}?)\s*(?::|=|\bist\b|\bis\b)\s*(.+)$", re.IGNORECASE | re.DOTALL)
LLM_OPEN_FIELDS = 6
_CORRECTION_CUES = re.compile(
    r"eigentlich|falsch|korrig|stimmt nicht|nicht mehr|geändert|ändern|statt|sondern|vertan|verschrieben|"
    r"actually|wrong|correct|instead|changed|change|mistake|sorry|typo",
    re.IGNORECASE,
)
_QUESTION_START = re.compile(
    r"^(was|wie|wann|wo|wer|warum|wieso|weshalb|welche[rsnm]?|kann|muss|darf|soll|gibt|ist|sind|habe|"
    r"what|how|when|where|who|why|which|can|could|must|should|do|does|is|are|will)\b",
    re.IGNORECASE,
)


@dataclass
class Reply:
    text: str
    quick_replies: list[str] = field(default_factory=list)
    kind: str = "reply"
    link: str | None = None


@dataclass
class NewAnswer:
    item_id: int
    field_id: str
    value: Any
    raw_text: str
    method: str  # parser | llm | document | upload
    confidence: float = 1.0
    source_type: str = "message"
    source_id: str = ""
    page: int | None = None
    confirmed: bool = False


@dataclass
class ActivityNote:
    kind: str
    summary: str
    data: dict[str, Any] = field(default_factory=dict)
    important: bool = False
    actor: str = "client"


@dataclass
class Outcome:
    replies: list[Reply] = field(default_factory=list)
    answers: list[NewAnswer] = field(default_factory=list)
    confirmed_items: list[int] = field(default_factory=list)
    completed_items: list[int] = field(default_factory=list)
    skipped_items: list[int] = field(default_factory=list)
    activities: list[ActivityNote] = field(default_factory=list)
    sign_links_for: list[int] = field(default_factory=list)


@dataclass
class TurnDeps:
    """What a turn may use besides the snapshot; everything optional stays optional."""

    questionnaire: Callable[[str, int | None], Questionnaire]
    today: date
    interpret: Callable[..., Any] | None = None  # agent.understanding.interpreter.interpret bound to a client
    answer_faq: Callable[[str, str, str], str | None] | None = None  # (question, lang, request id) -> answer
    sign_link: Callable[[ItemView], tuple[str, str] | None] | None = None  # item -> (title, url)
    sign_title: Callable[[ItemView, str], str] | None = None
    batch_max: int = 0  # above 1: ask a section per message (agent.conversation.batch_flow)


def clean_text(text: str) -> tuple[str, bool]:
    """Drop control and bidi characters, normalise, and cap the length; say whether it was cut."""
    text = unicodedata.normalize("NFC", _CONTROL.sub("", text or "")).strip()
    if len(text) > MAX_TEXT:
        return text[:MAX_TEXT], True
    return text, False


def looks_like_question(text: str) -> bool:
    stripped = text.strip()
    return stripped.endswith("?") or bool(_QUESTION_START.match(stripped) and len(stripped.split()) > 2)


class Turn:
    """Works on a snapshot in place and collects what must be saved and sent."""

    def __init__(self, snap: Snapshot, deps: TurnDeps, *, source_id: str) -> None:
        self.snap = snap
        self.deps = deps
        self.lang = snap.lang
        self.source_id = source_id
        self.out = Outcome()

    # ------------------------------------------------------------------ entry points
    def first_message(self) -> Outcome:
        """The greeting and the first question, sent when a request starts."""
        self.say(t("greeting", self.lang, name=self.snap.client_name, firm=self.snap.firm_name))
        self.prompt_next()
        return self.out

    def handle(self, raw_text: str, uploads: list[dict[str, Any]] | None = None,
               full: str | None = None) -> Outcome:
        """``full``: the whole e-mail body with its quotes (answers written under the quoted questions)."""
        text, truncated = clean_text(raw_text)
        if truncated:
            self.say(t("truncated", self.lang))
        pending_before = len(self.snap.state.get("pending") or [])
        if uploads:
            self.take_uploads(uploads)
        item = self.snap.active_item()
        if item is None:
            if text:
                self.note("message_after_done", text[:500], important=True)
                self.say(t("after_done", self.lang, staff=self.staff_name()))
            return self.out
        if not text:
            if not uploads:
                self.say(t("empty_message", self.lang, question=""), kind="reply")
                self.prompt_next(repeat=True)
            else:
                self.prompt_next()
            return self.out

        command = detect_command(text, self.lang)
        if self.snap.state.get("paused"):
            self.snap.state["paused"] = False
            if command in ("resume", None):
                self.say(t("resumed", self.lang))
                if command == "resume":
                    self.prompt_next(repeat=True)
                    return self.out
        if command is not None:
            self.run_command(command, item)
            return self.out
        if self.snap.state.get("pending"):
            if len(self.snap.state["pending"]) > pending_before:  # the text is the upload's caption
                self.prompt_next()
            else:
                self.answer_proposal(text)
            return self.out
        if item.kind == "questionnaire" and batch_flow.on(self):
            if self.snap.state.get("phase") == "confirming":
                batch_flow.handle_batch_confirm(self, item, text)
            else:
                batch_flow.handle_batch(self, item, text, clean_text(full)[0] if full else None)
        elif item.kind == "questionnaire":
            if self.snap.state.get("phase") == "confirming":
                self.handle_confirming(item, text)
            else:
                self.handle_answer(item, text)
        elif item.kind == "upload":
            self.side_or_remind(text, t("upload_waiting", self.lang, label=item.ref))
        else:
            self.side_or_remind(text, None)
        return self.out

    # ------------------------------------------------------------------ questionnaire helpers
    def q(self, item: ItemView) -> Questionnaire:
        return self.deps.questionnaire(item.ref, item.version)

    def staff_name(self) -> str:
        return self.snap.staff_name or t("your_lawyer", self.lang)

    def say(self, text: str, *, quick: list[str] | None = None, kind: str = "reply", link: str | None = None):
        if text:
            self.out.replies.append(Reply(text=text, quick_replies=quick or [], kind=kind, link=link))

    def note(self, kind: str, summary: str, *, important: bool = False, **data: Any) -> None:
        self.out.activities.append(ActivityNote(kind=kind, summary=summary, data=data, important=important))

    def current_field(self, item: ItemView) -> Field | None:
        q = self.q(item)
        values = self.snap.values(item.id)
        fid = self.snap.state.get("field")
        # Compared by id: a Field is a pydantic model, whose == compares every attribute.
        if fid and self.snap.state.get("item") == item.id and any(x.id == fid for x in visible_fields(q, values)):
            return q.field(fid)
        return next_field(q, values, self.snap.skipped(item.id))

    def quick_replies(self, f: Field) -> list[str]:
        if f.type == "boolean":
            return [t("yes", self.lang), t("no", self.lang)]
        if f.type in ("choice", "multi_choice"):
            return [o.labels.get(self.lang) or o.labels.get("de") or o.key for o in f.option_objects()]
        if not f.required:
            return [t("skip", self.lang)]
        return []

    def ask(self, item: ItemView, f: Field, *, prefix: str = "") -> None:
        q = self.q(item)
        values = self.snap.values(item.id)
        visible = visible_fields(q, values)
        ids = [x.id for x in visible]
        position = ids.index(f.id) + 1 if f.id in ids else len(visible)
        question = f.text("question", self.lang)
        text = t("question", self.lang, n=position, total=len(visible), question=question)
        if f.id in values:
            shown = format_value(f.type, values[f.id], self.lang, options=f.option_objects())
            text += " " + t("current_value", self.lang, value=shown)
        self.snap.state["item"] = item.id
        self.snap.state["field"] = f.id
        trail = self.snap.state.setdefault("trail", [])
        if not trail or trail[-1] != f.id:
            trail.append(f.id)
            del trail[:-200]
        self.say((prefix + " " + text).strip(), quick=self.quick_replies(f))

    def readback(self, item: ItemView) -> None:
        if batch_flow.on(self):
            batch_flow.readback_batch(self, item)
            return
        q = self.q(item)
        values = relevant_answers(q, self.snap.values(item.id))
        lines = [t("readback_intro", self.lang)]
        for f in visible_fields(q, values):
            if f.id in values:
                shown = format_value(f.type, values[f.id], self.lang, options=f.option_objects())
                lines.append(f"• {f.text('label', self.lang)}: {shown}")
        lines.append(t("readback_question", self.lang))
        self.snap.state.update(item=item.id, phase="confirming", field=None, correcting=None)
        self.say("\n".join(lines), quick=[t("yes_correct", self.lang), t("change_something", self.lang)])

    def prompt_next(self, *, repeat: bool = False, prefix: str = "") -> None:
        """Say what comes next: the current question, the read-back, an upload or signing request."""
        while True:
            item = self.snap.active_item()
            if item is None:
                self.snap.state.update(phase="done", item=None, field=None)
                self.say(t("all_done", self.lang, staff=self.staff_name()))
                return
            if self.snap.state.get("pending"):
                self.ask_proposal()
                return
            if item.kind == "questionnaire":
                q = self.q(item)
                values = self.snap.values(item.id)
                if self.snap.state.get("phase") == "confirming" and self.snap.state.get("item") == item.id:
                    if self.snap.state.get("correcting"):
                        f = q.field(self.snap.state["correcting"])
                        self.ask(item, f, prefix=prefix)
                        return
                    if is_complete(q, values, self.snap.skipped(item.id)):
                        self.readback(item)
                        return
                f = self.current_field(item)
                if f is None and is_complete(q, values, self.snap.skipped(item.id)):
                    self.readback(item)
                    return
                if f is None:  # only skipped required fields could cause this; ask them again
                    self.snap.state["skipped"].pop(str(item.id), None)
                    f = next_field(q, values, set())
                    if f is None:
                        self.readback(item)
                        return
                if self.snap.state.get("item") != item.id:
                    self.say(q.title.get(self.lang) or q.title.get("de", ""))
                self.snap.state["phase"] = "asking"
                if batch_flow.on(self) and batch_flow.ask_batch(self, item, prefix=prefix):
                    return
                self.ask(item, f, prefix=prefix)
                return
            if item.kind == "upload":
                self.snap.state.update(item=item.id, phase="upload", field=None)
                self.say(t("upload_ask", self.lang, label=item.ref), quick=[t("skip", self.lang)])
                return
            if item.kind == "sign":
                self.snap.state.update(item=item.id, phase="sign", field=None)
                link = self.deps.sign_link(item) if self.deps.sign_link else None
                if link is None:
                    # Signing is not available for this template: staff take over; the client is not stuck.
                    item.status = "skipped"
                    self.out.skipped_items.append(item.id)
                    self.note("sign_unavailable", f"Signing of {item.ref} not available", important=True,
                              item_id=item.id)
                    continue
                title, url = link
                key = "sign_waiting" if repeat else "sign_ask"
                self.say(t(key, self.lang, title=title), kind="sign_link", link=url)
                return
            return

    # ------------------------------------------------------------------ commands
    def run_command(self, command: str, item: ItemView) -> None:
        if command == "stop":
            self.snap.state["paused"] = True
            self.say(t("paused", self.lang))
        elif command == "resume":
            self.prompt_next(repeat=True)
        elif command == "status":
            self.say_status()
            self.prompt_next(repeat=True)
        elif command == "help":
            f = self.current_field(item) if item.kind == "questionnaire" else None
            help_text = f.text("help", self.lang) if f is not None and f.help else ""
            if help_text:
                self.say(t("help_field", self.lang, help=help_text))
            self.say(t("help_generic", self.lang))
            self.prompt_next(repeat=True)
        elif command == "skip":
            self.skip(item)
        elif command == "back":
            self.back(item)

    def say_status(self) -> None:
        answered = total = 0
        missing: list[str] = []
        uploads: list[str] = []
        signs: list[str] = []
        for item in self.snap.items:
            if item.kind == "questionnaire":
                q = self.q(item)
                values = self.snap.values(item.id)
                a, n = progress(q, values, self.snap.skipped(item.id))
                answered, total = answered + a, total + n
                missing += [f.text("label", self.lang) for f in visible_fields(q, values)
                            if f.required and f.id not in values]
            elif item.kind == "upload" and item.status == "open":
                uploads.append(item.ref)
            elif item.kind == "sign" and item.status == "open":
                signs.append(self.deps.sign_title(item, self.lang) if self.deps.sign_title else item.ref)
        self.say(t("status", self.lang, answered=answered, total=total))
        if missing:
            self.say(t("status_missing", self.lang, fields=", ".join(missing[:12])))
        if uploads:
            self.say(t("status_uploads", self.lang, labels=", ".join(uploads)))
        if signs:
            self.say(t("status_sign", self.lang, titles=", ".join(signs)))
        if not (missing or uploads or signs):
            self.say(t("status_done", self.lang))

    def skip(self, item: ItemView) -> None:
        if item.kind == "upload":
            item.status = "skipped"
            self.out.skipped_items.append(item.id)
            self.note("upload_skipped", f"Client has no {item.ref}", important=True, item_id=item.id)
            self.say(t("upload_skipped", self.lang, label=item.ref))
            self.prompt_next()
            return
        if item.kind != "questionnaire" or self.snap.state.get("phase") == "confirming":
            self.prompt_next(repeat=True)
            return
        f = self.current_field(item)
        if f is None:
            self.prompt_next(repeat=True)
            return
        if f.required:
            self.say(t("skip_required", self.lang))
            self.prompt_next(repeat=True)
            return
        self.snap.add_skipped(item.id, f.id)
        self.snap.state["field"] = None
        self.say(t("skipped", self.lang))
        self.prompt_next()

    def back(self, item: ItemView) -> None:
        if item.kind != "questionnaire":
            self.prompt_next(repeat=True)
            return
        trail: list[str] = self.snap.state.setdefault("trail", [])
        current = self.snap.state.get("field")
        if current and trail and trail[-1] == current:
            trail.pop()
        if not trail:
            self.say(t("back_first", self.lang))
            self.prompt_next(repeat=True)
            return
        previous = trail.pop()
        q = self.q(item)
        f = q.field(previous)
        self.snap.remove_skipped(item.id, previous)
        self.snap.state.update(phase="asking", correcting=None)
        self.ask(item, f)

    # ------------------------------------------------------------------ answers
    def parse_for(self, f: Field, text: str) -> Parsed:
        parsed = parse_value(f.type, text, self.lang, options=f.option_objects(), today=self.deps.today)
        if parsed.ok:
            problem = validate(f, parsed.value, self.deps.today)
            if problem is not None:
                code, params = problem
                return Parsed(ok=False, error=code, params=params)
        return parsed

    def store(self, item: ItemView, f: Field, parsed: Parsed, raw: str, *, method: str,
              confidence: float | None = None) -> None:
        self.snap.answers.setdefault(item.id, {})[f.id] = AnswerView(
            value=parsed.value, method=method, confirmed=False, raw_text=raw
        )
        self.snap.remove_skipped(item.id, f.id)
        self.snap.state.get("choice_misses", {}).pop(f.id, None)
        self.out.answers.append(NewAnswer(
            item_id=item.id, field_id=f.id, value=parsed.value, raw_text=raw[:2000], method=method,
            confidence=parsed.confidence if confidence is None else min(confidence, parsed.confidence),
            source_id=self.source_id,
        ))

    def shown(self, f: Field, value: Any) -> str:
        return f"{f.text('label', self.lang)}: {format_value(f.type, value, self.lang, options=f.option_objects())}"

    def handle_answer(self, item: ItemView, text: str) -> None:
        f = self.current_field(item)
        if f is None:
            self.prompt_next()
            return
        if f.type == "file":
            if self.try_labelled_correction(item, text):
                self.after_change(item)
                return
            self.side_or_remind(text, error_text("file.needs_upload", self.lang))
            return
        if f.type in ("text", "long_text") and self.not_an_answer(item, f, text):
            return
        parsed = self.parse_for(f, text)
        # Any sentence "parses" as free text; a long one is more likely several answers or a question.
        wordy = f.type == "text" and (len(text.split()) > 6 or "?" in text)
        if parsed.ok and wordy and self.deps.interpret is None and looks_like_question(text):
            self.side_question(text)
            self.prompt_next(repeat=True)
            return
        if parsed.ok and not ((parsed.confidence < 0.75 or wordy) and self.deps.interpret):
            self.store(item, f, parsed, text, method="parser")
            self.snap.state["field"] = None
            self.after_change(item)
            return
        if self.try_labelled_correction(item, text):
            self.after_change(item)
            return
        if self.deps.interpret is not None and self.try_llm(item, f, text):
            return
        if parsed.ok:  # a fuzzy match the LLM could not improve on: take it, it is read back later
            self.store(item, f, parsed, text, method="parser")
            self.snap.state["field"] = None
            self.after_change(item)
            return
        if looks_like_question(text):
            self.side_question(text)
            self.prompt_next(repeat=True)
            return
        if f.type in ("choice", "multi_choice") and self.clarify_choice(item, f, text):
            return
        self.say(error_text(parsed.error or "invalid", self.lang, **parsed.params))
        self.prompt_next(repeat=True)

    def clarify_choice(self, item: ItemView, f: Field, text: str) -> bool:
        """Second miss: "A or B?"; third: set the field aside for staff instead of asking again."""
        misses = self.snap.state.setdefault("choice_misses", {})
        misses[f.id] = misses.get(f.id, 0) + 1
        if misses[f.id] == 2:
            question, quick = clarifying_question(text, f.option_objects(), self.lang)
            self.say(question, quick=quick)
            return True
        if misses[f.id] >= MAX_MISSES:
            misses.pop(f.id, None)
            self.note("needs_person", f"{f.id}: {text[:500]}", important=True, item_id=item.id, field=f.id)
            self.snap.add_skipped(item.id, f.id)
            self.snap.state["field"] = None
            self.say(set_aside_text(self.lang, self.staff_name()))
            self.prompt_next()
            return True
        return False

    def not_an_answer(self, item: ItemView, f: Field, text: str) -> bool:
        """A greeting, thanks, question or markup is answered, never stored as a text answer."""
        reason = not_an_answer(text, field_id=f.id, long=f.type == "long_text")
        if reason is None:
            return False
        # "Hallo, ich bin Max Weber" is no name but may hold one: the LLM may find it (re-validated).
        if reason == "name" and self.deps.interpret is not None and self.try_llm(item, f, text):
            return True
        if reason == "question":
            self.side_question(text)
        else:
            self.say(not_an_answer_reply(reason, self.lang))
        self.prompt_next(repeat=True)
        return True

    def after_change(self, item: ItemView, noted: list[str] | None = None) -> None:
        if noted:
            self.say(t("noted", self.lang, items="; ".join(noted)))
        q = self.q(item)
        values = self.snap.values(item.id)
        stale = set(values) - set(relevant_answers(q, values))
        for fid in stale:  # a condition flipped: the answer no longer applies, but its row stays in history
            self.snap.answers[item.id].pop(fid, None)
        if self.snap.state.get("phase") == "confirming":
            self.snap.state["correcting"] = None
        self.prompt_next()

    def try_labelled_correction(self, item: ItemView, text: str) -> bool:
        """``Geburtsdatum: 3.4.1980`` changes a named field, whatever is being asked right now."""
        m = _LABELLED.match(text)
        if not m:
            return False
        q = self.q(item)
        target = find_field_by_name(q, m.group(1), self.lang)
        if target is None or target.type == "file":
            return False
        values = self.snap.values(item.id)
        if target not in visible_fields(q, values):
            return False
        parsed = self.parse_for(target, m.group(2))
        if not parsed.ok:
            self.say(error_text(parsed.error or "invalid", self.lang, **parsed.params))
            return False
        changed = target.id in values
        self.store(item, target, parsed, text, method="parser")
        key = "noted_correction" if changed else "noted"
        self.say(t(key, self.lang, items=self.shown(target, parsed.value)))
        if self.snap.state.get("field") == target.id:
            self.snap.state["field"] = None
        return True

    def try_llm(self, item: ItemView, current: Field, text: str) -> bool:
        from agent.understanding.interpreter import FieldBrief

        q = self.q(item)
        values = self.snap.values(item.id)
        visible = visible_fields(q, values)

        def brief(f: Field) -> FieldBrief:
            options = [(o.key, o.labels.get(self.lang) or o.key) for o in f.option_objects()]
            return FieldBrief(id=f.id, type=f.type, label=f.text("label", self.lang),
                              question=f.text("question", self.lang), options=options)

        # Token economy: offer the current question and the next few open ones, and earlier answers only
        # when the client sounds like correcting one (or is reviewing the read-back).
        unanswered = [f for f in visible if f.id not in values and f.type != "file"]
        start = unanswered.index(current) if current in unanswered else 0
        open_fields = (unanswered[start:] + unanswered[:start])[:LLM_OPEN_FIELDS]
        correcting = self.snap.state.get("phase") == "confirming" or bool(_CORRECTION_CUES.search(text))
        answered = [f for f in visible if f.id in values and f.type != "file"] if correcting else []
        result = self.deps.interpret(
            lang=self.lang, current=brief(current), open_fields=[brief(f) for f in open_fields],
            answered=[brief(f) for f in answered], text=text,
        )
        if result is None:
            return False
        noted: list[str] = []
        problems: list[str] = []
        by_id = {f.id: f for f in visible}
        for proposal, allowed in [(p, {f.id for f in open_fields}) for p in result.answers] + [
            (p, {f.id for f in answered}) for p in result.corrections
        ]:
            f = by_id.get(proposal.field_id)
            if f is None or proposal.field_id not in allowed:
                continue
            parsed = self.parse_for(f, proposal.text)
            if not parsed.ok:
                problems.append(f"{f.text('label', self.lang)}: "
                                f"{error_text(parsed.error or 'invalid', self.lang, **parsed.params)}")
                continue
            self.store(item, f, parsed, proposal.quote or text, method="llm", confidence=proposal.confidence)
            noted.append(self.shown(f, parsed.value))
            if self.snap.state.get("field") == f.id:
                self.snap.state["field"] = None
        for problem in problems:
            self.say(problem)
        if result.side_question:
            self.side_question(result.side_question)
        if noted:
            self.after_change(item, noted)
            return True
        if result.side_question:
            self.prompt_next(repeat=True)
            return True
        return bool(problems) and (self.prompt_next(repeat=True) or True)

    def handle_confirming(self, item: ItemView, text: str) -> None:
        q = self.q(item)
        if self.snap.state.get("correcting"):
            f = q.field(self.snap.state["correcting"])
            parsed = self.parse_for(f, text)
            if parsed.ok:
                self.store(item, f, parsed, text, method="parser")
                self.say(t("noted_correction", self.lang, items=self.shown(f, parsed.value)))
                self.after_change(item)
                return
            if self.try_labelled_correction(item, text):
                self.after_change(item)
                return
            self.say(error_text(parsed.error or "invalid", self.lang, **parsed.params))
            self.prompt_next(repeat=True)
            return
        yes_no = parse_value("boolean", text, self.lang)
        if yes_no.ok and yes_no.value is True:
            self.confirm(item)
            return
        if self.try_labelled_correction(item, text):
            self.after_change(item)
            return
        target = find_field_by_name(q, text, self.lang)
        values = self.snap.values(item.id)
        if target is not None and target in visible_fields(q, values):
            self.snap.state["correcting"] = target.id
            self.ask(item, target, prefix=t("correction_ask", self.lang, question="").strip())
            return
        if self.deps.interpret is not None and not (yes_no.ok and yes_no.value is False):
            answered = [f for f in visible_fields(q, values) if f.id in values]
            if answered and self.try_llm(item, answered[0], text):
                return
        if looks_like_question(text) and not (yes_no.ok and yes_no.value is False):
            self.side_question(text)
            self.prompt_next(repeat=True)
            return
        if yes_no.ok and yes_no.value is False or len(text.split()) <= 3:
            labels = [f.text("label", self.lang) for f in visible_fields(q, values) if f.id in values]
            key = "readback_which" if yes_no.ok else "unknown_field"
            self.say(t(key, self.lang, fields=", ".join(labels)))
            return
        self.say(t("readback_which", self.lang))

    def confirm(self, item: ItemView) -> None:
        q = self.q(item)
        for answer in self.snap.answers.get(item.id, {}).values():
            answer.confirmed = True
        item.status = "complete"
        self.out.confirmed_items.append(item.id)
        self.out.completed_items.append(item.id)
        self.snap.state.update(phase="asking", field=None, correcting=None, trail=[])
        title = q.title.get(self.lang) or q.id
        self.note("questionnaire_completed", f"{title} completed and confirmed", important=True,
                  item_id=item.id, questionnaire=q.id)
        self.say(t("questionnaire_done", self.lang, staff=self.staff_name()))
        self.prompt_next()

    # ------------------------------------------------------------------ side questions, uploads, proposals
    def side_question(self, question: str) -> None:
        answer = self.deps.answer_faq(question, self.lang, self.snap.request_id) if self.deps.answer_faq else None
        if answer:
            self.say(t("faq_answer", self.lang, answer=answer))
            self.note("faq_answered", question[:500])
            return
        self.note("needs_person", question[:2000], important=True)
        self.say(t("side_question_forwarded", self.lang, staff=self.staff_name()))

    def side_or_remind(self, text: str, reminder: str | None) -> None:
        if looks_like_question(text):
            self.side_question(text)
        elif reminder:
            self.say(reminder)
        self.prompt_next(repeat=True)

    def take_uploads(self, uploads: list[dict[str, Any]]) -> None:
        """Acknowledge each upload and let it answer an open upload item or a file field."""
        accepted = []
        for up in uploads:
            name = up.get("filename") or "Datei"
            if up.get("error"):
                self.say(t("upload_rejected", self.lang, filename=name, reason=up["error_text"]))
                continue
            self.say(t("upload_duplicate" if up.get("duplicate") else "upload_received", self.lang, filename=name))
            accepted.append(up)
        if not accepted:
            return
        for up in accepted:
            if not up.get("duplicate"):
                self.propose_from_document(up)
        item = self.snap.active_item()
        if item is not None and item.kind == "questionnaire" and self.snap.state.get("phase") != "confirming":
            f = self.current_field(item)
            if batch_flow.on(self):
                f = batch_flow.file_field(self, item, f)
            if f is not None and f.type == "file":
                ids = [u["document_id"] for u in accepted]
                names = ", ".join(u.get("filename") or "Datei" for u in accepted)
                self.store(item, f, Parsed(ok=True, value=ids), names, method="upload")
                self.snap.state["field"] = None
                for up in accepted:
                    up["answered_item"] = item.id
                return
        target = next((i for i in self.snap.items if i.kind == "upload" and i.status == "open"), None)
        if target is not None:
            target.status = "complete"
            self.out.completed_items.append(target.id)
            for up in accepted:
                up["answered_item"] = target.id

    def propose_from_document(self, upload: dict[str, Any]) -> None:
        """Mapped slots become proposals the client confirms; a stored answer is never overwritten."""
        proposals.collect(self, upload)

    def ask_proposal(self) -> None:
        proposals.ask(self)

    def answer_proposal(self, text: str) -> None:
        proposals.answer(self, text)


def total_progress(snap: Snapshot, questionnaire: Callable[[str, int | None], Questionnaire]) -> tuple[int, int]:
    answered = total = 0
    for item in snap.items:
        if item.kind != "questionnaire":
            continue
        q = questionnaire(item.ref, item.version)
        a, n = progress(q, snap.values(item.id), snap.skipped(item.id))
        answered, total = answered + a, total + n
    return answered, total


def request_status(snap: Snapshot) -> str:
    if snap.active_item() is None:
        return "complete"
    return "confirming" if snap.state.get("phase") == "confirming" else "open"
