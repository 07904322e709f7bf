"""The request detail as frozen views: answers by questionnaire with provenance, documents with facts
and deadlines, signed documents with their audit summary, and one timeline across channels."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.store import models as m
from agent.store.db import Database
from agent.store.staff_tables import RequestPause

HELD = "held"  # an inbound message kept while staff had taken the request over


@dataclass(frozen=True)
class AnswerRow:
    field_id: str
    label: str
    value: str
    raw: str
    source_type: str
    source_id: str
    page: int | None
    method: str
    confidence: float
    confirmed: bool
    preview: str = ""  # URL of the PNG of the document page it was read from (boxed where known)


@dataclass(frozen=True)
class QuestionnaireBlock:
    item_id: int
    title: str
    status: str
    answers: tuple[AnswerRow, ...]


@dataclass(frozen=True)
class Fact:
    name: str
    value: str
    page: int | None
    evidence: str
    preview: str = ""


@dataclass(frozen=True)
class Deadline:
    kind: str
    due_date: str
    basis: str
    evidence: str
    needs_confirmation: bool


@dataclass(frozen=True)
class DocumentRow:
    id: str
    filename: str
    doc_type: str
    origin: str
    size: int
    created_at: datetime
    facts: tuple[Fact, ...]
    deadlines: tuple[Deadline, ...]
    signing: tuple[tuple[str, str], ...]  # the audit summary of a signed document, (label key, value)


@dataclass(frozen=True)
class ItemRow:
    id: int
    kind: str
    ref: str
    status: str


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    who: str  # client | agent | staff
    name: str
    channel: str
    text: str
    attachments: tuple[str, ...]
    held: bool
    subject: str = ""


@dataclass(frozen=True)
class RequestDetail:
    id: str
    client_name: str
    client_email: str
    status: str
    lang: str
    staff_name: str
    created_at: datetime
    items: tuple[ItemRow, ...]
    questionnaires: tuple[QuestionnaireBlock, ...]
    documents: tuple[DocumentRow, ...]
    signed: tuple[DocumentRow, ...]
    timeline: tuple[TimelineEntry, ...]
    paused_by: str | None
    channel: str


Labeller = Callable[[str, int | None, str], tuple[str, dict[str, str]]]  # (qid, version, lang) -> title, labels


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


Box = tuple[float, float, float, float]


def preview_url(request_id: str, document_id: str, page: int | None, box: Box | None) -> str:
    url = f"/staff/requests/{request_id}/files/{document_id}/pages/{int(page or 1)}.png"
    return f"{url}?box={','.join(f'{v:g}' for v in box)}" if box else url


def _box(value: Any) -> Box | None:
    if isinstance(value, list | tuple) and len(value) == 4 and all(isinstance(v, int | float) for v in value):
        return float(value[0]), float(value[1]), float(value[2]), float(value[3])
    return None


class Evidence:
    """Where on a page a document's slots were read, so a fact or an answer taken from it can be framed.

    Slots carry a bbox, facts and answers only page and evidence line: they are matched on (page, line),
    or for a fact on its slot's name."""

    def __init__(self, docs: list[m.Document]) -> None:
        self.by_line: dict[tuple[str, int, str], Box] = {}
        self.by_name: dict[tuple[str, str], tuple[int, Box]] = {}
        for d in docs:
            for name, slot in ((d.analysis or {}).get("slots") or {}).items():
                box, page = _box(slot.get("bbox")), slot.get("page")
                if box is None or not isinstance(page, int):
                    continue
                self.by_line.setdefault((d.id, page, str(slot.get("evidence") or "")[:300]), box)
                self.by_name.setdefault((d.id, str(name)), (page, box))

    def box(self, document_id: str, page: int | None, evidence: str, name: str = "") -> Box | None:
        if page is None:
            return None
        found = self.by_line.get((document_id, page, (evidence or "")[:300]))
        if found is None and name:
            named = self.by_name.get((document_id, name))
            found = named[1] if named and named[0] == page else None
        return found


def _answers(s: Session, req: m.Request, labeller: Labeller, lang: str,
             evidence: Evidence) -> tuple[QuestionnaireBlock, ...]:
    rows = list(s.scalars(select(m.Answer).where(m.Answer.request_id == req.id, m.Answer.superseded_at.is_(None))
                          .order_by(m.Answer.id)))
    blocks = []
    for item in req.items:
        if item.kind != "questionnaire":
            continue
        title, labels = labeller(item.ref, item.version, lang)
        order = {fid: n for n, fid in enumerate(labels)}
        mine = sorted((a for a in rows if a.item_id == item.id), key=lambda a: order.get(a.field_id, 999))
        blocks.append(QuestionnaireBlock(item.id, title, item.status, tuple(AnswerRow(
            field_id=a.field_id, label=labels.get(a.field_id, a.field_id), value=_shown(a.value), raw=a.raw_text,
            source_type=a.source_type, source_id=a.source_id, page=a.page, method=a.method,
            confidence=float(a.confidence), confirmed=bool(a.confirmed),
            preview=preview_url(req.id, a.source_id, a.page, evidence.box(a.source_id, a.page, a.raw_text))
            if a.source_type == "document" and a.source_id else "") for a in mine)))
    return tuple(blocks)


