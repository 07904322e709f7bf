"""The merged case file of a request: every document's role slots and the client's answers, with sources
and conflicts.

Slots come from the stored document analyses (``analysis["slots"]``); answers join through the
questionnaire's ``from_document`` declarations (field ``employer_name`` answers slot ``employer.name``).
A slot found in several places keeps every source. Where documents disagree with each other or with
a comparable answer the slot is listed in ``conflicts`` (staff decide, nothing is overwritten); the
value shown is the client's answer when there is one, else the document value with the highest
confidence. The client — the recipient — is never reported as a party.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.store import models as m
from agent.views import CaseEntry
from tools.documents.case_schema import load_schema

__all__ = ["AnswerSlot", "DocumentSlots", "answer_slots", "case_entries", "merge_case", "request_case"]

_PARTY_ROLES = ("opposing_party", "party")
# Answers of these field types read as the same text a slot holds, so they can disagree with a document.
_COMPARABLE = frozenset({"text", "long_text", "date", "address", "iban", "boolean"})


@dataclass(frozen=True)
class DocumentSlots:
    document_id: str
    filename: str
    slots: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class AnswerSlot:
    """A current answer whose field declares ``from_document: <slot>``."""

    slot: str
    item_id: int
    field_id: str
    value: str  # the answer as slot text (ISO date, "street, postcode town", ja/nein, option key)
    method: str
    confirmed: bool
    comparable: bool
    document_id: str | None = None  # the answer was confirmed from this document


def _is_client(slot: dict[str, Any], client_name: str) -> bool:
    name = client_name.strip().casefold()
    return bool(name) and slot.get("role") in _PARTY_ROLES and name in str(slot.get("value", "")).casefold()


def _as_text(field_type: str, value: Any) -> str:
    if field_type == "address" and isinstance(value, Mapping):
        town = " ".join(str(value.get(k) or "") for k in ("postal_code", "city")).strip()
        return ", ".join(p for p in (str(value.get("street") or "").strip(), town) if p)
    if field_type == "boolean" and isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def answer_slots(answers: Iterable[Mapping[str, Any]], items: Iterable[Any],
                 questionnaire: Callable[[str, int | None], Any]) -> list[AnswerSlot]:
    """The request's answers (``request_summary`` rows) that map to case slots by ``from_document``."""
    fields: dict[int, dict[str, Any]] = {}
    for item in items:
        if item.kind != "questionnaire":
            continue
        try:
            q = questionnaire(item.ref, item.version)
        except Exception:  # noqa: BLE001 - a questionnaire removed since: its answers just have no slot
            continue
        fields[item.id] = {f.id: f for f in q.fields if f.from_document}
    out = []
    for row in answers:
        f = fields.get(row["item_id"], {}).get(row["field"])
        if f is None or row.get("value") is None:
            continue
        source = row.get("source") or {}
        out.append(AnswerSlot(f.from_document, row["item_id"], f.id, _as_text(f.type, row["value"]), row["method"],
                              bool(row.get("confirmed")), f.type in _COMPARABLE,
                              source.get("id") if source.get("type") == "document" else None))
    return out


def _norm(value: Any) -> str:
    return " ".join(str(value).split()).casefold()


def merge_case(documents: Iterable[DocumentSlots], client_name: str = "",
               answers: Iterable[AnswerSlot] = ()) -> dict[str, Any]:
    """``{"slots": {slot: {value, sources}}, "conflicts": [{slot, values}]}`` over documents and answers."""
    merged: dict[str, dict[str, Any]] = {}
    for doc in documents:
        for name, slot in (doc.slots or {}).items():
            if not isinstance(slot, dict) or _is_client(slot, client_name):
                continue
            entry = merged.setdefault(name, {"value": slot.get("value"), "sources": [], "_best": -1.0})
            confidence = float(slot.get("confidence") or 0.0)
            entry["sources"].append({
                "type": "document", "document_id": doc.document_id, "filename": doc.filename,
                "value": slot.get("value"), "page": slot.get("page"), "evidence": slot.get("evidence"),
                "method": slot.get("method"), "confidence": confidence,
            })
            if confidence > entry["_best"]:
                entry["value"], entry["_best"] = slot.get("value"), confidence
    for answer in answers:
        entry = merged.setdefault(answer.slot, {"value": answer.value, "sources": [], "_best": -1.0})
        entry["sources"].append({
            "type": "answer", "item_id": answer.item_id, "field": answer.field_id, "value": answer.value,
            "method": answer.method, "confirmed": answer.confirmed, "document_id": answer.document_id,
            "comparable": answer.comparable,
        })
        entry["value"], entry["_best"] = answer.value, 2.0  # the client's own (confirmed) word is shown
    conflicts = []
    for name, entry in merged.items():
        entry.pop("_best")
        compared = [src for src in entry["sources"] if src["type"] == "document" or src.get("comparable")]
        if len({_norm(src["value"]) for src in compared}) > 1:
            conflicts.append({"slot": name, "values": sorted({str(src["value"]) for src in compared})})
    return {"slots": merged, "conflicts": conflicts}


def case_entries(case: Mapping[str, Any]) -> tuple[CaseEntry, ...]:
    """The merged case as plain views for a staff mail: slot, value, where it came from, conflict."""
    conflicts = {c["slot"]: tuple(c["values"]) for c in case.get("conflicts") or []}
    schema = load_schema()
    out = []
    for name, entry in sorted((case.get("slots") or {}).items()):
        documents = tuple((str(src.get("filename") or src.get("document_id")), src.get("page"))
                          for src in entry["sources"] if src["type"] == "document")
        answered = any(src["type"] == "answer" for src in entry["sources"])
        out.append(CaseEntry(name, str(entry.get("value")), documents, answered, conflicts.get(name, ()),
                             schema.labels(name)))
    return tuple(out)


def request_case(s: Session, request_id: str, questionnaire: Callable[[str, int | None], Any]) -> dict[str, Any]:
    """The merged case of one stored request (for the staff mail; request_summary builds it from its rows)."""
    req = s.get(m.Request, request_id)
    if req is None:
        return {"slots": {}, "conflicts": []}
    docs = s.scalars(select(m.Document).where(m.Document.request_id == request_id).order_by(m.Document.created_at))
    rows = s.scalars(select(m.Answer).where(m.Answer.request_id == request_id, m.Answer.superseded_at.is_(None))
                     .order_by(m.Answer.id))
    answers = [{"item_id": r.item_id, "field": r.field_id, "value": r.value, "method": r.method,
                "confirmed": r.confirmed, "source": {"type": r.source_type, "id": r.source_id}} for r in rows]
    return merge_case((DocumentSlots(d.id, d.filename, (d.analysis or {}).get("slots") or {}) for d in docs),
                      req.client.name if req.client is not None else "",
                      answer_slots(answers, req.items, questionnaire))
