"""Outbox rows of channel "email" → threaded mails over SMTP, and the invitation written at creation.

* One mail per client message: the replies of one turn (several outbox rows) go out together as the
  first row's mail; the other rows are marked sent with it. Its Message-ID comes from the first row's
  message id, so a resend after a crash carries the same Message-ID.
* Threading: ``In-Reply-To`` is the client's Message-ID the reply answers (else the client's latest,
  else our invitation), ``References`` the client's thread; ``Reply-To`` the request's plus address.
* Loop guard: more than ``hourly_reply_cap`` mails to one client address in an hour are not sent; the
  row fails with the reason and staff are told. Staff notifications are never capped.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agent.outbox import Undeliverable
from agent.service import Mandat, RequestError
from agent.store import models as m
from channels.email.compose import build_email, reply_subject
from channels.email.config import EmailSettings
from channels.email.routing import message_id_from_key, plus_address, reply_token
from channels.email.smtp import SmtpSender, SmtpSendError
from channels.email.templates import EmailTemplates, TemplateProblem
from channels.messages import OutboundMessage

log = logging.getLogger(__name__)

CAP_REASON = "reply cap"
STAFF_KEY = "staff"  # request part of staff Message-IDs: a staff reply to one never routes to a request
_WAIT_FIRST = "waiting for the first part of this reply"


class ReplyCapReached(Undeliverable):
    """The per-correspondent hourly cap stops what looks like a mail loop."""


class EmailOutbound:
    def __init__(self, service: Mandat, settings: EmailSettings, secret: str,
                 templates: EmailTemplates | None = None, smtp: SmtpSender | None = None):
        self.service = service
        self.settings = settings
        self.secret = secret
        self.templates = templates or EmailTemplates(service.settings.firm_dir)
        self.smtp = smtp if smtp is not None else (SmtpSender(settings) if settings.smtp_configured else None)
        self.firm_name = service.firm.name

    @property
    def colour(self) -> str:
        """The brand colour now (an admin may change it in /staff/settings)."""
        from agent.staff.branding import current_branding

        return current_branding(self.service).colour

    # ------------------------------------------------------------------ addresses and ids
    def reply_address(self, request_id: str) -> str:
        return plus_address(self.settings.reply_base, reply_token(request_id, self.secret))

    def message_id(self, request_id: str, outbox_message_id: str) -> str:
        return message_id_from_key(request_id, outbox_message_id, domain=self.settings.domain)

    # ------------------------------------------------------------------ invitation (on_created hook)
    def invitation_hook(self, s: Session, req: m.Request, links: dict[str, str]) -> None:
        """Runs inside the creating transaction: the invitation row commits with the request or not at all."""
        email = req.client.email if req.client else None
        if not email:
            log.warning("request %s: no client e-mail, no invitation mail", req.id)
            return
        opening = s.scalars(select(m.OutboxRow).where(m.OutboxRow.request_id == req.id,
                                                      m.OutboxRow.inbound_id.is_(None))
                            .order_by(m.OutboxRow.id)).all()
        first_question = "\n\n".join(r.body.get("text", "") for r in opening if r.body.get("text")).strip()
        lang = req.lang
        items = [{"label": self._item_label(i, lang)} for i in req.items]
        context = {
            "client_name": req.client.name, "firm_name": self.firm_name,
            "staff_name": req.staff.name if req.staff else None, "first_question": first_question or None,
            "chat_link": links.get("chat"), "telegram_link": links.get("telegram"), "request_id": req.id,
            "items": items, "brand_color": self.colour, "lang": lang,
        }
        try:
            rendered = self.templates.render("invitation", lang, context)
        except TemplateProblem as exc:
            raise RequestError(f"the invitation e-mail template is broken: {exc}") from exc
        s.add(m.OutboxRow(
            message_id=f"{req.id}.invitation", request_id=req.id, channel="email", address=email.lower(),
            kind="invitation",
            body={"text": rendered.text, "quick_replies": [], "link": links.get("chat"),
                  "meta": {"subject": rendered.subject, "html": rendered.html, "lang": rendered.lang}},
        ))

    def _item_label(self, item: m.RequestItem, lang: str) -> str:
        if item.kind == "questionnaire":
            try:
                return self.service.questionnaire(item.ref, item.version).text("title", lang) or item.ref
            except Exception:  # noqa: BLE001 - a label is cosmetic
                return item.ref
        return item.ref

    # ------------------------------------------------------------------ the outbox sender
    def send(self, out: OutboundMessage) -> None:
        if self.smtp is None:
            raise SmtpSendError("SMTP is not configured (MANDAT_SMTP_HOST)")
        if out.kind == "notification":
            self.smtp.send(self._staff_mail(out))
            return
        with self.service.db.read() as s:
            row = s.scalars(select(m.OutboxRow).where(m.OutboxRow.message_id == out.message_id)).one()
            if row.error and row.error.startswith(CAP_REASON):
                raise ReplyCapReached(row.error)  # second round: the dispatcher now marks it failed
            group = self._group(s, row)
            first = group[0]
            if first.id != row.id:
                if first.status == "sent":
                    return  # went out inside the first row's mail
                if first.status == "failed":
                    reason = f"{CAP_REASON}: part of {first.message_id}, which failed"
                    self._fail(row.id, reason, None)
                    raise ReplyCapReached(reason)
                raise SmtpSendError(_WAIT_FIRST)
            over = self._over_cap(s, row)
            thread = self._thread(s, row)
            texts = [r.body.get("text", "") for r in group if r.body.get("text")]
        if over is not None:
            self._fail(row.id, over, row.request_id)
            raise ReplyCapReached(over)
        last = group[-1].body
        link = next((r.body.get("link") for r in reversed(group) if r.body.get("link")), None)
        merged = replace(out, text="\n\n".join(texts), quick_replies=tuple(last.get("quick_replies", ())),
                         link=link, attachments=out.attachments + self._attachments(group[1:]))
        meta = out.meta or {}
        subject = meta.get("subject") if out.kind == "invitation" else None
        if subject is None:
            subject = reply_subject(thread["subject"]) if thread["subject"] else None
        msg = build_email(
            merged, firm_name=self.firm_name, mail_from=self.settings.mail_from,
            reply_to=self.reply_address(out.request_id) if out.request_id else None,
            in_reply_to=thread["in_reply_to"], references=thread["references"],
            html_template=meta.get("html") if out.kind == "invitation" else None,
            text=out.text if out.kind == "invitation" else None,
            subject=subject, brand_color=self.colour, domain=self.settings.domain,
        )
        self.smtp.send(msg)

    def _attachments(self, rows: list[m.OutboxRow]) -> tuple:
        out: tuple = ()
        for r in rows:
            out += self.service.desk.outbox_attachments(r)
        return out

    def _group(self, s: Session, row: m.OutboxRow) -> list[m.OutboxRow]:
        """The rows answering the same client message (one mail), first row first."""
        if row.inbound_id is None:
            return [row]
        return list(s.scalars(select(m.OutboxRow).where(
            m.OutboxRow.inbound_id == row.inbound_id, m.OutboxRow.channel == "email",
            m.OutboxRow.address == row.address, m.OutboxRow.kind != "notification").order_by(m.OutboxRow.id)))

    def _over_cap(self, s: Session, row: m.OutboxRow) -> str | None:
        since = datetime.now(UTC) - timedelta(hours=1)
        sent = s.scalar(select(func.count(func.distinct(func.coalesce(m.OutboxRow.inbound_id, -m.OutboxRow.id))))
                        .where(m.OutboxRow.channel == "email", m.OutboxRow.address == row.address,
                               m.OutboxRow.status == "sent", m.OutboxRow.sent_at >= since,
                               m.OutboxRow.kind != "notification")) or 0
        cap = self.settings.hourly_reply_cap
        if sent >= cap:
            return f"{CAP_REASON}: {sent} mails to {row.address} in the last hour (limit {cap})"
        return None

    def _fail(self, row_id: int, reason: str, request_id: str | None) -> None:
        """Tell staff once; raising ReplyCapReached (Undeliverable) then fails the row without retries."""
        with self.service.db.write() as s:
            if request_id is not None:
                s.add(m.Activity(request_id=request_id, kind="reply_capped", summary=reason, actor="system",
                                 important=True, data={"outbox_id": row_id}))
        log.warning("not sent: %s", reason)

    def _thread(self, s: Session, row: m.OutboxRow) -> dict[str, Any]:
        """In-Reply-To, References and subject for a client mail."""
        empty: dict[str, Any] = {"in_reply_to": None, "references": [], "subject": None}
        if row.kind == "invitation" or row.request_id is None:
            return empty
        inbound = s.get(m.InboundRecord, row.inbound_id) if row.inbound_id else None
        if inbound is None or inbound.channel != "email" or not (inbound.meta or {}).get("message_id"):
            inbound = s.scalars(select(m.InboundRecord).where(
                m.InboundRecord.request_id == row.request_id, m.InboundRecord.channel == "email",
                m.InboundRecord.status == "processed").order_by(m.InboundRecord.id.desc()).limit(1)).first()
        if inbound is not None and (inbound.meta or {}).get("message_id"):
            meta = inbound.meta
            return {"in_reply_to": meta["message_id"], "references": list(meta.get("references") or []),
                    "subject": meta.get("subject") or self._invitation_subject(s, row.request_id)}
        invitation = s.scalars(select(m.OutboxRow).where(m.OutboxRow.message_id == f"{row.request_id}.invitation")
                               ).first()
        if invitation is None:
            return empty
        mid = self.message_id(row.request_id, invitation.message_id)
        return {"in_reply_to": mid, "references": [mid],
                "subject": (invitation.body.get("meta") or {}).get("subject")}

    @staticmethod
    def _invitation_subject(s: Session, request_id: str) -> str | None:
        inv = s.scalars(select(m.OutboxRow).where(m.OutboxRow.message_id == f"{request_id}.invitation")).first()
        return (inv.body.get("meta") or {}).get("subject") if inv is not None else None

    def _staff_mail(self, out: OutboundMessage) -> Any:
        meta = out.meta or {}
        subject = meta.get("subject") or (out.text.strip().splitlines() or [self.firm_name])[0][:120]
        staff_out = replace(out, request_id=STAFF_KEY)
        msg = build_email(staff_out, firm_name=self.firm_name, mail_from=self.settings.mail_from, reply_to=None,
                          html_template=meta.get("html"), text=out.text if meta.get("html") else None,
                          subject=subject, brand_color=self.colour, domain=self.settings.domain)
        del msg["X-Mandat-Request"]
        if out.request_id:
            msg["X-Mandat-Request"] = out.request_id
        return msg
