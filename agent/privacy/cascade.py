"""The core of an erasure: every row that reaches an erased client or request, in every table.

Walks the metadata's tables parents first, so a table's rows are doomed when one of its foreign keys
points at a doomed row (answers → request, outbox → inbound message …) or, without a foreign key, when
its ``request_id`` names a doomed request. Deletes children first. Generic on purpose: a table another
package adds later is covered without anyone remembering to list it here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import JSON, String, Table, Text, cast, delete, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from agent.privacy.registry import ErasureContext
from agent.store import models as m
from agent.store.models import Base

_SHA = re.compile(r"\b[0-9a-f]{64}\b")
# The tombstones themselves and the installation's own machinery never belong to a client.
_NEVER = {"erasure_tombstone", "lease", "firm", "staff", "staff_login", "staff_session", "branding", "kv"}


def _roots(ctx: ErasureContext) -> dict[str, list[ColumnElement[bool]]]:
    """Where the cascade starts: the clients, their requests, and what they sent without a request."""
    scope = ctx.scope
    roots: dict[str, list[ColumnElement[bool]]] = {}
    if scope.client_ids:
        roots["client"] = [m.Client.__table__.c.id.in_(sorted(scope.client_ids))]
    if scope.request_ids:
        roots["request"] = [m.Request.__table__.c.id.in_(sorted(scope.request_ids))]
    senders = sorted(scope.emails | scope.chat_ids)
    if senders:
        inbound = m.InboundRecord.__table__.c
        roots["inbound_message"] = [func.lower(inbound.sender).in_(senders)]
        outbox = m.OutboxRow.__table__.c
        roots["outbox"] = [func.lower(outbox.address).in_(senders)]
        act = m.Activity.__table__.c
        # unrouted or quarantined mail is logged with the sender in the summary and no request
        named = or_(*(func.lower(act.summary).contains(e, autoescape=True) for e in senders))
        roots["activity"] = [act.request_id.is_(None) & named]
    return roots


def _conditions(table: Table, doomed: dict[str, dict[str, set[Any]]], roots: list[ColumnElement[bool]],
                request_ids: frozenset[str]) -> list[ColumnElement[bool]]:
    conds = list(roots)
    linked = set()
    for fk in table.foreign_keys:
        values = doomed.get(fk.column.table.name, {}).get(fk.column.name)
        linked.add(fk.parent.name)
        if values:
            conds.append(fk.parent.in_(sorted(values, key=str)))
    if "request_id" in table.c and "request_id" not in linked and request_ids:
        conds.append(table.c.request_id.in_(sorted(request_ids)))
    return conds


def cascade(ctx: ErasureContext) -> None:
    """Delete every row reaching the scope; counts per table; remembers the file ids the rows named."""
    s = ctx.session
    roots = _roots(ctx)
    doomed: dict[str, dict[str, set[Any]]] = {}
    order: list[tuple[Table, list[ColumnElement[bool]]]] = []
    referenced = {(fk.column.table.name, fk.column.name) for t in Base.metadata.sorted_tables for fk in t.foreign_keys}
    for table in Base.metadata.sorted_tables:
        if table.name in _NEVER:
            continue
        conds = _conditions(table, doomed, roots.get(table.name, []), ctx.scope.request_ids)
        if not conds:
            continue
        rows = s.execute(select(table).where(or_(*conds))).mappings().all()
        if not rows:
            continue
        doomed[table.name] = {col.name: {r[col.name] for r in rows if r[col.name] is not None}
                              for col in table.c if (table.name, col.name) in referenced}
        for row in rows:
            ctx.blob_candidates.update(shas_in(row.values()))
        order.append((table, conds))
    for table, conds in reversed(order):  # children first: no foreign key ever points at a deleted row
        done = s.execute(delete(table).where(or_(*conds)))
        ctx.count(table.name, done.rowcount or 0)


def shas_in(values: Iterable[Any]) -> Iterator[str]:
    """Every SHA-256 hex digest inside values (strings, JSON lists and dicts)."""
    for value in values:
        if isinstance(value, str):
            yield from _SHA.findall(value)
        elif isinstance(value, dict):
            yield from shas_in(value.values())
        elif isinstance(value, list | tuple):
            yield from shas_in(value)


def _text_columns(table: Table) -> list[Any]:
    return [c for c in table.c if isinstance(c.type, String | Text | JSON) or c.type.__class__.__name__ == "JSON"]


def still_referenced(s: Session, shas: set[str]) -> set[str]:
    """Which of ``shas`` some remaining row still names (another client sent the same file)."""
    if not shas:
        return set()
    found: set[str] = set()
    for table in Base.metadata.sorted_tables:
        cols = _text_columns(table)
        if not cols:
            continue
        hits = or_(*(cast(c, Text).contains(sha) for c in cols for sha in sorted(shas)))
        for row in s.execute(select(*cols).where(hits)):
            found.update(sha for sha in shas_in(row) if sha in shas)
    return found
