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
BELL_CAP = 99


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

    @property
    def shown(self) -> str:
        return f"{BELL_CAP}+" if self.count > BELL_CAP else str(self.count)


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


def _request_conditions(staff_id: int, f: ListFilter) -> list:
    conditions = []
    if f.mine:
        conditions.append(m.Request.staff_id == staff_id)
    if f.state == "complete":
        conditions.append(m.Request.status == "complete")
    elif f.state in ("open", "stalled"):
        conditions.append(m.Request.status != "complete")
    query = f.q.strip()[:100]
    if query:
        escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(or_(func.lower(m.Client.name).like(f"%{escaped.lower()}%", escape="\\"),
                              m.Request.id == query.lower()))
    return conditions


def _page_ids(staff_id: int, f: ListFilter, now: datetime, limit: int):  # noqa: ANN202 - a SQL statement
    """One page of request ids, walking the pulse index newest first. The request's own filters sit in an
    EXISTS so that both engines keep that walk (and stop after one page) instead of sorting every match."""
    stmt = select(RequestPulse.request_id, RequestPulse.last_activity_at)
    conditions = _request_conditions(staff_id, f)
    if conditions:
        stmt = stmt.where(select(m.Request.id).join(m.Client, m.Client.id == m.Request.client_id)
                          .where(m.Request.id == RequestPulse.request_id, *conditions).exists())
    if f.state == "stalled":
        quiet_since = now - STALLED_AFTER
        stmt = stmt.where(or_(RequestPulse.news_at < quiet_since, and_(
            RequestPulse.news_at.is_(None), RequestPulse.last_activity_at < quiet_since)))
    cursor = decode_cursor(f.cursor)
    if cursor is not None:
        at, rid = cursor
        stmt = stmt.where(or_(RequestPulse.last_activity_at < at,
                              and_(RequestPulse.last_activity_at == at, RequestPulse.request_id < rid)))
    return stmt.order_by(RequestPulse.last_activity_at.desc(), RequestPulse.request_id.desc()).limit(limit)


def list_requests(db: Database, staff_id: int, f: ListFilter, *, page_size: int = PAGE_SIZE,
                  now: datetime | None = None) -> ListPage:
    """Newest activity first, ``page_size`` rows per page, keyset-paged on (last activity, id)."""
    now = now or datetime.now(UTC)
    with db.read() as s:
        ids = [rid for rid, _at in s.execute(_page_ids(staff_id, f, now, page_size + 1))]
        more = len(ids) > page_size
        ids = ids[:page_size]
        details = (select(m.Request.id, m.Request.status, m.Client.name, m.Staff.name, RequestPulse.last_activity_at,
                          _unseen(staff_id), RequestPause.staff_id)
                   .select_from(RequestPulse)
                   .join(m.Request, m.Request.id == RequestPulse.request_id)
                   .join(m.Client, m.Client.id == m.Request.client_id)
                   .outerjoin(m.Staff, m.Staff.id == m.Request.staff_id)
                   .outerjoin(StaffSeen, _seen_join(staff_id))
                   .outerjoin(RequestPause, RequestPause.request_id == RequestPulse.request_id)
                   .where(RequestPulse.request_id.in_(ids)))
        found = {row[0]: row for row in s.execute(details)} if ids else {}
        extras = _page_extras(s, ids)
    rows = tuple(RequestRow(id=rid, client=client, status=status, staff_name=staff or "", last_at=at,
                            unseen=bool(unseen), paused=paused is not None, **extras.get(rid, _NO_EXTRAS))
                 for rid, status, client, staff, at, unseen, paused in (found[i] for i in ids if i in found))
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
    # Counted up to BELL_CAP (the bell shows "99+"), newest first, so a long backlog costs no more than that.
    unseen_ids = (select(RequestPulse.request_id).outerjoin(StaffSeen, _seen_join(staff_id))
                  .where(RequestPulse.news_id > 0, _unseen(staff_id))
                  .order_by(RequestPulse.last_activity_at.desc()).limit(BELL_CAP + 1).subquery())
    count_stmt = select(func.count()).select_from(unseen_ids)
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
