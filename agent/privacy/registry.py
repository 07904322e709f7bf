"""Erasers: what each package adds to an erasure, registered with one line.

The core's cascade (agent/privacy/cascade.py) already removes every row of every table on the metadata
that reaches an erased client or request through a foreign key (or a ``request_id`` column). A package
whose data is tied to a client some other way — a webhook delivery body, a reminder keyed by address, a
file outside the store — registers an eraser::

    register_eraser(rows_of_requests(WebhookDelivery.__table__))   # rows by request_id
    register_eraser(my_eraser)                                      # anything else

An eraser runs inside the erasure's transaction, before the core cascade (so it may delete rows that
point at rows the cascade removes), and may defer work on other stores until after the commit with
``ctx.after_commit``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, delete
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class ErasureScope:
    """Who is erased: the client rows, their requests, and the addresses they wrote from."""

    client_ids: frozenset[str] = frozenset()
    request_ids: frozenset[str] = frozenset()
    thread_ids: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()  # lower case
    chat_ids: frozenset[str] = frozenset()  # Telegram chat ids


@dataclass
class ErasureContext:
    session: Session
    scope: ErasureScope
    service: Any  # agent.service.Mandat (typed loosely: erasers live in packages the core must not import)
    counts: Counter[str] = field(default_factory=Counter)
    blob_candidates: set[str] = field(default_factory=set)  # file ids the erased rows named
    deferred: list[Callable[[], None]] = field(default_factory=list)

    def after_commit(self, work: Callable[[], None]) -> None:
        """Run ``work`` once the rows are gone for good (files, vector store, checkpoints)."""
        self.deferred.append(work)

    def count(self, name: str, n: int) -> None:
        if n:
            self.counts[name] += n


Eraser = Callable[[ErasureContext], None]
_ERASERS: list[Eraser] = []


def register_eraser(fn: Eraser) -> Eraser:
    """Add ``fn`` to every erasure (idempotent; usable as a decorator)."""
    if fn not in _ERASERS:
        _ERASERS.append(fn)
    return fn


def registered_erasers() -> list[Eraser]:
    return list(_ERASERS)


def rows_of_requests(table: Table | Any, column: str = "request_id") -> Eraser:
    """An eraser deleting the rows of ``table`` (a Table or a mapped class) whose ``column`` names an erased
    request."""
    tbl: Table = getattr(table, "__table__", table)

    def erase(ctx: ErasureContext) -> None:
        if ctx.scope.request_ids:
            done = ctx.session.execute(delete(tbl).where(tbl.c[column].in_(sorted(ctx.scope.request_ids))))
            ctx.count(tbl.name, done.rowcount or 0)

    erase.__name__ = f"erase_{tbl.name}"
    return erase
