"""What the staff pages read: frozen views built from the store, a page at a time.

The list and the bell read ``request_pulse`` (one row per request, indexed by its newest activity)
and the reader's ``staff_seen`` watermarks, so their cost does not grow with the activity log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from agent.store import models as m
from agent.store.db import Database
from agent.store.staff_tables import RequestPause, RequestPulse, StaffSeen

PAGE_SIZE = 25
STALLED_AFTER = timedelta(days=7)
STATES = ("", "open", "complete", "stalled")


@dataclass(frozen=True)
class Progress:
    done: int
    total: int


@dataclass(frozen=True)
class RequestRow:
    id: str
    client: str
    status: str
    staff_name: str
    last_at: datetime
    unseen: bool
    paused: bool
    channels: tuple[str, ...]
    questionnaires: Progress
    answers: int
    uploads: Progress
    signatures: Progress


@dataclass(frozen=True)
class ListFilter:
    mine: bool = False
    state: str = ""
    q: str = ""
    cursor: str | None = None


@dataclass(frozen=True)
class ListPage:
    rows: tuple[RequestRow, ...]
    next_cursor: str | None


@dataclass(frozen=True)
class BellItem:
    id: int
    request_id: str
    client: str
    kind: str
    summary: str
    at: datetime
    unseen: bool


@dataclass(frozen=True)
class Bell:
    count: int
    items: tuple[BellItem, ...]


def _seen_join(staff_id: int):  # noqa: ANN202 - a SQL expression
    return and_(StaffSeen.request_id == RequestPulse.request_id, StaffSeen.staff_id == staff_id)


def _unseen(staff_id: int):  # noqa: ANN202
    return RequestPulse.news_id > func.coalesce(StaffSeen.activity_id, 0)


def encode_cursor(at: datetime, request_id: str) -> str:
    return f"{at.astimezone(UTC).strftime('%Y%m%dT%H%M%S.%f')}~{request_id}"


def decode_cursor(value: str | None) -> tuple[datetime, str] | None:
    if not value or len(value) > 80 or "~" not in value:
        return None
    stamp, _, request_id = value.partition("~")
    try:
        at = datetime.strptime(stamp, "%Y%m%dT%H%M%S.%f").replace(tzinfo=UTC)
    except ValueError:
        return None
    return at, request_id[:32]


def _filtered(stmt, staff_id: int, f: ListFilter, now: datetime):  # noqa: ANN001,ANN202
    if f.mine:
        stmt = stmt.where(m.Request.staff_id == staff_id)
    if f.state == "complete":
        stmt = stmt.where(m.Request.status == "complete")
    elif f.state == "open":
        stmt = stmt.where(m.Request.status != "complete")
    elif f.state == "stalled":
        quiet_since = now - STALLED_AFTER
        never = and_(RequestPulse.news_at.is_(None), m.Request.created_at < quiet_since)
        stmt = stmt.where(m.Request.status != "complete", or_(RequestPulse.news_at < quiet_since, never))
    query = f.q.strip()[:100]
    if query:
        escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(or_(func.lower(m.Client.name).like(f"%{escaped.lower()}%", escape="\\"),
                              m.Request.id == query.lower()))
    cursor = decode_cursor(f.cursor)
    if cursor is not None:
        at, rid = cursor
        stmt = stmt.where(or_(RequestPulse.last_activity_at < at,
                              and_(RequestPulse.last_activity_at == at, RequestPulse.request_id < rid)))
    return stmt


def list_requests(db: Database, staff_id: int, f: ListFilter, *, page_size: int = PAGE_SIZE,
                  now: datetime | None = None) -> ListPage:
    """Newest activity first, ``page_size`` rows per page, keyset-paged on (last activity, id)."""
    now = now or datetime.now(UTC)
    stmt = (select(m.Request.id, m.Request.status, m.Client.name, m.Staff.name, RequestPulse.last_activity_at,
                   _unseen(staff_id), RequestPause.staff_id)
            .select_from(RequestPulse)
            .join(m.Request, m.Request.id == RequestPulse.request_id)
            .join(m.Client, m.Client.id == m.Request.client_id)
            .outerjoin(m.Staff, m.Staff.id == m.Request.staff_id)
            .outerjoin(StaffSeen, _seen_join(staff_id))
            .outerjoin(RequestPause, RequestPause.request_id == RequestPulse.request_id))
    stmt = _filtered(stmt, staff_id, f, now)
    stmt = stmt.order_by(RequestPulse.last_activity_at.desc(), RequestPulse.request_id.desc()).limit(page_size + 1)
    with db.read() as s:
        found = list(s.execute(stmt))
        more = len(found) > page_size
        found = found[:page_size]
        extras = _page_extras(s, [r[0] for r in found])
    rows = tuple(RequestRow(id=rid, client=client, status=status, staff_name=staff or "", last_at=at,
                            unseen=bool(unseen), paused=paused is not None, **extras.get(rid, _NO_EXTRAS))
                 for rid, status, client, staff, at, unseen, paused in found)
    next_cursor = encode_cursor(rows[-1].last_at, rows[-1].id) if more and rows else None
    return ListPage(rows=rows, next_cursor=next_cursor)


_NO_EXTRAS = {"channels": (), "questionnaires": Progress(0, 0), "answers": 0, "uploads": Progress(0, 0),
              "signatures": Progress(0, 0)}


def _page_extras(s: Session, ids: list[str]) -> dict[str, dict]:
    """Items, answer counts and channels of one page of requests: three small queries, not three per row."""
    if not ids:
        return {}
    counts: dict[str, dict[str, list[int]]] = {rid: {} for rid in ids}
    for rid, kind, status in s.execute(select(m.RequestItem.request_id, m.RequestItem.kind, m.RequestItem.status)
                                       .where(m.RequestItem.request_id.in_(ids))):
        pair = counts[rid].setdefault(kind, [0, 0])
        pair[0] += status in ("complete", "skipped")
        pair[1] += 1
    answers = dict(s.execute(select(m.Answer.request_id, func.count(m.Answer.id))
                             .where(m.Answer.request_id.in_(ids), m.Answer.superseded_at.is_(None))
                             .group_by(m.Answer.request_id)).all())
    channels: dict[str, set[str]] = {rid: set() for rid in ids}
    for rid, channel in s.execute(select(m.InboundRecord.request_id, m.InboundRecord.channel)
                                  .where(m.InboundRecord.request_id.in_(ids)).distinct()):
        channels[rid].add(channel)
    out = {}
    for rid in ids:
        kinds = counts[rid]
        out[rid] = {"channels": tuple(sorted(channels[rid])), "answers": int(answers.get(rid, 0)),
                    **{name: Progress(*kinds.get(kind, [0, 0])) for name, kind in
                       (("questionnaires", "questionnaire"), ("uploads", "upload"), ("signatures", "sign"))}}
    return out


def bell(db: Database, staff_id: int, *, limit: int = 8) -> Bell:
    """How many requests have news for this staff member, and the latest client/agent/system activity."""
    count_stmt = (select(func.count()).select_from(RequestPulse).outerjoin(StaffSeen, _seen_join(staff_id))
                  .where(RequestPulse.news_id > 0, _unseen(staff_id)))
    watermark = func.coalesce(StaffSeen.activity_id, 0)
    latest = (select(m.Activity.id, m.Activity.request_id, m.Client.name, m.Activity.kind, m.Activity.summary,
                     m.Activity.created_at, m.Activity.id > watermark)
              .join(m.Request, m.Request.id == m.Activity.request_id)
              .join(m.Client, m.Client.id == m.Request.client_id)
              .outerjoin(StaffSeen, and_(StaffSeen.request_id == m.Activity.request_id,
                                         StaffSeen.staff_id == staff_id))
              .where(m.Activity.actor != "staff")
              .order_by(m.Activity.id.desc()).limit(limit))
    with db.read() as s:
        count = s.scalar(count_stmt) or 0
        items = tuple(BellItem(id=aid, request_id=rid, client=client, kind=kind, summary=summary[:200], at=at,
                               unseen=bool(unseen))
                      for aid, rid, client, kind, summary, at, unseen in s.execute(latest))
    return Bell(count=int(count), items=items)


def mark_seen(db: Database, staff_id: int, request_id: str) -> bool:
    """Everything of the request up to now is seen by this staff member (only them); False if no request."""
    with db.write() as s:
        pulse = s.get(RequestPulse, request_id)
        if pulse is None:
            return s.get(m.Request, request_id) is not None
        seen = s.get(StaffSeen, (staff_id, request_id))
        if seen is None:
            seen = StaffSeen(staff_id=staff_id, request_id=request_id, activity_id=0)
            s.add(seen)
        seen.activity_id = max(seen.activity_id or 0, pulse.last_activity_id)
        seen.seen_at = datetime.now(UTC)
        return True
