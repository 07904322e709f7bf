"""Understanding a reply to a batch of numbered questions, without an LLM.

People answer a list of questions like a letter. Four styles are read, in this order of trust:

1. inline: answers written under the (quoted or copied) question lines of our mail; the question lines
   are the anchors, so this reads the *full* body with its quote structure, not the stripped reply;
2. numbered: ``1. Erika`` / ``2) Mustermann`` / ``3: 12.5.85`` (the number of the question in our mail);
3. labelled: ``Geburtsdatum: 12.5.85`` (a field's label or alias, matched fuzzily);
4. positional: one answer per line, in questionnaire order, for the questions not answered otherwise.

A greeting, a sign-off, a signature and anything quoted is never an answer. Every value goes through
the caller's ``parse`` (the field's type parser plus its validation rules); what fails is reported back,
never stored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from agent.questionnaire.engine import find_field_by_name
from agent.questionnaire.model import Field, Questionnaire
from agent.understanding.parsers import Parsed

Parse = Callable[[Field, str], Parsed]

_MONTHS = (r"jan|feb|mär|mar|apr|mai|may|jun|jul|aug|sep|okt|oct|nov|dez|dec")
# "1. Erika", "2) Mustermann", "3: 12.5.85", "Nr. 4 - Berlin"; "3. April 1980" is a date, not answer 3.
_NUMBERED = re.compile(
    r"^\s*(?:(?:nr|no|frage|question|q)\.?\s*)?(\d{1,2})\s*(?:\.\s+|\)\s*|:\s+|\s+[-–]\s+)(?P<value>.+)$",
    re.IGNORECASE,
)
_MONTH_START = re.compile(rf"^(?:{_MONTHS})[a-zäöü]*\b", re.IGNORECASE)
_LABELLED = re.compile(r"^\s*(?P<label>[^:=\n]{2,80}?)\s*[:=]\s*(?P<value>.+)$")
_GREETING = re.compile(
    r"^\s*(?:hallo|hi|hey|moin|servus|grüß gott|guten (?:tag|morgen|abend)|sehr geehrte[rs]?|liebe[rs]?|"
    r"dear|hello|good (?:morning|afternoon|evening))\b[^.?]*[,!]?\s*$",
    re.IGNORECASE,
)
_THANKS = re.compile(r"^\s*(?:vielen |herzlichen )?dank(?:e| schön| sehr)?[.!,]?\s*$|^\s*(?:many )?thanks?"
                     r"(?: you| a lot)?[.!,]?\s*$", re.IGNORECASE)
_CLOSING = re.compile(
    r"^\s*(?:(?:mit )?(?:freundlichen|besten|herzlichen|lieben|viele|beste|liebe|herzliche|freundliche|schöne)"
    r"\s+gr(?:ü|ue)(?:ß|ss)(?:en|e)?|gr(?:ü|ue|u)(?:ß|ss)e?|mfg|lg|vg|(?:best|kind|warm) regards|regards|"
    r"best wishes|cheers|sincerely|yours sincerely|yours truly|--\s?|von meinem .{1,40} gesendet|"
    r"gesendet von .{1,40}|sent from my .{1,40}|get outlook for .{1,40})\b[^\n]{0,40}$",
    re.IGNORECASE,
)
_HEADER = re.compile(r"^\s*(?:von|from|gesendet|sent|an|to|betreff|subject|datum|date)\s*:\s", re.IGNORECASE)
_WROTE = re.compile(r"^\s*(?:am|on)\s.+(?:schrieb|wrote)\b.*:?\s*$", re.IGNORECASE)
_STATUS = re.compile(r"^\s*\d+ (?:von|of) \d+ (?:erledigt|done)\b", re.IGNORECASE)
_SKIP = re.compile(r"^\s*(?:-+|–|—|/|überspringen|ueberspringen|skip|entfällt|n/?a|k\.?\s?a\.?|keine angabe|"
                   r"no answer|pass)\s*[.!]?\s*$", re.IGNORECASE)
_ANCHOR_SCORE = 88.0
_OWN_LINE_SCORE = 92.0
_MULTILINE_TYPES = {"long_text": "\n", "address": ", "}


@dataclass
class Found:
    field: Field
    raw: str
    parsed: Parsed
    style: str  # inline | numbered | labelled | positional


@dataclass
class Reading:
    found: list[Found] = field(default_factory=list)  # parsed and valid
    invalid: list[Found] = field(default_factory=list)  # a value was given but does not parse or validate
    skips: list[Field] = field(default_factory=list)  # "-", "überspringen" written for a question
    unassigned: list[str] = field(default_factory=list)  # lines that fit no open question
    questions: list[str] = field(default_factory=list)  # side questions asked in the reply

    @property
    def touched(self) -> set[str]:
        return {f.field.id for f in self.found + self.invalid} | {f.id for f in self.skips}


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s?]", " ", text)).strip()


def _unquote(line: str) -> tuple[bool, str]:
    stripped = line.lstrip()
    if not stripped.startswith(">"):
        return False, line.strip()
    return True, re.sub(r"^(?:\s*>)+\s?", "", stripped).strip()


def is_noise(line: str) -> bool:
    """A greeting, a thank-you, an intro line ('Hier meine Antworten:') or an empty line: never an answer."""
    text = line.strip()
    if not text:
        return True
    if len(text.split()) <= 6 and (_GREETING.match(text) or _THANKS.match(text)):
        return True
    return text.endswith(":") and len(text.split()) <= 8


def is_end(line: str) -> bool:
    """A sign-off, a signature delimiter or the header of an earlier mail: the client's answers end here."""
    text = line.strip()
    return bool(_CLOSING.match(text) or _HEADER.match(text) or _WROTE.match(text) or _STATUS.match(text))