def _fact(d: m.Document, f: dict[str, Any], evidence: Evidence) -> Fact:
    name, page, line = str(f.get("name", "")), f.get("page"), str(f.get("evidence") or "")
    page = page if isinstance(page, int) and page > 0 else None
    preview = preview_url(d.request_id, d.id, page, evidence.box(d.id, page, line, name)) if page else ""
    return Fact(name, _shown(f.get("value")), page, line, preview)


def _document(d: m.Document, evidence: Evidence) -> DocumentRow:
    analysis = d.analysis or {}
    facts = tuple(_fact(d, f, evidence) for f in analysis.get("facts", []))
    deadlines = tuple(Deadline(str(x.get("kind", "")), str(x.get("due_date", "")), str(x.get("basis", "")),
                               str(x.get("evidence") or ""), bool(x.get("needs_confirmation")))
                      for x in analysis.get("deadlines", []))
    sig = analysis.get("signing") or {}
    signing: tuple[tuple[str, str], ...] = ()
    if d.origin == "signed":
        signing = (("template", f"{sig.get('template', '')} v{sig.get('template_version', '')}"),
                   ("legal_form", str(sig.get("legal_form", ""))), ("sha256", d.sha256),
                   ("shown_sha256", str(sig.get("shown_sha256", ""))), ("signed_at", d.created_at.isoformat()),
                   ("needs_original", "yes" if sig.get("needs_original") else "no"))
    return DocumentRow(id=d.id, filename=d.filename, doc_type=d.doc_type or "", origin=d.origin, size=d.size,
                       created_at=d.created_at, facts=facts, deadlines=deadlines, signing=signing)


def _timeline(s: Session, request_id: str) -> tuple[TimelineEntry, ...]:
    entries: list[tuple[datetime, int, TimelineEntry]] = []
    for row in s.scalars(select(m.InboundRecord).where(m.InboundRecord.request_id == request_id)):
        names = tuple(str(a.get("filename", "")) for a in row.attachments or [])
        subject = str((row.meta or {}).get("subject") or "")[:300]
        entries.append((row.received_at, 0, TimelineEntry(row.received_at, "client", "", row.channel, row.text,
                                                          names, row.status == HELD, subject)))
    for row in s.scalars(select(m.OutboxRow).where(m.OutboxRow.request_id == request_id,
                                                   m.OutboxRow.kind != "notification")):
        body = row.body or {}
        staff = str(body.get("staff") or "")
        entries.append((row.created_at, 1, TimelineEntry(row.created_at, "staff" if staff else "agent", staff,
                                                         row.channel, str(body.get("text", "")),
                                                         tuple(str(a.get("filename", ""))
                                                               for a in body.get("attachments", [])), False)))
    for note in s.scalars(select(m.Activity).where(m.Activity.request_id == request_id,
                                                   m.Activity.kind == "item_added")):  # staff changed the items
        entries.append((note.created_at, 2, TimelineEntry(note.created_at, "staff", str((note.data or {})
                                                          .get("staff") or ""), "–", note.summary, (), False)))
    entries.sort(key=lambda e: (e[0], e[1]))
    return tuple(e[2] for e in entries)


def current_channel(s: Session, request_id: str) -> tuple[str, str] | None:
    """(channel, address) the client last wrote from; before any message, where the opening went."""
    inbound = s.execute(select(m.InboundRecord.channel, m.InboundRecord.sender)
                        .where(m.InboundRecord.request_id == request_id,
                               m.InboundRecord.status.notin_(("quarantined", "rejected", "ignored")))
                        .order_by(m.InboundRecord.id.desc()).limit(1)).first()
    if inbound is not None:
        return inbound[0], inbound[1]
    opening = s.execute(select(m.OutboxRow.channel, m.OutboxRow.address)
                        .where(m.OutboxRow.request_id == request_id, m.OutboxRow.kind != "notification")
                        .order_by(m.OutboxRow.id).limit(1)).first()
    return (opening[0], opening[1]) if opening is not None else None


def request_detail(db: Database, request_id: str, labeller: Labeller, lang: str) -> RequestDetail | None:
    with db.read() as s:
        req = s.get(m.Request, request_id)
        if req is None:
            return None
        stored = list(s.scalars(select(m.Document).where(m.Document.request_id == request_id)
                                .order_by(m.Document.created_at)))
        evidence = Evidence(stored)
        docs = [_document(d, evidence) for d in stored]
        pause = s.get(RequestPause, request_id)
        paused_by = None
        if pause is not None:
            who = s.get(m.Staff, pause.staff_id)
            paused_by = who.name if who else "?"
        channel = current_channel(s, request_id)
        return RequestDetail(
            id=req.id, client_name=req.client.name, client_email=req.client.email or "", status=req.status,
            lang=req.lang, staff_name=req.staff.name if req.staff else "", created_at=req.created_at,
            items=tuple(ItemRow(i.id, i.kind, i.ref, i.status) for i in req.items),
            questionnaires=_answers(s, req, labeller, lang, evidence),
            documents=tuple(d for d in docs if d.origin != "signed"),
            signed=tuple(d for d in docs if d.origin == "signed"),
            timeline=_timeline(s, request_id), paused_by=paused_by, channel=channel[0] if channel else "")


def document_of(db: Database, request_id: str | None, document_id: str) -> m.Document | None:
    with db.read() as s:
        doc = s.get(m.Document, document_id[:32])
        if doc is None or (request_id is not None and doc.request_id != request_id):
            return None
        s.expunge(doc)
        return doc
