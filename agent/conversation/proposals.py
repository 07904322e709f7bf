"""Answers proposed from an uploaded document, confirmed by the client in one message (issue 13 item 4).

A questionnaire field declares which case slot may answer it (``from_document: employer.name``). After
an upload every mapped slot the rules filled becomes a *proposal*; the ones that fill empty fields are
shown together ("Ich habe aus Ihrem Schreiben übernommen: Arbeitgeber …, Anschrift … – stimmt das?"),
and the client confirms ("ja", "passt") or corrects ("Datum ist der 3.4."). A proposal that differs
from an answer the client already gave is asked about on its own and never overwrites it unasked.
Confirmed values become answers whose source is the document (id, page, evidence); the extraction
method travels in the activity note, since an answer's ``method`` names how the answer was taken.

Proposals live in ``state["pending"]`` (JSON), so they survive between turns and channels.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from agent.conversation.texts import t
from agent.questionnaire.engine import find_field_by_name, visible_fields
from agent.questionnaire.model import Field
from agent.understanding.errors import error_text
from agent.understanding.formatting import format_value
from agent.understanding.parsers import Parsed, parse_value

if TYPE_CHECKING:
    from agent.conversation.turn import Turn

__all__ = ["answer", "ask", "collect"]

MAX_PENDING = 12
# "Datum ist der 3.4.", "Anschrift: Hauptstr. 1, 10115 Berlin", "the date is 3 April"
_LABELLED = re.compile(r"^\s*(?:(?:die|der|das|the)\s+)?([^:=\n]{2,60}?)\s*(?::|=|\bist\b|\bis\b|\blautet\b)\s*"
                       r"(?:(?:der|die|das|am|the|on)\s+)?(.+?)\s*$", re.IGNORECASE | re.DOTALL)
# Only split on separators that end one correction and start the next ("Datum ist der 3.4.; Anschrift …").
_CLAUSES = re.compile(r"\s*(?:;|\n|\bund\b(?=\s+(?:die|der|das)?\s*\w+\s+(?:ist|lautet)\b)|\band\b(?=\s+(?:the)?"
                      r"\s*\w+\s+is\b))\s*", re.IGNORECASE)
_REST_OK = re.compile(r"\b(sonst|rest|ansonsten|alles andere|otherwise|the rest|everything else)\b", re.IGNORECASE)


def _slot_values(upload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The document's slots, and its plain facts under the same name where no slot was found."""
    found = {name: slot for name, slot in (upload.get("slots") or {}).items() if isinstance(slot, dict)}
    for fact in upload.get("facts") or []:
        if isinstance(fact, dict) and fact.get("name") and fact["name"] not in found:
            found[fact["name"]] = fact
    return found


def collect(turn: Turn, upload: dict[str, Any]) -> None:
    """Turn the upload's slots into pending proposals for every open questionnaire that maps them."""
    slots = _slot_values(upload)
    if not slots:
        return
    pending: list[dict[str, Any]] = turn.snap.state.setdefault("pending", [])
    for item in turn.snap.items:
        if item.kind != "questionnaire" or item.status != "open":
            continue
        q = turn.q(item)
        values = turn.snap.values(item.id)
        parsed: dict[str, tuple[Field, Any, dict[str, Any]]] = {}
        for f in q.fields:
            slot = slots.get(f.from_document or "")
            if slot is None or any(p["field_id"] == f.id and p["item_id"] == item.id for p in pending):
                continue
            result = turn.parse_for(f, str(slot.get("value", "")))
            if result.ok and values.get(f.id) != result.value:
                parsed[f.id] = (f, result.value, slot)
        # A proposal may make a later field visible (kind of dismissal -> its end date): judge both together.
        visible = {f.id for f in visible_fields(q, {**{k: v[1] for k, v in parsed.items()}, **values})}
        for fid, (f, value, slot) in parsed.items():
            if fid not in visible:
                continue
            pending.append({
                "item_id": item.id, "field_id": fid, "value": value, "slot": f.from_document,
                "document_id": upload["document_id"], "document": upload.get("filename") or "",
                "page": slot.get("page"), "quote": str(slot.get("evidence") or "")[:300],
                "method": str(slot.get("method") or ""), "confidence": float(slot.get("confidence") or 0.8),
                "conflict": fid in values,
            })
    del pending[MAX_PENDING:]


