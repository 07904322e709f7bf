"""Decide what a fetched mail is for: the agent (an ``InboundMessage``), staff only (quarantine), or
nobody (noise, recorded). The core supplies the request lookup and the sink; nothing here touches a DB."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from agent.messages import InboundMessage
from channels.email.config import EmailSettings
from channels.email.imap import RawMail
from channels.email.noise import classify_noise
from channels.email.parse import ParsedMail, parse_incoming
from channels.email.routing import plus_token, request_id_from_thread
from channels.email.trust import dmarc_pass

_MAX_BODY = 100_000
Action = Literal["deliver", "quarantine", "ignore"]


@dataclass(frozen=True)
class RequestInfo:
    request_id: str
    client_email: str


class RequestLookup(Protocol):
    """Find the request from a plus token or a request id read from our own Message-IDs."""

    def __call__(self, *, token: str | None, thread_request_id: str | None) -> RequestInfo | None: ...


@dataclass
class Decision:
    action: Action
    reason: str | None  # noise kind or quarantine reason; None when delivered
    raw: RawMail
    parsed: ParsedMail
    request_id: str | None = None
    inbound: InboundMessage | None = None
    meta: dict = field(default_factory=dict)


def _meta(parsed: ParsedMail) -> dict:
    return {
        "subject": parsed.subject, "message_id": parsed.message_id, "in_reply_to": parsed.in_reply_to,
        "references": list(parsed.references), "from_name": parsed.from_name, "to": list(parsed.to_addrs),
        "skipped": [s.__dict__ for s in parsed.skipped], "parse_error": parsed.error,
        # The whole body with its quotes: answers written under our quoted questions are anchored on them.
        "body": parsed.full_text[:_MAX_BODY],
    }


def triage(raw: RawMail, settings: EmailSettings, lookup: RequestLookup) -> Decision:
    parsed = parse_incoming(raw.raw, max_attachment_bytes=settings.max_attachment_bytes)
    meta = _meta(parsed)
    noise = classify_noise(parsed, settings.own_domains)
    if noise:
        return Decision("ignore", noise, raw, parsed, meta=meta)
    token = plus_token(parsed.to_addrs, settings.reply_base)
    thread_rid = request_id_from_thread(parsed.message_ids_referenced, settings.own_domains)
    info = lookup(token=token, thread_request_id=thread_rid) if (token or thread_rid) else None
    rid = info.request_id if info else None
    if parsed.error:
        return Decision("quarantine", f"malformed: {parsed.error}", raw, parsed, rid, meta=meta)
    if info is None:
        return Decision("quarantine", "unknown_request", raw, parsed, meta=meta)
    if parsed.from_addr != info.client_email.strip().lower():
        return Decision("quarantine", "foreign_sender", raw, parsed, rid, meta=meta)
    if settings.require_dmarc and not dmarc_pass(parsed.auth_results, settings.authserv_id or "",
                                                 from_domain=parsed.from_addr):
        return Decision("quarantine", "dmarc_fail", raw, parsed, rid, meta=meta)
    inbound = InboundMessage(
        channel="email", sender=parsed.from_addr, text=parsed.text, external_id=raw.external_id,
        request_id=rid, attachments=tuple(parsed.attachments), raw=raw.raw, meta=meta,
    )
    return Decision("deliver", None, raw, parsed, rid, inbound=inbound, meta=meta)


def make_handler(
    settings: EmailSettings, lookup: RequestLookup, sink: Callable[[Decision], None]
) -> Callable[[RawMail], bool]:
    """The poller's ``handle``: ``sink`` must store the raw mail (and, for ``deliver``, pass
    ``decision.inbound`` to the core) before returning; an exception leaves the mail for the next pass."""

    def handle(raw: RawMail) -> bool:
        sink(triage(raw, settings, lookup))
        return True

    return handle
