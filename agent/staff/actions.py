"""What staff do to a request from the browser: reply to the client as themselves, take the request
over from the agent (it stays quiet, messages are kept) and hand it back."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select

from agent.service import Mandat, RequestError
from agent.staff.accounts import StaffMember
from agent.staff.detail import current_channel
from agent.store import models as m
from agent.store.staff_tables import RequestPause

MAX_REPLY = 5000


class ActionError(ValueError):
    """The action cannot be done; ``code`` names the text to show."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Sent:
    message_id: str
    channel: str


def staff_text(staff: StaffMember, firm_name: str, text: str) -> str:
    """How the client sees it, in every channel: who wrote, then the words."""
    return f"{staff.name} ({firm_name}):\n{text.strip()}"


def reply_as_staff(service: Mandat, request_id: str, staff: StaffMember, text: str) -> Sent:
    """One outbox row to the client's current channel, written with its activity; the outbox delivers it."""
    text = (text or "").strip()
    if not text:
        raise ActionError("reply_empty")
    text = text[:MAX_REPLY]
    with service.db.write() as s:
        req = service.db.lock_request(s, request_id)
        if req is None:
            raise ActionError("not_found")
        target = current_channel(s, request_id)
        if target is None:
            raise ActionError("not_found")
        channel, address = target
        body = {"text": staff_text(staff, service.firm.name, text), "quick_replies": [], "staff": staff.name,
                "staff_id": staff.id}
        last = s.scalar(select(m.InboundRecord.external_id).where(m.InboundRecord.request_id == request_id,
                                                                  m.InboundRecord.channel == channel)
                        .order_by(m.InboundRecord.id.desc()).limit(1))
        if last and channel == "email":
            body["in_reply_to"] = last
        message_id = f"{req.id}.staff.{secrets.token_hex(6)}"
        s.add(m.OutboxRow(message_id=message_id, request_id=req.id, channel=channel, address=address,
                          kind="staff_reply", body=body))
        s.add(m.Activity(request_id=req.id, kind="staff_reply", summary=text[:300], actor="staff",
                         data={"staff": staff.name, "staff_id": staff.id, "channel": channel}))
    service.outbox.wake()
    return Sent(message_id, channel)


def take_over(service: Mandat, request_id: str, staff: StaffMember) -> bool:
    with service.db.write() as s:
        req = service.db.lock_request(s, request_id)
        if req is None:
            return False
        pause = s.get(RequestPause, request_id)
        if pause is None:
            s.add(RequestPause(request_id=request_id, staff_id=staff.id))
            s.add(m.Activity(request_id=request_id, kind="taken_over", actor="staff",
                             summary=f"{staff.name} took the request over; the agent is paused",
                             data={"staff_id": staff.id}))
        return True


def hand_back(service: Mandat, request_id: str, staff: StaffMember) -> bool:
    with service.db.write() as s:
        req = service.db.lock_request(s, request_id)
        if req is None:
            return False
        pause = s.get(RequestPause, request_id)
        if pause is not None:
            s.delete(pause)
            s.add(m.Activity(request_id=request_id, kind="handed_back", actor="staff",
                             summary=f"{staff.name} handed the request back to the agent",
                             data={"staff_id": staff.id}))
        return True


def is_paused(service: Mandat, request_id: str) -> bool:
    with service.db.read() as s:
        return s.get(RequestPause, request_id) is not None


def add_item(service: Mandat, request_id: str, staff: StaffMember, kind: str, ref: str) -> str:
    """One more questionnaire (from the firm's registry) or upload label; the service's refusal codes
    (duplicate, complete request, unknown questionnaire) become the text staff see."""
    try:
        service.add_item(request_id, kind, ref, staff.name)
    except RequestError as exc:
        raise ActionError(str(exc)) from None
    return ref.strip()[:200]
