"""A client's "stop" for reminders, caught in the flush that stores their message.

A whole short message counts ("Stopp", "keine Erinnerungen bitte", "unsubscribe"), in German and
English whatever the request's language; a longer message mentioning the word does not. A
``before_flush`` listener (registered on import; agent/outbox.py imports this module) calls
``note_stop_commands``, so the stop commits with the stored message, before any reminder job could read
the request again.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from agent.store import turns
from agent.store.db import Database
from agent.store.models import Activity, InboundRecord
from agent.store.sync_tables import ReminderStop

STOP_PHRASES: tuple[str, ...] = (
    # German
    "stop", "stopp", "keine erinnerung", "keine erinnerungen", "keine erinnerungen mehr", "erinnerungen aus",
    "erinnerungen stoppen", "erinnerungen abbestellen", "erinnerungen abschalten", "abbestellen", "abmelden",
    "nicht mehr erinnern", "bitte nicht mehr erinnern",
    # English
    "unsubscribe", "no reminders", "no more reminders", "stop reminders", "stop reminding me", "reminders off",
    "opt out",
)
_FILLERS = frozenset({"bitte", "please", "danke", "thanks", "mehr", "more", "any", "ok", "okay", "jetzt", "now"})
_MAX_CHARS = 60


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFC", text).casefold()
    text = re.sub(r"[^\w\s]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


_PHRASES = frozenset(_norm(p) for p in STOP_PHRASES)


def is_stop_command(text: str | None) -> bool:
    """True for a whole short message asking for no more reminders."""
    if not text or len(text.strip()) > _MAX_CHARS:
        return False
    norm = _norm(text.strip().lstrip("/!"))
    if norm in _PHRASES:
        return True
    words = [w for w in norm.split(" ") if w not in _FILLERS]
    return " ".join(words) in _PHRASES


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.new:
        note_stop_commands(session)


def note_stop_commands(session: Session) -> None:
    for row in [o for o in session.new if isinstance(o, InboundRecord)]:
        if row.request_id is not None and is_stop_command(row.text):
            _note_stop(session, row.request_id, row.channel)


def _core_inbound(conn: Connection, _inbound_id: int, values: dict[str, Any]) -> None:
    """A message stored in Core (the turn's hot path): the same stop, in the same transaction."""
    if values.get("request_id") is not None and is_stop_command(values.get("text")):
        with Database.session_on(conn) as session:
            _note_stop(session, str(values["request_id"]), str(values.get("channel") or ""))


turns.inbound_hooks.append(_core_inbound)


def _note_stop(session: Session, request_id: str, channel: str) -> None:
    with session.no_autoflush:
        if session.get(ReminderStop, request_id) is not None:
            return
        if any(isinstance(o, ReminderStop) and o.request_id == request_id for o in session.new):
            return
    session.add(ReminderStop(request_id=request_id, reason="client"))
    session.add(Activity(request_id=request_id, kind="reminders_stopped", actor="client",
                         summary="The client asked for no more reminders", data={"channel": channel}))
