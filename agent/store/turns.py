"""The hot path of one conversation turn in SQLAlchemy Core: no ORM identity map, no unit of work.

Every statement is built once at import and executed with bound parameters, so SQLAlchemy finds its
compiled form in the statement cache. Reading a turn's state is one query (inbound message, request,
client, staff, pause, graph state, items and current answers joined); writing it is a handful of
statements in the caller's transaction, guarded by the request's version (see ``claim``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Text, and_, bindparam, cast, insert, select, update
from sqlalchemy.engine import Connection

from agent.conversation.snapshot import AnswerView, ItemView
from agent.store import models as m
from agent.store.graph_tables import GraphState
from agent.store.staff_tables import RequestPause, record_pulse

_inbound = m.InboundRecord.__table__
_request = m.Request.__table__
_client = m.Client.__table__
_staff = m.Staff.__table__
_item = m.RequestItem.__table__
_answer = m.Answer.__table__
_activity = m.Activity.__table__
_outbox = m.OutboxRow.__table__
_llm = m.LLMCallRecord.__table__
_pause = RequestPause.__table__
_graph = GraphState.__table__

# Packages that add rows to the transaction of a new activity or a new inbound message (webhook events,
# a client's reminder stop) watch the ORM through before_flush listeners; the rows this module writes in
# Core reach them through these hooks, called in the same transaction: (conn, row id, the row's values).
ActivityHook = Callable[[Connection, int, dict[str, Any]], None]
InboundHook = Callable[[Connection, int, dict[str, Any]], None]
activity_hooks: list[ActivityHook] = []
inbound_hooks: list[InboundHook] = []


class Conflict(Exception):
    """The request moved on since the turn read it (another worker's turn, staff added an item)."""


class AlreadyProcessed(Exception):
    """The inbound message was processed by someone else meanwhile."""


@dataclass
class InboundView:
    id: int
    channel: str
    sender: str
    external_id: str
    text: str
    status: str
    meta: dict[str, Any]
    attachments: list[Any]


@dataclass
class TurnState:
    """Everything one turn reads, from one query."""

    inbound: InboundView
    request_id: str
    lang: str
    state: dict[str, Any]
    version: int
    thread_id: str
    client_name: str
    staff_name: str
    paused: bool
    graph: dict[str, Any] | None
    items: list[ItemView] = field(default_factory=list)
    answers: dict[int, dict[str, AnswerView]] = field(default_factory=dict)
    item_status: dict[int, str] = field(default_factory=dict)  # as read, to write only what changed
    answered: set[tuple[int, str]] = field(default_factory=set)  # (item, field) with a current answer, as read


def _json(value: Any) -> Any:
    """A JSON column read as text (so a joined row's repeated columns are decoded once, not per row)."""
    return json.loads(value) if isinstance(value, str) else value


# Head columns are cast to text: each joined row repeats them, the first row's copy is decoded by hand.
_LOAD = (
    select(
        _inbound.c.id, _inbound.c.channel, _inbound.c.sender, _inbound.c.external_id, _inbound.c.text,
        _inbound.c.status, cast(_inbound.c.meta, Text), cast(_inbound.c.attachments, Text),
        _request.c.id, _request.c.lang, cast(_request.c.state, Text), _request.c.version, _request.c.thread_id,
        _client.c.name, _staff.c.name, _pause.c.request_id, cast(_graph.c["values"], Text),
        _item.c.id, _item.c.kind, _item.c.ref, _item.c.version, _item.c.status, cast(_item.c.data, Text),
        _answer.c.field_id, cast(_answer.c.value, Text), _answer.c.method, _answer.c.confirmed, _answer.c.raw_text,
    )
    .select_from(
        _inbound.join(_request, _request.c.id == _inbound.c.request_id)
        .join(_client, _client.c.id == _request.c.client_id)
        .outerjoin(_staff, _staff.c.id == _request.c.staff_id)
        .outerjoin(_pause, _pause.c.request_id == _request.c.id)
        .outerjoin(_graph, _graph.c.thread_id == _request.c.thread_id)
        .outerjoin(_item, _item.c.request_id == _request.c.id)
        .outerjoin(_answer, and_(_answer.c.item_id == _item.c.id, _answer.c.superseded_at.is_(None)))
    )
    .where(_inbound.c.id == bindparam("inbound_id"))
    .order_by(_item.c.position, _item.c.id, _answer.c.id)
)


def load_turn(conn: Connection, inbound_id: int) -> TurnState | None:
    rows = conn.execute(_LOAD, {"inbound_id": inbound_id}).all()
    if not rows:
        return None
    h = rows[0]
    ts = TurnState(
        inbound=InboundView(h[0], h[1], h[2], h[3], h[4] or "", h[5], _json(h[6]) or {}, _json(h[7]) or []),
        request_id=h[8], lang=h[9], state=_json(h[10]) or {}, version=h[11], thread_id=h[12],
        client_name=h[13] or "", staff_name=h[14] or "", paused=h[15] is not None, graph=_json(h[16]))
    for r in rows:
        item_id = r[17]
        if item_id is None:
            continue
        if item_id not in ts.item_status:
            ts.items.append(ItemView(item_id, r[18], r[19], r[20], r[21], _json(r[22]) or {}))
            ts.item_status[item_id] = r[21]
        if r[23] is not None:
            ts.answers.setdefault(item_id, {})[r[23]] = AnswerView(_json(r[24]), r[25], bool(r[26]), r[27] or "")
            ts.answered.add((item_id, r[23]))
    return ts


# ---------------------------------------------------------------------------- storing the raw message
_SAME_MESSAGE = and_(_inbound.c.channel == bindparam("channel"), _inbound.c.external_id == bindparam("external_id"))
# One statement answers both questions of storing: is the request known, was this message stored already?
_PRECHECK = select(
    select(_request.c.id).where(_request.c.id == bindparam("rid")).scalar_subquery(),
    select(_inbound.c.id).where(_SAME_MESSAGE).scalar_subquery(),
    select(_inbound.c.status).where(_SAME_MESSAGE).scalar_subquery(),
)
_INSERT_INBOUND = insert(_inbound)


def precheck(conn: Connection, request_id: str | None, channel: str,
             external_id: str) -> tuple[bool, tuple[int, str] | None]:
    """(the request exists, (id, status) of the same message stored before or None)."""
    row = conn.execute(_PRECHECK, {"rid": request_id, "channel": channel, "external_id": external_id}).one()
    return row[0] is not None, ((row[1], row[2]) if row[1] is not None else None)


def insert_inbound(conn: Connection, values: dict[str, Any]) -> int:
    inbound_id = int(conn.execute(_INSERT_INBOUND, values).inserted_primary_key[0])
    for hook in inbound_hooks:
        hook(conn, inbound_id, values)
    return inbound_id


# ---------------------------------------------------------------------------- activity
_INSERT_ACTIVITY = insert(_activity)
_MARK_UNSEEN = update(_request).where(_request.c.id == bindparam("rid"), _request.c.unseen.is_(False)) \
    .values(unseen=True)


def add_activity(conn: Connection, request_id: str | None, kind: str, summary: str, *, data: dict[str, Any],
                 important: bool, actor: str, now: datetime, mark_unseen: bool = True) -> None:
    """An activity row with its pulse (what the ORM's after-insert hook in staff_tables does for ORM rows)
    and, for the client's and the agent's doings, the request's unseen flag."""
    values = {"request_id": request_id, "kind": kind, "summary": summary[:4000], "data": data,
              "important": important, "actor": actor, "created_at": now}
    activity_id = conn.execute(_INSERT_ACTIVITY, values).inserted_primary_key[0]
    for hook in activity_hooks:
        hook(conn, activity_id, values)
    if request_id is None:
        return
    record_pulse(conn, request_id, activity_id, now, actor)
    if mark_unseen and actor != "staff":
        conn.execute(_MARK_UNSEEN, {"rid": request_id})


# ---------------------------------------------------------------------------- writing a turn
_SUPERSEDE = update(_answer).where(
    _answer.c.item_id == bindparam("b_item"), _answer.c.field_id == bindparam("b_field"),
    _answer.c.superseded_at.is_(None)).values(superseded_at=bindparam("b_now"))
_INSERT_ANSWER = insert(_answer)
_CONFIRM = update(_answer).where(_answer.c.item_id == bindparam("b_item"), _answer.c.superseded_at.is_(None)) \
    .values(confirmed=True)
_ITEM_STATUS = update(_item).where(_item.c.id == bindparam("b_id")).values(status=bindparam("b_status"))
_INSERT_OUTBOX = insert(_outbox)
_INSERT_LLM = insert(_llm)
_COMPLETE_NOTED = select(_activity.c.id).where(
    _activity.c.request_id == bindparam("rid"), _activity.c.kind == "request_complete").limit(1)
_GRAPH_UPDATE = update(_graph).where(_graph.c.thread_id == bindparam("b_thread")) \
    .values({"values": bindparam("b_values"), "updated_at": bindparam("b_now")})
_INSERT_GRAPH = insert(_graph)
_CLAIM = update(_request).where(_request.c.id == bindparam("b_id"), _request.c.version == bindparam("b_version")) \
    .values(state=bindparam("b_state"), status=bindparam("b_status"), version=bindparam("b_next"),
            updated_at=bindparam("b_now"))
_MARK_PROCESSED = update(_inbound).where(_inbound.c.id == bindparam("b_id"), _inbound.c.status == "received") \
    .values(status="processed", processed_at=bindparam("b_now"), result=bindparam("b_result"))


def claim(conn: Connection, request_id: str, version: int, *, state: dict[str, Any], status: str,
          now: datetime) -> None:
    """Move the request to the turn's state if it is still at the version the turn read, else ``Conflict``.
    On PostgreSQL the UPDATE takes the row lock, so a second worker waits here and then sees the new version."""
    done = conn.execute(_CLAIM, {"b_id": request_id, "b_version": version, "b_state": state, "b_status": status,
                                 "b_next": version + 1, "b_now": now})
    if done.rowcount != 1:
        raise Conflict(request_id)


def write_answers(conn: Connection, answers: list[dict[str, Any]], confirmed_items: list[int],
                  now: datetime, answered: set[tuple[int, str]]) -> None:
    """New answers supersede the current ones of their field (kept, never overwritten). ``answered`` are the
    fields that had a current answer when the turn read the request: a field without one needs no UPDATE,
    since every answer is written by a turn and ``claim`` already proved no turn came in between."""
    current = set(answered)
    for row in answers:
        key = (row["item_id"], row["field_id"])
        if key in current:
            conn.execute(_SUPERSEDE, {"b_item": key[0], "b_field": key[1], "b_now": now})
        conn.execute(_INSERT_ANSWER, {**row, "created_at": now})
        current.add(key)
    for item_id in confirmed_items:
        conn.execute(_CONFIRM, {"b_item": item_id})


def write_item_status(conn: Connection, changed: dict[int, str]) -> None:
    for item_id, status in changed.items():
        conn.execute(_ITEM_STATUS, {"b_id": item_id, "b_status": status})


def complete_noted(conn: Connection, request_id: str) -> bool:
    return conn.execute(_COMPLETE_NOTED, {"rid": request_id}).first() is not None


def write_outbox(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(_INSERT_OUTBOX, rows)


def write_llm_calls(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(_INSERT_LLM, rows)


def write_graph(conn: Connection, thread_id: str, values: dict[str, Any], now: datetime) -> None:
    done = conn.execute(_GRAPH_UPDATE, {"b_thread": thread_id, "b_values": values, "b_now": now})
    if done.rowcount == 0:  # the request's first run (or one from before the graph state moved here)
        conn.execute(_INSERT_GRAPH, {"thread_id": thread_id, "values": values, "updated_at": now})


def mark_processed(conn: Connection, inbound_id: int, result: dict[str, Any], now: datetime) -> None:
    done = conn.execute(_MARK_PROCESSED, {"b_id": inbound_id, "b_now": now, "b_result": result})
    if done.rowcount != 1:
        raise AlreadyProcessed(inbound_id)
