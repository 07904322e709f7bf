"""What the e-mail sender must know about one outbox row, read in one transaction (see ``MailFacts``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent import loop_guard
from agent.store import models as m
from agent.views import MailFacts, OutboxView


def outbox_view(row: m.OutboxRow) -> OutboxView:
    return OutboxView(row.id, row.message_id, row.request_id, row.inbound_id, row.channel, row.address, row.kind,
                      row.status, row.error, dict(row.body or {}))


def mail_facts(s: Session, message_id: str, channel: str) -> MailFacts:
    row = s.scalars(select(m.OutboxRow).where(m.OutboxRow.message_id == message_id)).one()
    if row.inbound_id is None:
        group = [row]
    else:  # the rows answering the same client message go out as one mail
        group = list(s.scalars(select(m.OutboxRow).where(
            m.OutboxRow.inbound_id == row.inbound_id, m.OutboxRow.channel == channel,
            m.OutboxRow.address == row.address, m.OutboxRow.kind != "notification").order_by(m.OutboxRow.id)))
    loop = loop_guard.count(s, channel, row.address, row.inbound_id)
    invitation = None
    answered = None
    if row.request_id is not None:
        invitation = s.scalars(select(m.OutboxRow).where(
            m.OutboxRow.message_id == f"{row.request_id}.invitation")).first()
        answered = _answered(s, row, channel)
    return MailFacts(outbox_view(row), tuple(outbox_view(r) for r in group), loop, answered,
                     outbox_view(invitation) if invitation is not None else None)


def _answered(s: Session, row: m.OutboxRow, channel: str) -> dict | None:
    """The meta of the client mail a reply answers: its own inbound message, else the latest mail."""
    inbound = s.get(m.InboundRecord, row.inbound_id) if row.inbound_id else None
    if inbound is None or inbound.channel != channel or not (inbound.meta or {}).get("message_id"):
        inbound = s.scalars(select(m.InboundRecord).where(
            m.InboundRecord.request_id == row.request_id, m.InboundRecord.channel == channel,
            m.InboundRecord.status == "processed").order_by(m.InboundRecord.id.desc()).limit(1)).first()
    if inbound is not None and (inbound.meta or {}).get("message_id"):
        return dict(inbound.meta)
    return None
