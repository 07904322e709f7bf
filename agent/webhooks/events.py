"""Webhook events, made from new activity rows inside the flush that writes them.

The service, the document desk and signing record what happened as ``Activity`` rows. A
``before_flush`` listener (registered on import; agent/outbox.py imports this module) calls
``queue_events``: for each new activity of a kind below and each active webhook subscribed to its event,
one outbox row (channel ``webhook``) is added to the same flush. The event therefore commits with the
thing that happened, or not at all, and its body is fixed once, so every retry sends the same bytes and
the same event id.
"""

from __future__ import annotations

import json
import secrets
import weakref
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import event, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from agent.store import turns
from agent.store.db import Database
from agent.store.models import Activity, Answer, Document, OutboxRow, Request
from agent.store.sync_tables import Webhook
from agent.webhooks.types import EVENT_TYPES

__all__ = ["CHANNEL", "EVENT_OF_ACTIVITY", "EVENT_TYPES", "queue_events", "wake_dispatchers", "watch_dispatcher"]

CHANNEL = "webhook"

# Activity kind -> event type. An upload with something read out of it also yields document.extracted.
EVENT_OF_ACTIVITY: dict[str, str] = {
    "request_created": "request.created",
    "message_received": "message.received",
    "upload": "document.uploaded",
    "deadline": "deadline.detected",
    "questionnaire_completed": "questionnaire.completed",
    "document_signed": "document.signed",
    "request_complete": "request.completed",
}


class Wakeable(Protocol):
    def wake(self) -> None: ...


_dispatchers: weakref.WeakSet[Any] = weakref.WeakSet()


def watch_dispatcher(dispatcher: Wakeable) -> None:
    """Wake ``dispatcher`` after every commit that queued an event (a dispatcher that is gone is dropped)."""
    _dispatchers.add(dispatcher)


def wake_dispatchers() -> None:
    for dispatcher in list(_dispatchers):
        dispatcher.wake()


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(12)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.new:
        queue_events(session)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop("webhook_events", False):
        wake_dispatchers()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop("webhook_events", None)


def _core_activity(conn: Connection, activity_id: int, values: dict[str, Any]) -> None:
    """An activity written in Core (the turn's hot path): the same events, in the same transaction."""
    if values.get("kind") not in EVENT_OF_ACTIVITY or values.get("request_id") is None:
        return
    if conn.execute(_ANY_ACTIVE).first() is None:  # no subscriber: no ORM session for nothing
        return
    with Database.session_on(conn) as session:
        activity = session.get(Activity, activity_id)
        if activity is not None:
            _queue_for(session, [activity])


_ANY_ACTIVE = select(Webhook.id).where(Webhook.active).limit(1)
turns.activity_hooks.append(_core_activity)


def queue_events(session: Session) -> None:
    activities = [o for o in session.new if isinstance(o, Activity) and o.kind in EVENT_OF_ACTIVITY
                  and o.request_id is not None]
    if not activities:
        return
    # session.new is a set: the order the rows were added in is the order the firm must see them in.
    activities.sort(key=lambda o: inspect(o).insert_order)
    _queue_for(session, activities)


def _queue_for(session: Session, activities: list[Activity]) -> None:
    with session.no_autoflush:
        hooks = [(h.id, set(h.events or ())) for h in session.scalars(select(Webhook).where(Webhook.active))]
        if not hooks:
            return
        for activity in activities:
            for event_type, data in _events_of(session, activity):
                _queue(session, hooks, activity, event_type, data)


def _queue(session: Session, hooks: list[tuple[int, set[str]]], activity: Activity, event_type: str,
           data: dict[str, Any]) -> None:
    wanted = [hook_id for hook_id, events in hooks if event_type in events or "*" in events]
    if not wanted:
        return
    event_id = new_event_id()
    created = activity.created_at or datetime.now(UTC)
    body = json.dumps({"id": event_id, "type": event_type, "created_at": _iso(created),
                       "request_id": activity.request_id, "data": data},
                      ensure_ascii=False, separators=(",", ":"), default=str)
    for hook_id in wanted:
        session.add(OutboxRow(message_id=f"wh.{hook_id}.{event_id}", request_id=activity.request_id,
                              channel=CHANNEL, address=str(hook_id), kind=event_type,
                              body={"text": body, "meta": {"event_id": event_id, "type": event_type,
                                                           "webhook_id": hook_id}}))
    session.info["webhook_events"] = True


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _events_of(session: Session, activity: Activity) -> Iterable[tuple[str, dict[str, Any]]]:
    event_type = EVENT_OF_ACTIVITY[activity.kind]
    data: dict[str, Any] = {"summary": activity.summary, **_plain(activity.data or {})}
    if event_type == "request.created":
        data.update(_request_facts(session, activity.request_id))
    elif event_type == "message.received":
        data["text"] = data.pop("summary")
    elif event_type == "questionnaire.completed" and data.get("item_id") is not None:
        data["answers"] = _answers(session, int(data["item_id"]))
    elif event_type in ("document.signed", "deadline.detected") and data.get("document_id"):
        doc = _document(session, str(data["document_id"]))
        if doc is not None:
            data["document"] = _document_facts(doc)
    yield event_type, data
    if event_type == "document.uploaded":
        doc = _document(session, str(data.get("document_id") or ""))
        if doc is not None:
            data["document"] = _document_facts(doc)
            extracted = _extracted(doc)
            if extracted is not None:
                yield "document.extracted", {"document_id": doc.id, "document": data["document"], **extracted}


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _request_facts(session: Session, request_id: str | None) -> dict[str, Any]:
    req = session.get(Request, request_id) if request_id else None
    if req is None:
        return {}
    return {
        "client": {"name": req.client.name, "email": req.client.email, "lang": req.client.lang},
        "staff": req.staff.email if req.staff else None,
        "items": [{"id": i.id, "kind": i.kind, "ref": i.ref} for i in req.items],
        "case_data": _plain(req.case_data or {}),
    }


def _answers(session: Session, item_id: int) -> dict[str, Any]:
    rows = session.scalars(select(Answer).where(Answer.item_id == item_id, Answer.superseded_at.is_(None))
                           .order_by(Answer.id))
    pending = [a for a in session.new if isinstance(a, Answer) and a.item_id == item_id and a.superseded_at is None]
    return {a.field_id: _plain(a.value) for a in [*rows, *pending]}


def _document(session: Session, document_id: str) -> Document | None:
    if not document_id:
        return None
    for obj in session.new:  # filed in this very flush: not yet in the table
        if isinstance(obj, Document) and obj.id == document_id:
            return obj
    return session.get(Document, document_id)


def _document_facts(doc: Document) -> dict[str, Any]:
    return {"id": doc.id, "filename": doc.filename, "mime": doc.mime, "size": doc.size, "sha256": doc.sha256,
            "type": doc.doc_type, "origin": doc.origin}


def _extracted(doc: Document) -> dict[str, Any] | None:
    """What was read out of an upload, or None when nothing was (no type, no facts, no deadlines)."""
    analysis = doc.analysis or {}
    facts = [{k: f.get(k) for k in ("name", "value", "page", "confidence", "method")}
             for f in analysis.get("facts", [])]
    deadlines = [{k: d.get(k) for k in ("kind", "due_date", "basis", "page", "needs_confirmation")}
                 for d in analysis.get("deadlines", [])]
    if not (doc.doc_type or facts or deadlines):
        return None
    return {"type": doc.doc_type, "facts": _plain(facts), "deadlines": _plain(deadlines)}
