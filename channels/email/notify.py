"""Staff hear about important activity by e-mail: immediately (``MANDAT_NOTIFY_DIGEST_MINUTES=0``) or
as one digest per staff member per window. A questionnaire's completion summary (the table of answers
with their sources) always goes out on its own.

One pass: read important activity not yet notified, group it per responsible staff member, write
notification outbox rows and set ``notified_at`` — one transaction, so nothing is told twice or lost.
Notification rows go to staff addresses only and never count against a client's reply cap.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agent.service import Mandat
from agent.store import models as m
from agent.understanding.formatting import format_value
from channels.email.templates import EmailTemplates, TemplateProblem

log = logging.getLogger(__name__)

UPLOAD_KINDS = ("upload", "upload_rejected", "attachments_skipped")
NEEDS_PERSON = {
    "needs_person": {"de": "Eine Frage, die der Assistent nicht beantworten kann",
                     "en": "A question the assistant cannot answer"},
    "deadline": {"de": "Frist in einem Dokument gefunden", "en": "Deadline found in a document"},
    "prompt_injection": {"de": "Dokument enthält Anweisungen an eine KI (als Daten behandelt)",
                         "en": "Document contains instructions aimed at an AI (treated as data)"},
    "message_after_done": {"de": "Nachricht nach Abschluss der Anfrage", "en": "Message after the request was done"},
    "upload_skipped": {"de": "Mandant hat eine Unterlage nicht", "en": "Client does not have a document"},
    "sign_unavailable": {"de": "Unterschrift nicht möglich", "en": "Signing not available"},
    "reply_capped": {"de": "Antwortlimit erreicht – Antwort nicht gesendet",
                     "en": "Reply cap reached – reply not sent"},
    "processing_error": {"de": "Fehler bei der Verarbeitung", "en": "Processing error"},
}
_SOURCE = {
    "de": {"email": "E-Mail vom {at}", "webchat": "Chat am {at}", "telegram": "Telegram am {at}",
           "other": "Nachricht vom {at}", "document": "{name}", "page": "{name}, S. {page}", "opening": "Anfrage"},
    "en": {"email": "e-mail of {at}", "webchat": "chat on {at}", "telegram": "Telegram on {at}",
           "other": "message of {at}", "document": "{name}", "page": "{name}, p. {page}", "opening": "request"},
}
_MAX_PER_PASS = 500


class StaffNotifier:
    def __init__(self, service: Mandat, templates: EmailTemplates | None = None,
                 digest_minutes: int | None = None):
        self.service = service
        self.templates = templates or EmailTemplates(service.settings.firm_dir)
        self.digest_minutes = (service.settings.notify_digest_minutes if digest_minutes is None
                               else digest_minutes)
        self.lang = service.firm.default_language if service.firm.default_language in ("de", "en") else "de"

    def link(self, request_id: str | None) -> str | None:
        return f"{self.service.settings.public_url}/api/requests/{request_id}" if request_id else None

    # ------------------------------------------------------------------ one pass
    def run_once(self, now: datetime | None = None) -> int:
        """Write the notifications that are due; returns how many mails were queued."""
        now = now or datetime.now(UTC)
        try:
            with self.service.db.write() as s:
                queued = self._pass(s, now)
        except IntegrityError:  # another worker queued the same notification first
            return 0
        if queued:
            self.service.outbox.wake()
        return queued

    def _pass(self, s: Session, now: datetime) -> int:
        acts = list(s.scalars(select(m.Activity).where(m.Activity.important.is_(True),
                                                       m.Activity.notified_at.is_(None))
                              .order_by(m.Activity.id).limit(_MAX_PER_PASS)))
        if not acts:
            return 0
        default_staff = s.scalars(select(m.Staff).where(
            m.Staff.email == str(self.service.firm.staff[0].email))).first()
        by_staff: dict[int, list[m.Activity]] = defaultdict(list)
        staff_rows: dict[int, m.Staff] = {}
        requests: dict[str, m.Request] = {}
        for act in acts:
            req = requests.get(act.request_id) if act.request_id else None
            if act.request_id and req is None:
                req = s.get(m.Request, act.request_id)
                if req is not None:
                    requests[req.id] = req
            staff = (req.staff if req is not None and req.staff is not None else default_staff)
            if staff is None:
                act.notified_at = now  # nobody to tell: the activity log still has it
                continue
            staff_rows[staff.id] = staff
            by_staff[staff.id].append(act)
        queued = 0
        window = timedelta(minutes=self.digest_minutes)
        for staff_id, items in by_staff.items():
            if self.digest_minutes > 0 and now - min(a.created_at for a in items) < window:
                continue  # the digest window of this staff member is still open
            staff = staff_rows[staff_id]
            for message_id, request_id, text, meta in self._mails(s, staff, items, requests):
                s.add(m.OutboxRow(message_id=message_id[:200], request_id=request_id, channel="email",
                                  address=staff.email, kind="notification",
                                  body={"text": text, "quick_replies": [], "meta": meta}))
                queued += 1
            for act in items:
                act.notified_at = now
        return queued

    # ------------------------------------------------------------------ composing
    def _render(self, name: str, context: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        values = {"firm_name": self.service.firm.name, "brand_color": _brand_colour(self.service), **context}
        try:
            r = self.templates.render(name, self.lang, values)
        except TemplateProblem:
            log.exception("staff template %s is broken; sending plain text", name)
            lines = [f"{k}: {v}" for k, v in context.items() if isinstance(v, str | int) and v]
            return "\n".join(lines) + "\n", {"subject": f"{self.service.firm.name}: {name}"}
        return r.text, {"subject": r.subject, "html": r.html, "lang": r.lang}

    def _mails(self, s: Session, staff: m.Staff, items: list[m.Activity],
               requests: dict[str, m.Request]) -> list[tuple[str, str | None, str, dict[str, Any]]]:
        out: list[tuple[str, str | None, str, dict[str, Any]]] = []
        base = {"staff_name": staff.name}
        key = f"notify.{staff.id}"
        rest: list[m.Activity] = []
        for act in items:
            if act.kind == "questionnaire_completed":
                req = requests.get(act.request_id or "")
                ctx = self._questionnaire_context(s, req, act) if req is not None else None
                if ctx is not None:
                    text, meta = self._render("notify_questionnaire_completed", {**base, **ctx})
                    out.append((f"{key}.{act.id}.q", act.request_id, text, meta))
                    continue
            if act.kind == "document_signed" and self._signing_told_staff(s, act):
                continue
            rest.append(act)
        if not rest:
            return out
        if self.digest_minutes > 0:
            text, meta = self._render("notify_digest", {**base, "activities": [
                self._digest_entry(a, requests) for a in rest]})
            out.append((f"{key}.{rest[0].id}.digest", None, text, meta))
            return out
        per_request: dict[str | None, list[m.Activity]] = defaultdict(list)
        for act in rest:
            per_request[act.request_id].append(act)
        for request_id, acts in per_request.items():
            req = requests.get(request_id or "")
            common = {**base, "request_id": request_id, "request_link": self.link(request_id),
                      "client_name": req.client.name if req is not None else None}
            uploads = [a for a in acts if a.kind in UPLOAD_KINDS]
            if uploads and req is not None:
                text, meta = self._render("notify_upload", {**common, **self._upload_context(s, uploads)})
                out.append((f"{key}.{uploads[0].id}.upload", request_id, text, meta))
            others: list[m.Activity] = []
            for act in acts:
                if act in uploads and req is not None:
                    continue
                if act.kind == "quarantined":
                    text, meta = self._render("notify_quarantined", {**common, **self._quarantine_context(s, act)})
                elif act.kind == "document_signed" and req is not None:
                    data = act.data or {}
                    text, meta = self._render("notify_document_signed", {
                        **common, "document_title": data.get("template") or act.summary,
                        "signed_at": self._time(act.created_at), "legal_form_note": data.get("note")})
                elif act.kind in NEEDS_PERSON or req is None:
                    reason = NEEDS_PERSON.get(act.kind, {}).get(self.lang) or act.kind
                    text, meta = self._render("notify_needs_person", {
                        **common, "client_name": common["client_name"] or "-", "reason": reason,
                        "message_excerpt": act.summary[:2000]})
                else:
                    others.append(act)
                    continue
                out.append((f"{key}.{act.id}.{act.kind}"[:200], request_id, text, meta))
            if others:
                text, meta = self._render("notify_digest", {**base, "activities": [
                    self._digest_entry(a, requests) for a in others]})
                out.append((f"{key}.{others[0].id}.digest", request_id, text, meta))
        return out

    def _time(self, at: datetime) -> str:
        return at.astimezone(self.service.tz).strftime("%d.%m.%Y %H:%M")

    def _digest_entry(self, act: m.Activity, requests: dict[str, m.Request]) -> dict[str, Any]:
        req = requests.get(act.request_id or "")
        return {"time": self._time(act.created_at), "client_name": req.client.name if req is not None else "-",
                "summary": act.summary[:500], "link": self.link(act.request_id), "kind": act.kind}

    @staticmethod
    def _signing_told_staff(s: Session, act: m.Activity) -> bool:
        """The signing flow writes its own staff mail (with the signed PDF): do not tell twice."""
        if not act.request_id:
            return False
        return s.scalars(select(m.OutboxRow.id).where(
            m.OutboxRow.request_id == act.request_id, m.OutboxRow.kind == "notification",
            m.OutboxRow.message_id.like(f"{act.request_id}.signed.%.staff"))).first() is not None

    def _upload_context(self, s: Session, acts: list[m.Activity]) -> dict[str, Any]:
        documents, skipped = [], []
        for act in acts:
            data = act.data or {}
            if act.kind == "upload":
                doc = s.get(m.Document, data.get("document_id")) if data.get("document_id") else None
                label = None
                if doc is not None and doc.item_id is not None:
                    item = s.get(m.RequestItem, doc.item_id)
                    label = item.ref if item is not None and item.kind == "upload" else None
                documents.append({"filename": doc.filename if doc is not None else act.summary, "label": label})
            elif act.kind == "upload_rejected":
                name, _, reason = act.summary.rpartition(": ")
                skipped.append({"filename": name or act.summary, "reason": reason or act.summary})
            else:
                skipped += [{"filename": p.get("filename"), "reason": p.get("reason")}
                            for p in data.get("skipped", [])]
        return {"documents": documents, "skipped": skipped}

    def _quarantine_context(self, s: Session, act: m.Activity) -> dict[str, Any]:
        inbound = s.get(m.InboundRecord, (act.data or {}).get("inbound_id") or -1)
        if inbound is None:
            return {"sender": act.summary, "subject": "", "reason": act.summary}
        return {"sender": inbound.sender, "subject": (inbound.meta or {}).get("subject") or "",
                "reason": (inbound.result or {}).get("reason") or act.summary}

    def _questionnaire_context(self, s: Session, req: m.Request, act: m.Activity) -> dict[str, Any] | None:
        item = s.get(m.RequestItem, (act.data or {}).get("item_id") or -1)
        if item is None:
            return None
        try:
            q = self.service.questionnaire(item.ref, item.version)
        except Exception:  # noqa: BLE001 - a questionnaire removed since: summary without labels
            q = None
        answers = []
        rows = s.scalars(select(m.Answer).where(m.Answer.item_id == item.id, m.Answer.superseded_at.is_(None))
                         .order_by(m.Answer.id))
        order = {fid: n for n, fid in enumerate(q.field_ids())} if q is not None else {}
        for row in sorted(rows, key=lambda r: (order.get(r.field_id, 10_000), r.id)):
            field = q.field(row.field_id) if q is not None and q.has_field(row.field_id) else None
            question = (field.text("label", self.lang) or field.text("question", self.lang)) if field else row.field_id
            answer = (format_value(field.type, row.value, self.lang, options=field.option_objects())
                      if field is not None else str(row.value))
            answers.append({"question": question, "answer": answer, "source": self._source(s, row)})
        title = q.text("title", self.lang) if q is not None else item.ref
        return {"questionnaire_title": title, "answers": answers, "client_name": req.client.name,
                "request_id": req.id, "request_link": self.link(req.id)}

    def _source(self, s: Session, row: m.Answer) -> str:
        texts = _SOURCE[self.lang]
        if row.source_type == "document":
            doc = s.get(m.Document, row.source_id)
            name = doc.filename if doc is not None else row.source_id
            source = texts["page"].format(name=name, page=row.page) if row.page else texts["document"].format(name=name)
        elif row.source_id.startswith("msg:") and row.source_id[4:].isdigit():
            inbound = s.get(m.InboundRecord, int(row.source_id[4:]))
            if inbound is None:
                source = row.source_id
            else:
                at = self._time(inbound.received_at)
                source = texts.get(inbound.channel, texts["other"]).format(at=at)
        else:
            source = texts["opening"]
        if row.method == "llm":
            source += " (KI)" if self.lang == "de" else " (AI)"
        return source


def _brand_colour(service: Any) -> str:
    from agent.staff.branding import current_branding  # the colour an admin set in /staff/settings

    return current_branding(service).colour
