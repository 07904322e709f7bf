"""What the staff pages read: frozen views built from the store, a page at a time.

The list and the bell read ``request_pulse`` (one row per request, indexed by its newest activity)
and the reader's ``staff_seen`` watermarks, so their cost does not grow with the activity log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, distinct, func, literal_column, or_, select, union_all
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
    return conditions


def _search_ids(query: str):  # noqa: ANN202 - a SQL statement
    """Requests whose client's name contains ``query`` (any case) or whose reference is ``query``.

    A UNION of two index lookups rather than one OR, so PostgreSQL answers the name part from the trigram
    index on client.name and only then sorts the (few) hits by activity, instead of walking every request."""
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    by_name = (select(m.Request.id).join(m.Client, m.Client.id == m.Request.client_id)
               .where(m.Client.name.ilike(f"%{escaped}%", escape="\\")))
    return union_all(by_name, select(m.Request.id).where(m.Request.id == query.lower()))


def _page_ids(staff_id: int, f: ListFilter, now: datetime, limit: int):  # noqa: ANN202 - a SQL statement
    """One page of request ids, walking the pulse index newest first. The request's own filters sit in an
    EXISTS so that both engines keep that walk (and stop after one page) instead of sorting every match."""
    stmt = select(RequestPulse.request_id, RequestPulse.last_activity_at, RequestPulse.news_id)
    conditions = _request_conditions(staff_id, f)
    if conditions:
        stmt = stmt.where(select(m.Request.id).where(m.Request.id == RequestPulse.request_id, *conditions).exists())
    query = f.q.strip()[:100]
    if query:
        stmt = stmt.where(RequestPulse.request_id.in_(_search_ids(query)))
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


_DONE = ("complete", "skipped")
_KINDS = (("questionnaires", "questionnaire"), ("uploads", "upload"), ("signatures", "sign"))


def _joined(value: Any, is_sqlite: bool):  # noqa: ANN202 - an aggregate expression
    return func.group_concat(value) if is_sqlite else func.string_agg(value, literal_column("','"))


def _page_statement(staff_id: int, f: ListFilter, now: datetime, limit: int, is_sqlite: bool):  # noqa: ANN202
    """The whole page in one round trip: the page's ids (a CTE, computed once), each row's client, staff
    member and pause by key, and its item progress, answer count, channels and seen mark as correlated
    subqueries, which both engines run as index lookups for just the page's rows."""
    page = _page_ids(staff_id, f, now, limit).cte("page")
    rid = page.c.request_id
    item, answer, inbound = m.RequestItem, m.Answer, m.InboundRecord
    items = select(_joined(item.kind + ":" + item.status, is_sqlite)).where(item.request_id == rid)
    answers = select(func.count()).where(answer.request_id == rid, answer.superseded_at.is_(None))
    channels = select(_joined(distinct(inbound.channel), is_sqlite)).where(inbound.request_id == rid)
    seen = select(StaffSeen.activity_id).where(StaffSeen.staff_id == staff_id, StaffSeen.request_id == rid)
    paused = select(RequestPause.staff_id).where(RequestPause.request_id == rid)
    return (select(rid, m.Request.status, m.Client.name, m.Staff.name, page.c.last_activity_at,
                   page.c.news_id > func.coalesce(seen.scalar_subquery(), 0), paused.exists(),
                   answers.scalar_subquery(), channels.scalar_subquery(), items.scalar_subquery())
            .select_from(page)
            .join(m.Request, m.Request.id == rid)
            .join(m.Client, m.Client.id == m.Request.client_id)
            .outerjoin(m.Staff, m.Staff.id == m.Request.staff_id)
            .order_by(page.c.last_activity_at.desc(), rid.desc()))


def _split(joined: str | None) -> list[str]:
    return [part for part in (joined or "").split(",") if part]


def _row(values: Any) -> RequestRow:
    rid, status, client, staff, at, unseen, paused, answers, channels, items = values
    counts: dict[str, list[int]] = {}
    for pair in _split(items):
        kind, _, state = pair.partition(":")
        tally = counts.setdefault(kind, [0, 0])
        tally[0] += state in _DONE
        tally[1] += 1
    return RequestRow(id=rid, client=client, status=status, staff_name=staff or "", last_at=at, unseen=bool(unseen),
                      paused=bool(paused), answers=int(answers or 0), channels=tuple(sorted(set(_split(channels)))),
                      **{name: Progress(*counts.get(kind, [0, 0])) for name, kind in _KINDS})


def list_requests(db: Database, staff_id: int, f: ListFilter, *, page_size: int = PAGE_SIZE,
                  now: datetime | None = None) -> ListPage:
    """Newest activity first, ``page_size`` rows per page, keyset-paged on (last activity, id)."""
    with db.read() as s:
        return list_requests_in(s, db.is_sqlite, staff_id, f, page_size=page_size, now=now)


def list_requests_in(s: Session, is_sqlite: bool, staff_id: int, f: ListFilter, *, page_size: int = PAGE_SIZE,
                     now: datetime | None = None) -> ListPage:
    """The same inside a read the caller holds (the list page reads the page and the bell in one)."""
    stmt = _page_statement(staff_id, f, now or datetime.now(UTC), page_size + 1, is_sqlite)
    rows = [_row(values) for values in s.execute(stmt)]
    more = len(rows) > page_size
    rows = rows[:page_size]
    next_cursor = encode_cursor(rows[-1].last_at, rows[-1].id) if more and rows else None
    return ListPage(rows=tuple(rows), next_cursor=next_cursor)


def bell(db: Database, staff_id: int, *, limit: int = 8) -> Bell:
    """How many requests have news for this staff member, and the latest client/agent/system activity."""
    with db.read() as s:
        return bell_in(s, staff_id, limit=limit)


def bell_in(s: Session, staff_id: int, *, limit: int = 8) -> Bell:
    """The bell inside a read the caller holds."""
    # Counted up to BELL_CAP (the bell shows "99+"), newest first, so a long backlog costs no more than that.
    # The count rides along as a scalar column of the latest-activity query: one round trip. When that query
    # finds no row there is no activity by anyone but staff, so nothing is unseen either.
    unseen_ids = (select(RequestPulse.request_id).outerjoin(StaffSeen, _seen_join(staff_id))
                  .where(RequestPulse.news_id > 0, _unseen(staff_id))
                  .order_by(RequestPulse.last_activity_at.desc()).limit(BELL_CAP + 1).subquery())
    count = select(func.count()).select_from(unseen_ids).scalar_subquery()
    watermark = func.coalesce(StaffSeen.activity_id, 0)
    latest = (select(m.Activity.id, m.Activity.request_id, m.Client.name, m.Activity.kind, m.Activity.summary,
                     m.Activity.created_at, m.Activity.id > watermark, count)
              .join(m.Request, m.Request.id == m.Activity.request_id)
              .join(m.Client, m.Client.id == m.Request.client_id)
              .outerjoin(StaffSeen, and_(StaffSeen.request_id == m.Activity.request_id,
                                         StaffSeen.staff_id == staff_id))
              .where(m.Activity.actor != "staff")
              .order_by(m.Activity.id.desc()).limit(limit))
    found = s.execute(latest).all()
    items = tuple(BellItem(id=aid, request_id=rid, client=client, kind=kind, summary=summary[:200], at=at,
                           unseen=bool(unseen)) for aid, rid, client, kind, summary, at, unseen, _n in found)
    return Bell(count=int(found[0][-1] or 0) if found else 0, items=items)


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
