"""The staff notifier's scan: important activity not yet told, per responsible staff member, as views.

One pass is one transaction: read the due activity, let the channel compose its mails from plain views
(``compose``), queue them as notification outbox rows and set ``notified_at`` — so nothing is told
twice or lost. The scan also looks up what composing needs (document names, the quarantined message,
a completed questionnaire's answers with their sources), so the channel never reads the database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.case_file import case_entries, request_case
from agent.store import models as m
from agent.views import ActivityView, AnswerFact, ItemBrief, NotificationDraft, StaffBatch, StaffView

MAX_PER_PASS = 500
Compose = Callable[[StaffBatch], Iterable[NotificationDraft]]
Questionnaires = Callable[[str, int | None], Any]


def notification_pass(s: Session, default_staff_email: str, compose: Compose, *, channel: str,
                      digest_minutes: int, now: datetime, questionnaire: Questionnaires | None = None) -> int:
    """Queue the notifications that are due; returns how many rows were written."""
    acts = list(s.scalars(select(m.Activity).where(m.Activity.important.is_(True), m.Activity.notified_at.is_(None))
                          .order_by(m.Activity.id).limit(MAX_PER_PASS)))
    if not acts:
        return 0
    default_staff = s.scalars(select(m.Staff).where(m.Staff.email == default_staff_email)).first()
    by_staff: dict[int, list[m.Activity]] = defaultdict(list)
    staff_rows: dict[int, m.Staff] = {}
    requests: dict[str, m.Request] = {}
    for act in acts:
        req = requests.get(act.request_id) if act.request_id else None
        if act.request_id and req is None:
            req = s.get(m.Request, act.request_id)
            if req is not None:
                requests[req.id] = req
        staff = req.staff if req is not None and req.staff is not None else default_staff
        if staff is None:
            act.notified_at = now  # nobody to tell: the activity log still has it
            continue
        staff_rows[staff.id] = staff
        by_staff[staff.id].append(act)
    names = {rid: req.client.name for rid, req in requests.items() if req.client is not None}
    queued = 0
    window = timedelta(minutes=digest_minutes)
    for staff_id, items in by_staff.items():
        if digest_minutes > 0 and now - min(a.created_at for a in items) < window:
            continue  # the digest window of this staff member is still open
        staff = staff_rows[staff_id]
        batch = StaffBatch(StaffView(staff.id, staff.name, staff.email),
                           tuple(_view(s, a, questionnaire) for a in items), names)
        for draft in compose(batch):
            s.add(m.OutboxRow(message_id=draft.message_id[:200], request_id=draft.request_id, channel=channel,
                              address=staff.email, kind="notification",
                              body={"text": draft.text, "quick_replies": [], "meta": dict(draft.meta)}))
            queued += 1
        for act in items:
            act.notified_at = now
    return queued


def _view(s: Session, act: m.Activity, questionnaire: Questionnaires | None = None) -> ActivityView:
    data = dict(act.data or {})
    view = ActivityView(act.id, act.request_id, act.kind, act.summary, data, act.created_at)
    if act.kind == "upload" and data.get("document_id"):
        return _with_document(s, view, data["document_id"])
    if act.kind == "quarantined":
        inbound = s.get(m.InboundRecord, data.get("inbound_id") or -1)
        if inbound is None:
            return view
        return replace(view, sender=inbound.sender, subject=(inbound.meta or {}).get("subject") or "",
                        reason=(inbound.result or {}).get("reason") or act.summary)
    if act.kind == "questionnaire_completed":
        item = s.get(m.RequestItem, data.get("item_id") or -1)
        if item is None:
            return view
        rows = s.scalars(select(m.Answer).where(m.Answer.item_id == item.id, m.Answer.superseded_at.is_(None))
                         .order_by(m.Answer.id))
        # The staff mail shows the merged case file too (documents and answers, conflicts marked).
        case = case_entries(request_case(s, act.request_id, questionnaire)) if act.request_id and questionnaire else ()
        return replace(view, item=ItemBrief(item.id, item.kind, item.ref, item.version, item.status),
                        answers=tuple(_answer(s, row) for row in rows), case=case)
    if act.kind == "document_signed" and act.request_id:
        # The signing flow writes its own staff mail (with the signed PDF): do not tell twice.
        told = s.scalars(select(m.OutboxRow.id).where(
            m.OutboxRow.request_id == act.request_id, m.OutboxRow.kind == "notification",
            m.OutboxRow.message_id.like(f"{act.request_id}.signed.%.staff"))).first() is not None
        return replace(view, told_by_signing=told)
    return view


def _with_document(s: Session, view: ActivityView, document_id: str) -> ActivityView:
    doc = s.get(m.Document, document_id)
    if doc is None:
        return view
    label = None
    if doc.item_id is not None:
        item = s.get(m.RequestItem, doc.item_id)
        label = item.ref if item is not None and item.kind == "upload" else None
    return replace(view, document_name=doc.filename, upload_label=label)


def _answer(s: Session, row: m.Answer) -> AnswerFact:
    fact = AnswerFact(row.field_id, row.value, row.method, row.source_type, row.source_id, row.page)
    if row.source_type == "document":
        doc = s.get(m.Document, row.source_id)
        return replace(fact, document_name=doc.filename) if doc is not None else fact
    if row.source_id.startswith("msg:") and row.source_id[4:].isdigit():
        inbound = s.get(m.InboundRecord, int(row.source_id[4:]))
        if inbound is not None:
            return replace(fact, message_channel=inbound.channel, message_at=inbound.received_at)
    return fact