def _field(turn: Turn, proposal: dict[str, Any]) -> Field:
    return turn.q(turn.snap.item(proposal["item_id"])).field(proposal["field_id"])


def _shown(turn: Turn, f: Field, value: Any) -> str:
    return format_value(f.type, value, turn.lang, options=f.option_objects())


def _bundle(turn: Turn) -> list[dict[str, Any]]:
    return [p for p in turn.snap.state.get("pending") or [] if not p.get("conflict")]


def _listed(turn: Turn, proposal: dict[str, Any]) -> str:
    f = _field(turn, proposal)
    text = f"{f.text('label', turn.lang)} {_shown(turn, f, proposal['value'])}"
    if proposal.get("slot") == "letter_date" and "date" in f.type:
        # The date printed on the letter standing in for another date (receipt): say where it came from.
        text += " " + t("proposal_is_letter_date", turn.lang)
    return text


def ask(turn: Turn, *, prefix: str = "") -> None:
    """All proposals for empty fields in one message; otherwise the first conflict on its own."""
    bundle = _bundle(turn)
    if bundle:
        listed = ", ".join(_listed(turn, p) for p in bundle)
        names = {p.get("document") for p in bundle}
        key = "proposals_one" if len(names) == 1 and "" not in names else "proposals_many"
        text = t(key, turn.lang, document=next(iter(names)) or "", values=listed)
        turn.say((prefix + " " + text).strip(), quick=[t("proposals_yes", turn.lang), t("no", turn.lang)])
        return
    proposal = turn.snap.state["pending"][0]
    f = _field(turn, proposal)
    new = _shown(turn, f, proposal["value"])
    old = _shown(turn, f, turn.snap.values(proposal["item_id"]).get(f.id))
    text = t("proposal_conflict_ask", turn.lang, document=proposal.get("document", ""),
             label=f.text("label", turn.lang), value=new, old=old)
    turn.say((prefix + " " + text).strip(), quick=[new, old])


def answer(turn: Turn, text: str) -> None:
    if _bundle(turn):
        _answer_bundle(turn, text)
    else:
        _answer_conflict(turn, text)


def _take(turn: Turn, proposal: dict[str, Any], value: Any, *, corrected_by: str | None = None) -> None:
    """Store one proposal as an answer: the document's value with its provenance, or the client's fix."""
    item = turn.snap.item(proposal["item_id"])
    f = _field(turn, proposal)
    if corrected_by is None:
        turn.store(item, f, Parsed(ok=True, value=value), proposal.get("quote", ""), method="document",
                   confidence=proposal.get("confidence", 0.8))
        stored = turn.out.answers[-1]
        stored.source_type, stored.source_id, stored.page = "document", proposal.get("document_id", ""), \
            proposal.get("page")
    else:
        turn.store(item, f, Parsed(ok=True, value=value), corrected_by, method="parser")
        stored = turn.out.answers[-1]
    stored.confirmed = True  # the client has just said so
    turn.snap.answers[item.id][f.id].confirmed = True
    if turn.snap.state.get("field") == f.id:
        turn.snap.state["field"] = None
    turn.note("document_answer", f"{f.id} from {proposal.get('document') or proposal.get('document_id')}",
              item_id=item.id, field=f.id, slot=proposal.get("slot"), document_id=proposal.get("document_id"),
              page=proposal.get("page"), evidence=proposal.get("quote"), method=proposal.get("method"),
              corrected=corrected_by is not None)


