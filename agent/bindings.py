"""Which requests a messenger chat (Telegram) may talk to, and which one it talks to right now.

A chat is bound by a one-time "telegram" link (``/start <token>``): the link is marked used and the
client's ``telegram_chat_id`` is set. A chat bound to several requests keeps its current choice in a
``KeyValue`` row. Quick-reply buttons are checked here against the open question of the request,
so a forged or stale button press never reaches the conversation.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from agent import links
from agent.store import models as m
from agent.store.db import Database
from agent.views import CHAT_LINK_PURPOSE, BindResult, BoundRequest, OpenMessage

__all__ = ["PURPOSE", "BindResult", "BoundRequest", "OpenMessage", "bind", "choose", "chat_lang",
           "current_request", "open_messages", "quick_reply_choice", "requests_for_chat"]

PURPOSE = CHAT_LINK_PURPOSE


def _choice_key(channel: str, chat_id: str) -> str:
    return f"{channel}.chat.{chat_id}.request"


def bind(db: Database, token: str, chat_id: str, *, channel: str = PURPOSE, now: datetime | None = None) -> BindResult:
    """Bind a chat to the request of a deep-link token; the token binds once (a repeat by the same chat is fine)."""
    now = now or datetime.now(UTC)
    with db.write() as s:
        check = links.resolve(s, token, PURPOSE, now=now)
        link = check.link
        if link is None or check.problem == "unknown":
            return BindResult("unknown")
        if check.problem is not None:
            return BindResult(check.problem)
        req = s.get(m.Request, link.request_id)
        if req is None:
            return BindResult("unknown")
        bound_chat = (link.data or {}).get("chat_id")
        if link.used_at is not None:
            if bound_chat == chat_id:
                s.merge(m.KeyValue(key=_choice_key(channel, chat_id), value={"request_id": req.id}))
                return BindResult("again", req.id, req.lang)
            return BindResult("used")
        link.used_at = now
        link.data = {**(link.data or {}), "chat_id": chat_id}
        req.client.telegram_chat_id = chat_id
        s.merge(m.KeyValue(key=_choice_key(channel, chat_id), value={"request_id": req.id}))
        s.add(m.Activity(request_id=req.id, kind="channel_bound", summary="Telegram chat linked to the request",
                         data={"channel": channel}, actor="client"))
        s.execute(update(m.Request).where(m.Request.id == req.id).values(unseen=True))
        return BindResult("bound", req.id, req.lang)


def requests_for_chat(db: Database, chat_id: str, *, labels: bool = True) -> list[BoundRequest]:
    """Every request of every client bound to this chat, oldest first (labels cost a second query)."""
    with db.read() as s:
        return _bound(s, chat_id, labels=labels)


def _bound(s: Session, chat_id: str, *, labels: bool) -> list[BoundRequest]:
    rows = s.execute(
        select(m.Request.id, m.Request.lang, m.Request.status, m.Request.created_at)
        .join(m.Client, m.Request.client_id == m.Client.id)
        .where(m.Client.telegram_chat_id == chat_id).order_by(m.Request.created_at, m.Request.id)
    ).all()
    names: dict[str, list[str]] = {}
    if labels and rows:
        for request_id, ref in s.execute(select(m.RequestItem.request_id, m.RequestItem.ref)
                                         .where(m.RequestItem.request_id.in_([r.id for r in rows]))
                                         .order_by(m.RequestItem.position)):
            names.setdefault(request_id, []).append(ref)
    return [BoundRequest(r.id, r.lang, r.status,
                         f"{', '.join(names.get(r.id, [])[:3])} ({r.created_at:%d.%m.%Y})"[:60] if labels else "",
                         r.created_at) for r in rows]


def current_request(db: Database, chat_id: str, *, channel: str = PURPOSE) -> tuple[str | None, list[BoundRequest]]:
    """The request this chat talks to (None: unbound, or several and none chosen) and all bound requests."""
    with db.read() as s:
        bound = _bound(s, chat_id, labels=False)
        if not bound:
            return None, bound
        if len(bound) == 1:
            return bound[0].id, bound
        row = s.get(m.KeyValue, _choice_key(channel, chat_id))
        chosen = (row.value or {}).get("request_id") if row else None
    if chosen and any(b.id == chosen for b in bound):
        return chosen, bound
    return None, bound


def choose(db: Database, chat_id: str, request_id: str, *, channel: str = PURPOSE) -> BoundRequest | None:
    """Remember the chat's choice; only a request bound to this chat can be chosen."""
    match = next((b for b in requests_for_chat(db, chat_id) if b.id == request_id), None)
    if match is None:
        return None
    with db.write() as s:
        s.merge(m.KeyValue(key=_choice_key(channel, chat_id), value={"request_id": request_id}))
    return match


def chat_lang(db: Database, chat_id: str) -> str | None:
    """The client's language when the chat is bound, else None."""
    with db.read() as s:
        client = s.scalars(select(m.Client).where(m.Client.telegram_chat_id == chat_id)
                           .order_by(m.Client.created_at.desc())).first()
        return client.lang if client else None


def _current_row(s: Session, request_id: str) -> m.OutboxRow | None:
    return s.scalars(select(m.OutboxRow).where(m.OutboxRow.request_id == request_id,
                                               m.OutboxRow.kind != "notification")
                     .order_by(m.OutboxRow.id.desc()).limit(1)).first()


def quick_reply_choice(db: Database, request_id: str, message_id: str, index: int) -> str | None:
    """The label of a pressed button, or None when it does not belong to the question open right now.

    The pressed message must show the same question (text and choices) as the newest message of the
    conversation, in any channel: an old "Ja/Nein" from an earlier question is stale even though the
    labels match.
    """
    if index < 0:
        return None
    with db.read() as s:
        pressed = s.scalars(select(m.OutboxRow).where(m.OutboxRow.message_id == message_id)).one_or_none()
        if pressed is None or pressed.request_id != request_id:
            return None
        current = _current_row(s, request_id)
        if current is None:
            return None
        choices = list((current.body or {}).get("quick_replies") or [])
        same = ((pressed.body or {}).get("text") == (current.body or {}).get("text")
                and list((pressed.body or {}).get("quick_replies") or []) == choices)
        if not same or index >= len(choices):
            return None
        return str(choices[index])


def open_messages(db: Database, request_id: str) -> list[OpenMessage]:
    """The messages of the newest turn (e.g. the open question), to show again in a newly chosen chat."""
    with db.read() as s:
        last = _current_row(s, request_id)
        if last is None:
            return []
        rows = s.scalars(select(m.OutboxRow).where(m.OutboxRow.request_id == request_id,
                                                   m.OutboxRow.kind != "notification",
                                                   m.OutboxRow.inbound_id.is_(last.inbound_id)
                                                   if last.inbound_id is None
                                                   else m.OutboxRow.inbound_id == last.inbound_id)
                         .order_by(m.OutboxRow.id)).all()
        # The opening may exist once per channel (e-mail invitation and web chat): keep one copy of each text.
        seen: set[str] = set()
        out = []
        for row in rows:
            body = row.body or {}
            text = str(body.get("text", ""))
            if text in seen:
                continue
            seen.add(text)
            out.append(OpenMessage(row.message_id, text, tuple(body.get("quick_replies") or ()), body.get("link"),
                                   row.kind))
        return out[-6:]
