"""Staff hear about important activity by e-mail: immediately (``MANDAT_NOTIFY_DIGEST_MINUTES=0``) or
as one digest per staff member per window. A questionnaire's completion summary (the table of answers
with their sources) always goes out on its own.

One pass (``Mandat.notify_staff``, agent/notifications.py): the core reads important activity not yet
notified, grouped per responsible staff member, as views; this module composes the mails; the core
writes them as notification outbox rows and sets ``notified_at`` — one transaction, so nothing is told
twice or lost.
Notification rows go to staff addresses only and never count against a client's reply cap.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from agent.i18n import normalise_lang
from agent.service import Mandat
from agent.understanding.formatting import format_value
from agent.views import ActivityView, AnswerFact, NotificationDraft, StaffBatch, StaffView
from channels.email.templates import EmailTemplates, TemplateProblem
from channels.email.texts import NEEDS_PERSON, needs_person, sources, t

log = logging.getLogger(__name__)

UPLOAD_KINDS = ("upload", "upload_rejected", "attachments_skipped")


class StaffNotifier:
    def __init__(self, service: Mandat, templates: EmailTemplates | None = None,
                 digest_minutes: int | None = None):
        self.service = service
        self.templates = templates or EmailTemplates(service.settings.firm_dir)
        self.digest_minutes = (service.settings.notify_digest_minutes if digest_minutes is None
                               else digest_minutes)
        self.lang = normalise_lang(service.firm.default_language)

    def link(self, request_id: str | None) -> str | None:
        return f"{self.service.settings.public_url}/api/requests/{request_id}" if request_id else None

    # ------------------------------------------------------------------ one pass
    def run_once(self, now: datetime | None = None) -> int:
        """Write the notifications that are due; returns how many mails were queued."""
        return self.service.notify_staff(self._drafts, digest_minutes=self.digest_minutes, now=now)

    def _drafts(self, batch: StaffBatch) -> list[NotificationDraft]:
        return [NotificationDraft(message_id, request_id, text, meta)
                for message_id, request_id, text, meta in self._mails(batch.staff, list(batch.activities),
                                                                      batch.client_names)]

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

    def _mails(self, staff: StaffView, items: list[ActivityView],
               requests: Mapping[str, str]) -> list[tuple[str, str | None, str, dict[str, Any]]]:
        """The mails for one staff member's due activity; ``requests`` maps request ids to client names."""
        out: list[tuple[str, str | None, str, dict[str, Any]]] = []
        base = {"staff_name": staff.name}
        key = f"notify.{staff.id}"
        rest: list[ActivityView] = []
        for act in items:
            if act.kind == "questionnaire_completed":
                ctx = self._questionnaire_context(act, requests) if (act.request_id or "") in requests else None
                if ctx is not None:
                    text, meta = self._render("notify_questionnaire_completed", {**base, **ctx})
                    out.append((f"{key}.{act.id}.q", act.request_id, text, meta))
                    continue
            if act.kind == "document_signed" and act.told_by_signing:
                continue
            rest.append(act)
        if not rest:
            return out
        if self.digest_minutes > 0:
            text, meta = self._render("notify_digest", {**base, "activities": [
                self._digest_entry(a, requests) for a in rest]})
            out.append((f"{key}.{rest[0].id}.digest", None, text, meta))
            return out
        per_request: dict[str | None, list[ActivityView]] = defaultdict(list)
        for act in rest:
            per_request[act.request_id].append(act)
        for request_id, acts in per_request.items():
            known = (request_id or "") in requests
            common = {**base, "request_id": request_id, "request_link": self.link(request_id),
                      "client_name": requests.get(request_id or "")}
            uploads = [a for a in acts if a.kind in UPLOAD_KINDS]
            if uploads and known:
                text, meta = self._render("notify_upload", {**common, **self._upload_context(uploads)})
                out.append((f"{key}.{uploads[0].id}.upload", request_id, text, meta))
            others: list[ActivityView] = []
            for act in acts:
                if act in uploads and known:
                    continue
                if act.kind == "quarantined":
                    text, meta = self._render("notify_quarantined", {**common, **self._quarantine_context(act)})
                elif act.kind == "document_signed" and known:
                    data = act.data or {}
                    text, meta = self._render("notify_document_signed", {
                        **common, "document_title": data.get("template") or act.summary,
                        "signed_at": self._time(act.created_at), "legal_form_note": data.get("note")})
                elif act.kind in NEEDS_PERSON or not known:
                    reason = needs_person(act.kind, self.lang)
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

    def _digest_entry(self, act: ActivityView, requests: Mapping[str, str]) -> dict[str, Any]:
        return {"time": self._time(act.created_at), "client_name": requests.get(act.request_id or "", "-"),
                "summary": act.summary[:500], "link": self.link(act.request_id), "kind": act.kind}

    def _upload_context(self, acts: list[ActivityView]) -> dict[str, Any]:
        documents, skipped = [], []
        for act in acts:
            data = act.data or {}
            if act.kind == "upload":
                documents.append({"filename": act.document_name or act.summary, "label": act.upload_label})
            elif act.kind == "upload_rejected":
                name, _, reason = act.summary.rpartition(": ")
                skipped.append({"filename": name or act.summary, "reason": reason or act.summary})
            else:
                skipped += [{"filename": p.get("filename"), "reason": p.get("reason")}
                            for p in data.get("skipped", [])]
        return {"documents": documents, "skipped": skipped}

    @staticmethod
    def _quarantine_context(act: ActivityView) -> dict[str, Any]:
        if act.sender is None:
            return {"sender": act.summary, "subject": "", "reason": act.summary}
        return {"sender": act.sender, "subject": act.subject or "", "reason": act.reason or act.summary}

    def _questionnaire_context(self, act: ActivityView, requests: Mapping[str, str]) -> dict[str, Any] | None:
        item = act.item
        if item is None:
            return None
        try:
            q = self.service.questionnaire(item.ref, item.version)
        except Exception:  # noqa: BLE001 - a questionnaire removed since: summary without labels
            q = None
        answers = []
        order = {fid: n for n, fid in enumerate(q.field_ids())} if q is not None else {}
        for _n, row in sorted(enumerate(act.answers), key=lambda p: (order.get(p[1].field_id, 10_000), p[0])):
            field = q.field(row.field_id) if q is not None and q.has_field(row.field_id) else None
            question = (field.text("label", self.lang) or field.text("question", self.lang)) if field else row.field_id
            answer = (format_value(field.type, row.value, self.lang, options=field.option_objects())
                      if field is not None else str(row.value))
            answers.append({"question": question, "answer": answer, "source": self._source(row)})
        title = q.text("title", self.lang) if q is not None else item.ref
        return {"questionnaire_title": title, "answers": answers, "case": self._case(act),
                "client_name": requests.get(act.request_id or ""),
                "request_id": act.request_id, "request_link": self.link(act.request_id)}

    def _case(self, act: ActivityView) -> list[dict[str, str]]:
        """The merged case file: slot, value, its documents (and the client's answers), conflicts."""
        texts = sources(self.lang)
        out = []
        for entry in act.case:
            where = [texts["page"].format(name=name, page=page) if page else texts["document"].format(name=name)
                     for name, page in entry.documents] + ([texts["answers"]] if entry.answered else [])
            conflict = " ≠ ".join(entry.conflict)
            # question/answer/source: the same table macro as the answers renders it
            label = entry.labels.get(self.lang) or entry.labels.get("de") or entry.slot
            out.append({"slot": label, "value": entry.value, "source": "; ".join(where), "conflict": conflict,
                        "question": label, "answer": entry.value + (f" ({conflict})" if conflict else "")})
        return out

    def _source(self, row: AnswerFact) -> str:
        texts = sources(self.lang)
        if row.source_type == "document":
            name = row.document_name or row.source_id
            source = texts["page"].format(name=name, page=row.page) if row.page else texts["document"].format(name=name)
        elif row.source_id.startswith("msg:") and row.source_id[4:].isdigit():
            if row.message_at is None:
                source = row.source_id
            else:
                at = self._time(row.message_at)
                source = texts.get(row.message_channel or "", texts["other"]).format(at=at)
        else:
            source = texts["opening"]
        if row.method == "llm":
            source += t("by_ai", self.lang)
        return source


def _brand_colour(service: Any) -> str:
    from agent.staff.branding import current_branding  # the colour an admin set in /staff/settings

    return current_branding(service).colour