def _anchor(content: str, fields: Sequence[Field], lang: str) -> int | None:
    """Index of the batch question this (quoted or copied) line is, or None."""
    m = re.match(r"^(\d{1,2})\.\s+(.*)$", content)
    if not m:
        return None
    n = int(m.group(1))
    if not 1 <= n <= len(fields):
        return None
    asked = _norm(fields[n - 1].text("question", lang))
    given = _norm(m.group(2))
    if len(given) < 8:
        return None
    # A long question may be wrapped by the mail program: compare with the start of it.
    score = fuzz.ratio(given, asked[: len(given)])
    return n - 1 if score >= _ANCHOR_SCORE or given.startswith(asked) else None


def _own_lines(own: Sequence[str]) -> list[str]:
    return [_norm(line) for line in own if _norm(line)]


def _is_own(content: str, own: list[str]) -> bool:
    text = _norm(content)
    return bool(text) and any(fuzz.ratio(text, line) >= _OWN_LINE_SCORE for line in own)


def read_inline(full: str, fields: Sequence[Field], lang: str,
                own: Sequence[str] = ()) -> tuple[dict[int, list[str]], list[str]]:
    """Client lines under each question line: ({batch index: lines}, the client lines used)."""
    segments: dict[int, list[str]] = {}
    used: list[str] = []
    own_norm = _own_lines(own)
    current: int | None = None
    for line in (full or "").replace("\r\n", "\n").split("\n")[:5000]:
        quoted, content = _unquote(line)
        index = _anchor(content, fields, lang)
        if index is not None:
            current = index
            continue
        if quoted or current is None:
            continue  # our own mail, or the client's text above the quote (read from the stripped reply)
        if is_end(content):
            current = None
            continue
        if is_noise(content) or _is_own(content, own_norm):
            continue
        segments.setdefault(current, []).append(content)
        used.append(content)
    return segments, used


def _join(f: Field, lines: list[str]) -> str:
    return _MULTILINE_TYPES.get(f.type, " ").join(lines).strip()


@dataclass
class _Marked:
    field: Field
    lines: list[str]
    style: str


def _numbered(line: str, fields: Sequence[Field]) -> tuple[Field, str] | None:
    m = _NUMBERED.match(line)
    if not m:
        return None
    n, value = int(m.group(1)), m.group("value").strip()
    if not 1 <= n <= len(fields) or (line.lstrip()[len(m.group(1)):].lstrip().startswith(".")
                                     and _MONTH_START.match(value)):
        return None
    return fields[n - 1], value


