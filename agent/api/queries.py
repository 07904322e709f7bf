"""Reads and small writes for staff views: the activity log, unseen markers, stored files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update

from agent.store import models as m
from agent.store.db import Database

# Staff's own actions (creating a request, reissuing a link) never ring the bell.
_NOTEWORTHY = m.Activity.actor != "staff"


def activity(db: Database, *, unseen_only: bool, request_id: str | None, limit: int) -> dict[str, Any]:
    with db.read() as s:
        scope = [_NOTEWORTHY, m.Activity.seen_at.is_(None)]
        if request_id is not None:
            scope.append(m.Activity.request_id == request_id)
        unseen_count = s.scalar(select(func.count(m.Activity.id)).where(*scope)) or 0

        per_request = (
            select(m.Activity.request_id, func.count(m.Activity.id), func.max(m.Activity.created_at), m.Client.name)
            .join(m.Request, m.Request.id == m.Activity.request_id)
            .join(m.Client, m.Client.id == m.Request.client_id)
            .where(*scope)
            .group_by(m.Activity.request_id, m.Client.name)
            .order_by(func.max(m.Activity.created_at).desc())
            .limit(500)
        )
        unseen_requests = [{"id": rid, "client": name, "unseen_count": n, "last_at": last}
                           for rid, n, last, name in s.execute(per_request)]

        rows = (
            select(m.Activity, m.Client.name, m.Request.unseen)
            .outerjoin(m.Request, m.Request.id == m.Activity.request_id)
            .outerjoin(m.Client, m.Client.id == m.Request.client_id)
            .order_by(m.Activity.id.desc())
            .limit(limit)
        )
        if request_id is not None:
            rows = rows.where(m.Activity.request_id == request_id)
        if unseen_only:
            rows = rows.where(_NOTEWORTHY, m.Activity.seen_at.is_(None))
        items = [{
            "id": a.id, "request_id": a.request_id, "client": client, "kind": a.kind, "summary": a.summary,
            "actor": a.actor, "important": a.important, "at": a.created_at, "seen": a.seen_at is not None,
            "request_unseen": bool(req_unseen), "data": a.data or {},
        } for a, client, req_unseen in s.execute(rows)]
    return {"unseen_count": unseen_count, "unseen_requests": unseen_requests, "items": items}


def mark_seen(db: Database, request_id: str) -> int | None:
    """Mark every activity of the request seen and clear its red dot; None if there is no such request."""
    with db.write() as s:
        if s.get(m.Request, request_id) is None:
            return None
        count = s.execute(update(m.Activity).where(m.Activity.request_id == request_id,
                                                   m.Activity.seen_at.is_(None))
                          .values(seen_at=datetime.now(UTC))).rowcount or 0
        s.execute(update(m.Request).where(m.Request.id == request_id).values(unseen=False))
        return count


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    filename: str
    mime: str


def document(db: Database, document_id: str) -> StoredFile | None:
    if not document_id or len(document_id) > 32:
        return None
    with db.read() as s:
        doc = s.get(m.Document, document_id)
        if doc is None:
            return None
        return StoredFile(sha256=doc.sha256, filename=doc.filename, mime=doc.mime)
