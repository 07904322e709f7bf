"""Outbox rows of channel "email" → threaded mails over SMTP, and the invitation written at creation.

* One mail per client message: the replies of one turn (several outbox rows) go out together as the
  first row's mail; the other rows are marked sent with it. Its Message-ID comes from the first row's
  message id, so a resend after a crash carries the same Message-ID.
* Threading: ``In-Reply-To`` is the client's Message-ID the reply answers (else the client's latest,
  else our invitation), ``References`` the client's thread; ``Reply-To`` the request's plus address.
* Loop guard: more than ``hourly_reply_cap`` mails to one client address without a new message from it
  in between (agent.loop_guard) are not sent; the row fails with the reason, staff are told, and the
  client gets one final mail saying when the next reply comes, with the chat link. Staff notifications
  are never capped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from agent.conversation.batch_texts import bt
from agent.messages import OutboundMessage
from agent.outbox import Undeliverable
from agent.service import Mandat, RequestError
from agent.views import ItemBrief, LoopCount, MailFacts, OutboxDraft, OutboxView, RequestView
from channels.email.compose import build_email, reply_subject
from channels.email.config import EmailSettings
from channels.email.routing import message_id_from_key, plus_address, reply_token
from channels.email.smtp import SmtpSender, SmtpSendError
from channels.email.templates import EmailTemplates, TemplateProblem

log = logging.getLogger(__name__)

CAP_REASON = "reply cap"
STAFF_KEY = "staff"  # request part of staff Message-IDs: a staff reply to one never routes to a request
_WAIT_FIRST = "waiting for the first part of this reply"


class ReplyCapReached(Undeliverable):
    """The per-correspondent hourly cap stops what looks like a mail loop."""


class EmailOutbound:
    def __init__(self, service: Mandat, settings: EmailSettings, secret: Callable[[], str],
                 templates: EmailTemplates | None = None, smtp: SmtpSender | None = None):
        self.service = service
        self.settings = settings
        self._secret = secret  # asked for when first needed (it lives in the database)
        self.templates = templates or EmailTemplates(service.settings.firm_dir)
        self.smtp = smtp if smtp is not None else (SmtpSender(settings) if settings.smtp_configured else None)
        self.firm_name = service.firm.name
        self.colour = service.firm.colour

    # ------------------------------------------------------------------ addresses and ids
    def reply_address(self, request_id: str) -> str:
        return plus_address(self.settings.reply_base, reply_token(request_id, self._secret()))

    def message_id(self, request_id: str, outbox_message_id: str) -> str:
        return message_id_from_key(request_id, outbox_message_id, domain=self.settings.domain)

    # ------------------------------------------------------------------ invitation (on_created hook)
    def invitation_hook(self, req: RequestView, links: Mapping[str, str]) -> list[OutboxDraft]:
        """The invitation mail; the service queues it inside the creating transaction, so it commits with
        the request or not at all."""
        email = req.client_email
        if not email:
            log.warning("request %s: no client e-mail, no invitation mail", req.id)
            return []
        first_question = req.email_opening or "\n\n".join(req.opening).strip()  # batched: the first batch
        lang = req.lang
        items = [{"label": self._item_label(i, lang)} for i in req.items]
        context = {
            "client_name": req.client_name, "firm_name": self.firm_name,
            "staff_name": req.staff_name, "first_question": first_question or None,
            "chat_link": links.get("chat"), "telegram_link": links.get("telegram"), "request_id": req.id,
            "items": items, "brand_color": self.colour, "lang": lang,
        }
        try:
            rendered = self.templates.render("invitation", lang, context)
        except TemplateProblem as exc:
            raise RequestError(f"the invitation e-mail template is broken: {exc}") from exc
        return [OutboxDraft(message_id=f"{req.id}.invitation", channel="email", address=email.lower(),
                            kind="invitation", text=rendered.text, link=links.get("chat"),
                            meta={"subject": rendered.subject, "html": rendered.html, "lang": rendered.lang})]

    def _item_label(self, item: ItemBrief, lang: str) -> str:
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
        facts = self.service.mail_facts(out.message_id)
        row, group = facts.row, facts.group
        if row.error and row.error.startswith(CAP_REASON):
            raise ReplyCapReached(row.error)  # second round: the dispatcher now marks it failed
        first = group[0]
        if first.id != row.id:
            if first.status == "sent":
                return  # went out inside the first row's mail
            if first.status == "failed":
                reason = f"{CAP_REASON}: part of {first.message_id}, which failed"
                self._fail(row.id, reason, None)
                raise ReplyCapReached(reason)
            raise SmtpSendError(_WAIT_FIRST)
        over = self._over_cap(facts)
        thread = self._thread(facts)
        if over is not None:
            self._fail(row.id, over, row.request_id)
            self._loop_notice(out, thread, facts.loop)
            raise ReplyCapReached(over)
        self.smtp.send(self._client_mail(out, group, thread))

    def _client_mail(self, out: OutboundMessage, group: tuple[OutboxView, ...], thread: dict[str, Any]) -> Any:
        texts = [r.body.get("text", "") for r in group if r.body.get("text")]
        last = group[-1].body
        link = next((r.body.get("link") for r in reversed(group) if r.body.get("link")), None)
        merged = replace(out, text="\n\n".join(texts), quick_replies=tuple(last.get("quick_replies", ())),
                         link=link, attachments=out.attachments + self._attachments(group[1:]))
        meta = out.meta or {}
        subject = meta.get("subject") if out.kind == "invitation" else None
        if subject is None:
            subject = reply_subject(thread["subject"]) if thread["subject"] else None
        return build_email(
            merged, firm_name=self.firm_name, mail_from=self.settings.mail_from,
            reply_to=self.reply_address(out.request_id) if out.request_id else None,
            in_reply_to=thread["in_reply_to"], references=thread["references"],
            html_template=meta.get("html") if out.kind == "invitation" else None,
            text=out.text if out.kind == "invitation" else None,
            subject=subject, brand_color=self.colour, domain=self.settings.domain,
        )

    def _attachments(self, rows: tuple[OutboxView, ...]) -> tuple:
        out: tuple = ()
        for r in rows:
            out += self.service.desk.outbox_attachments(r)
        return out

    def _over_cap(self, facts: MailFacts) -> str | None:
        """The loop guard: mails sent to this address since its last new (human) message, within the hour."""
        mails, cap = facts.loop.mails, self.settings.hourly_reply_cap
        if mails >= cap:
            return f"{CAP_REASON}: {mails} mails to {facts.row.address} without a new message from them (limit {cap})"
        return None

    def _loop_notice(self, out: OutboundMessage, thread: dict[str, Any], loop: LoopCount) -> None:
        """One final mail per loop: when the next reply comes, and the chat link; noted for staff."""
        if out.request_id is None or self.smtp is None:
            return
        notice = self.service.claim_loop_notice(out.request_id, out.address, loop)
        if notice is None:
            return
        when = loop.next_reply_at.astimezone(self.service.tz).strftime("%d.%m.%Y %H:%M")
        text = bt("loop_guard_final", notice.lang, name=notice.client_name, when=when, firm=self.firm_name,
                  link=notice.chat_link or bt("loop_guard_no_link", notice.lang))
        final = replace(out, message_id=f"{out.message_id}.loop", text=text, quick_replies=(), link=None,
                        attachments=())
        msg = build_email(final, firm_name=self.firm_name, mail_from=self.settings.mail_from,
                          reply_to=self.reply_address(out.request_id), in_reply_to=thread["in_reply_to"],
                          references=thread["references"], subject=bt("loop_guard_subject", notice.lang),
                          brand_color=self.colour, domain=self.settings.domain)
        self.smtp.send(msg)

    def _fail(self, row_id: int, reason: str, request_id: str | None) -> None:
        """Tell staff once; raising ReplyCapReached (Undeliverable) then fails the row without retries."""
        if request_id is not None:
            self.service.note_activity(request_id, "reply_capped", reason, {"outbox_id": row_id})
        log.warning("not sent: %s", reason)

    def _thread(self, facts: MailFacts) -> dict[str, Any]:
        """In-Reply-To, References and subject for a client mail."""
        row = facts.row
        empty: dict[str, Any] = {"in_reply_to": None, "references": [], "subject": None}
        if row.kind == "invitation" or row.request_id is None:
            return empty
        invitation = facts.invitation
        invitation_subject = (invitation.body.get("meta") or {}).get("subject") if invitation is not None else None
        if facts.answered is not None:
            meta = facts.answered
            return {"in_reply_to": meta["message_id"], "references": list(meta.get("references") or []),
                    "subject": meta.get("subject") or invitation_subject}
        if invitation is None:
            return empty
        mid = self.message_id(row.request_id, invitation.message_id)
        return {"in_reply_to": mid, "references": [mid], "subject": invitation_subject}

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