def _labelled(line: str, q: Questionnaire, allowed: dict[str, Field], lang: str) -> tuple[Field, str] | None:
    m = _LABELLED.match(line)
    if not m:
        return None
    target = find_field_by_name(q, m.group("label"), lang)
    if target is None:
        label = _norm(m.group("label"))
        target = next((f for f in allowed.values() if _norm(f.text("question", lang)) == label), None)
    if target is None or target.id not in allowed:
        return None
    return allowed[target.id], m.group("value").strip()


def _strip_own_label(f: Field, value: str, lang: str) -> str:
    """``1. Vorname: Erika`` → ``Erika`` (the client repeated the label after the number)."""
    m = _LABELLED.match(value)
    if m and fuzz.ratio(_norm(m.group("label")), _norm(f.text("label", lang))) >= 85:
        return m.group("value").strip()
    return value


def _continues(last: _Marked | None, parse: Parse) -> bool:
    """A plain line after a marked long answer belongs to it; after an address only while it is incomplete."""
    if last is None or last.field.type not in _MULTILINE_TYPES:
        return False
    return last.field.type == "long_text" or not parse(last.field, _join(last.field, last.lines)).ok


def _classify(lines: list[str], fields: Sequence[Field], q: Questionnaire, allowed: dict[str, Field],
              lang: str, parse: Parse) -> tuple[list[_Marked], list[str], list[str]]:
    """Top-part lines → (marked answers, plain lines in order, side questions)."""
    marked: list[_Marked] = []
    plain: list[str] = []
    questions: list[str] = []
    last: _Marked | None = None
    for line in lines:
        hit = _numbered(line, fields)
        style = "numbered"
        if hit is None:
            hit, style = _labelled(line, q, allowed, lang), "labelled"
        if hit is not None:
            f, value = hit
            last = _Marked(f, [_strip_own_label(f, value, lang)], style)
            marked.append(last)
            continue
        if _continues(last, parse):
            last.lines.append(line.strip())  # a long answer or an address over several lines
            continue
        last = None
        if line.strip().endswith("?"):
            questions.append(line.strip())
            continue
        plain.append(line.strip())
    return marked, plain, questions


def _top_lines(text: str, used: list[str], fields: Sequence[Field], lang: str, own: list[str]) -> list[str]:
    remaining = list(used)
    lines: list[str] = []
    for raw in (text or "").replace("\r\n", "\n").split("\n"):
        quoted, content = _unquote(raw)
        if quoted or _anchor(content, fields, lang) is not None or _is_own(content, own):
            continue  # quoted, or a copy of our question lines
        if content in remaining:
            remaining.remove(content)  # already read as an inline answer
            continue
        if is_end(content):
            break
        if not is_noise(content):
            lines.append(content)
    return lines


def read_batch_reply(text: str, full: str | None, fields: Sequence[Field], q: Questionnaire, lang: str,
                     parse: Parse, *, visible: Sequence[Field] = (), own: Sequence[str] = ()) -> Reading:
    """Read ``text`` (the stripped reply) and ``full`` (the body with quotes) against the numbered ``fields``.
    ``visible`` are the fields a labelled line may name (default: the batch); ``own`` are the lines of our
    mail, so that a copy of them without quote marks is not taken for an answer."""
    allowed = {f.id: f for f in (visible or fields) if f.type != "file"}
    allowed.update({f.id: f for f in fields if f.type != "file"})
    segments, used = read_inline(full or "", fields, lang, own) if full else ({}, [])
    marked = [_Marked(fields[i], lines, "inline") for i, lines in sorted(segments.items())]
    more, plain, questions = _classify(_top_lines(text, used, fields, lang, _own_lines(own)), fields, q, allowed,
                                       lang, parse)
    marked += more
    reading = Reading(questions=questions)
    for item in marked:
        _take(reading, item.field, _join(item.field, item.lines), item.style, parse)
    open_fields = [f for f in fields if f.id not in reading.touched and f.type != "file"]
    for f, line in zip(open_fields, plain, strict=False):
        _take(reading, f, line, "positional", parse)
    reading.unassigned = plain[len(open_fields):]
    return reading


def _take(reading: Reading, f: Field, value: str, style: str, parse: Parse) -> None:
    if f.id in reading.touched:
        return  # the first (most explicit) answer to a question wins
    if _SKIP.match(value):
        reading.skips.append(f)
        return
    parsed = parse(f, value)
    (reading.found if parsed.ok else reading.invalid).append(Found(f, value, parsed, style))