def _target(turn: Turn, bundle: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    """The proposal a client names ("Datum", "die Anschrift"); the label's first word breaks a tie."""
    fields = [_field(turn, p) for p in bundle]
    q = turn.q(turn.snap.item(bundle[0]["item_id"])).model_copy(update={"fields": fields})
    f = find_field_by_name(q, name, turn.lang)
    if f is None:
        key = name.strip().casefold()
        starts = [g for g in fields if g.text("label", turn.lang).casefold().startswith(key)]
        f = starts[0] if len(starts) == 1 else None
    return next((p for p in bundle if f is not None and p["field_id"] == f.id), None)


def _corrections(turn: Turn, bundle: list[dict[str, Any]], text: str) -> tuple[int, list[str]]:
    """Apply "label is value" clauses to the bundle; (how many applied, problems to explain)."""
    applied, problems = 0, []
    rest = _REST_OK.search(text)
    for clause in _CLAUSES.split(text[:rest.start()].rstrip(" ,;-–") if rest else text):
        m = _LABELLED.match(clause.strip().rstrip(".!"))
        if not m:
            continue
        proposal = _target(turn, bundle, m.group(1))
        if proposal is None:
            continue
        f = _field(turn, proposal)
        parsed: Parsed = turn.parse_for(f, m.group(2))
        if not parsed.ok:
            problems.append(f"{f.text('label', turn.lang)}: "
                            f"{error_text(parsed.error or 'invalid', turn.lang, **parsed.params)}")
            continue
        proposal.update(value=parsed.value, corrected_by=text[:2000])
        applied += 1
    return applied, problems


def _answer_bundle(turn: Turn, text: str) -> None:
    pending: list[dict[str, Any]] = turn.snap.state["pending"]
    bundle = _bundle(turn)
    applied, problems = _corrections(turn, bundle, text)
    for problem in problems:
        turn.say(problem)
    yes_no = parse_value("boolean", text, turn.lang)
    if applied and not _REST_OK.search(text):
        ask(turn, prefix=t("proposals_corrected", turn.lang))  # show what will be stored, once more
        return
    if applied or (yes_no.ok and yes_no.value is True):
        for proposal in bundle:
            _take(turn, proposal, proposal["value"], corrected_by=proposal.get("corrected_by"))
        pending[:] = [p for p in pending if p not in bundle]
        turn.say(t("proposal_accepted", turn.lang))
        turn.prompt_next()
        return
    if yes_no.ok and yes_no.value is False:
        pending[:] = [p for p in pending if p not in bundle]
        turn.say(t("proposals_rejected", turn.lang))
        turn.prompt_next()
        return
    if not problems:
        if text.rstrip().endswith("?"):
            turn.side_question(text)
        else:
            turn.say(t("proposals_unclear", turn.lang))
    ask(turn)


def _answer_conflict(turn: Turn, text: str) -> None:
    pending: list[dict[str, Any]] = turn.snap.state["pending"]
    proposal = pending[0]
    f = _field(turn, proposal)
    old = turn.snap.values(proposal["item_id"]).get(f.id)
    parsed = turn.parse_for(f, text)
    yes_no = parse_value("boolean", text, turn.lang)
    if parsed.ok and parsed.value == proposal["value"] or (yes_no.ok and yes_no.value is True and f.type != "boolean"):
        pending.pop(0)
        _take(turn, proposal, proposal["value"])
        turn.say(t("proposal_accepted", turn.lang))
    elif parsed.ok and parsed.value == old or (yes_no.ok and yes_no.value is False and f.type != "boolean"):
        pending.pop(0)
        turn.say(t("proposal_kept", turn.lang, value=_shown(turn, f, old)))
    elif parsed.ok and f.type not in ("text", "long_text"):  # a third value: the client's own correction
        pending.pop(0)
        _take(turn, proposal, parsed.value, corrected_by=text)
        turn.say(t("noted_correction", turn.lang, items=turn.shown(f, parsed.value)))
    else:
        turn.say(t("proposal_conflict_unclear", turn.lang))
        ask(turn)
        return
    turn.prompt_next()
