"""The reply cap as a loop guard: how many mails went to an address without a new human message in between.

A working conversation is never capped: every new message from the client starts the count again. What
does not reset it is a message that only repeats an earlier one (an auto-responder without the
Auto-Submitted header answering each of our mails the same way); auto-replies and bounces with the
proper headers never reach the conversation at all. The count also forgets mails older than the window.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agent.store import models as m
from agent.views import LoopCount

WINDOW = timedelta(hours=1)
NOTICE_KIND = "loop_guard_notice"


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _key(text: str | None) -> str:
    return re.sub(r"\W+", " ", (text or "").casefold()).strip()[:2000]


def human_messages(s: Session, channel: str, address: str) -> set[int]:
    """Ids of the address's messages that said something new (not a repeat of one of its earlier ones)."""
    rows = s.execute(select(m.InboundRecord.id, m.InboundRecord.text).where(
        m.InboundRecord.channel == channel, m.InboundRecord.sender == address,
        m.InboundRecord.request_id.is_not(None),
    ).order_by(m.InboundRecord.id).limit(5000)).all()
    seen: set[str] = set()
    human: set[int] = set()
    for inbound_id, text in rows:
        key = _key(text)
        if key not in seen:
            human.add(inbound_id)
        seen.add(key)
    return human


def count(s: Session, channel: str, address: str, inbound_id: int | None, *,
          now: datetime | None = None) -> LoopCount:
    """Mails sent to ``address`` in a row (within the window) since the last one that answered a new human
    message; a mail answering a new human message itself is never counted against the guard."""
    now = now or datetime.now(UTC)
    since = now - WINDOW
    human = human_messages(s, channel, address)
    if inbound_id is not None and inbound_id in human:
        return LoopCount(mails=0, since=now, next_reply_at=now)
    groups = s.execute(select(m.OutboxRow.inbound_id, func.min(m.OutboxRow.sent_at)).where(
        m.OutboxRow.channel == channel, m.OutboxRow.address == address, m.OutboxRow.status == "sent",
        m.OutboxRow.sent_at >= since, m.OutboxRow.kind != "notification",
    ).group_by(func.coalesce(m.OutboxRow.inbound_id, -m.OutboxRow.id), m.OutboxRow.inbound_id)).all()
    counted = 0
    oldest = now
    start = since
    for answered, sent_at in sorted(groups, key=lambda g: _aware(g[1]), reverse=True):
        if answered is not None and answered in human:
            start = _aware(sent_at)
            break
        counted += 1
        oldest = _aware(sent_at)
    return LoopCount(mails=counted, since=start, next_reply_at=oldest + WINDOW)


def notice_due(s: Session, request_id: str, since: datetime) -> bool:
    """The client gets one final mail per loop: none was sent since the count started."""
    notes = s.scalars(select(m.Activity.created_at).where(m.Activity.request_id == request_id,
                                                          m.Activity.kind == NOTICE_KIND)).all()
    return not any(_aware(at) >= since for at in notes)


def chat_link(s: Session, request_id: str) -> str | None:
    """The chat link the invitation carried (links are stored hashed; the invitation row keeps the URL)."""
    row = s.scalars(select(m.OutboxRow).where(m.OutboxRow.message_id == f"{request_id}.invitation")).first()
    return (row.body or {}).get("link") if row is not None else None
