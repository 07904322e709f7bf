"""Erasure (Art. 17 GDPR): a client, or one request, gone from every store Mandat keeps.

In one transaction: the registered erasers, the core cascade over every table, the chat bindings kept as
key-value rows, the conversation graph's state of its threads, and a tombstone without personal data.
After the commit: the files no remaining row names and the request's chunks in the vector store. On SQLite
the erasing connection uses ``secure_delete`` and the WAL is checkpointed, so the deleted text does not
linger in free pages of the database file.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from agent.privacy.cascade import cascade, still_referenced
from agent.privacy.registry import ErasureContext, ErasureScope, registered_erasers
from agent.store import models as m
from agent.store.graph_tables import GraphState
from agent.store.privacy_tables import ErasureTombstone

log = logging.getLogger(__name__)

SECRET_KEY = "privacy.tombstone_secret"


@dataclass(frozen=True)
class ErasureReport:
    tombstone_id: int | None
    counts: dict[str, int]

    @property
    def requests(self) -> int:
        return int(self.counts.get("request", 0))


def subject_hash(service: Any, subject: str) -> str:
    """HMAC-SHA256 of the lower-cased e-mail with an installation secret: not reversible from the
    tombstone alone, yet "was this address erased?" is answerable for someone who knows the address."""
    secret = service.channel_state.secret(SECRET_KEY)
    return hmac.new(secret.encode(), subject.strip().lower().encode(), hashlib.sha256).hexdigest()


def client_scope(s: Session, firm_id: str, email: str) -> ErasureScope:
    email = email.strip().lower()
    clients = list(s.scalars(select(m.Client).where(m.Client.firm_id == firm_id, m.Client.email == email)))
    ids = {c.id for c in clients}
    reqs = list(s.scalars(select(m.Request).where(m.Request.client_id.in_(ids)))) if ids else []
    return ErasureScope(client_ids=frozenset(ids), request_ids=frozenset(r.id for r in reqs),
                        thread_ids=frozenset(r.thread_id for r in reqs), emails=frozenset({email}),
                        chat_ids=frozenset(c.telegram_chat_id for c in clients if c.telegram_chat_id))


def request_scope(s: Session, request_ids: Iterable[str]) -> ErasureScope:
    """Some requests; their client too when no other request of theirs is left."""
    reqs = list(s.scalars(select(m.Request).where(m.Request.id.in_(sorted(set(request_ids))))))
    ids = {r.id for r in reqs}
    gone_clients = set()
    for client_id in {r.client_id for r in reqs}:
        others = s.scalar(select(m.Request.id).where(m.Request.client_id == client_id, m.Request.id.notin_(ids)))
        if others is None:
            gone_clients.add(client_id)
    return ErasureScope(client_ids=frozenset(gone_clients), request_ids=frozenset(ids),
                        thread_ids=frozenset(r.thread_id for r in reqs))


def erase_client(service: Any, email: str) -> ErasureReport:
    with service.db.read() as s:
        scope = client_scope(s, service.firm.id, email)
    return erase(service, scope, reason="client_erase", subject=email)


def erase(service: Any, scope: ErasureScope, *, reason: str, subject: str) -> ErasureReport:
    """Erase ``scope`` everywhere; the tombstone records ``subject`` only as a keyed hash."""
    digest = subject_hash(service, subject)
    with service.db.write() as s:
        if service.db.is_sqlite:
            s.execute(text("PRAGMA secure_delete=ON"))  # overwrite freed pages instead of leaving the text
        ctx = ErasureContext(session=s, scope=scope, service=service)
        for eraser in registered_erasers():
            eraser(ctx)
        cascade(ctx)
        _erase_bindings(ctx)
        _erase_graph_state(ctx)
        s.flush()
        stored = {sha for sha in ctx.blob_candidates if service.desk.blobs.exists(sha)}
        orphans = stored - still_referenced(s, stored)
        counts = dict(ctx.counts)
        tomb = ErasureTombstone(subject_hash=digest, reason=reason, counts=counts)
        s.add(tomb)
        s.flush()
        tomb_id = tomb.id
    counts["files"] = sum(service.desk.blobs.delete(sha) for sha in sorted(orphans))
    _after_commit(service, scope, ctx, counts)
    with service.db.write() as s:  # the file count is known only now
        row = s.get(ErasureTombstone, tomb_id)
        if row is not None:
            row.counts = counts
    _compact_sqlite(service)
    return ErasureReport(tomb_id, counts)


def _erase_bindings(ctx: ErasureContext) -> None:
    """Key-value rows naming an erased request or chat (Telegram's current choice, the demo marker)."""
    scope = ctx.scope
    doomed = []
    for row in ctx.session.scalars(select(m.KeyValue)):
        value = row.value or {}
        if (value.get("request_id") in scope.request_ids
                or any(f".{chat}." in row.key for chat in scope.chat_ids)):
            doomed.append(row.key)
    if doomed:
        ctx.session.execute(delete(m.KeyValue).where(m.KeyValue.key.in_(doomed)))
        ctx.count("kv", len(doomed))


def _erase_graph_state(ctx: ErasureContext) -> None:
    """The LangGraph working state of the erased requests' threads (keyed by thread, not by request)."""
    if ctx.scope.thread_ids:
        gone = ctx.session.execute(delete(GraphState).where(GraphState.thread_id.in_(sorted(ctx.scope.thread_ids))))
        ctx.count("graph_state", gone.rowcount or 0)


def _after_commit(service: Any, scope: ErasureScope, ctx: ErasureContext, counts: dict[str, int]) -> None:
    for work in ctx.deferred:
        try:
            work()
        except Exception:  # the rows are gone already; the log says which store still needs a hand
            log.exception("an eraser's after-commit step failed")
    counts["vector_requests"] = _erase_chunks(service, scope.request_ids)


def _erase_chunks(service: Any, request_ids: frozenset[str]) -> int:
    """Document chunks in chroma; an installation that never indexed anything has no chroma to open."""
    settings = service.settings
    if not request_ids or not (settings.chroma_url or (settings.data_dir / "chroma").is_dir()):
        return 0
    from tools.knowledge import KnowledgeBase

    kb = KnowledgeBase(data_dir=settings.data_dir, chroma_url=settings.chroma_url)
    for request_id in sorted(request_ids):
        kb.delete_request(request_id)
    return len(request_ids)


def _compact_sqlite(service: Any) -> None:
    """Fold the WAL (which still holds the erased rows' pages) into the zeroed database file."""
    if not service.db.is_sqlite:
        return
    conn = service.db.engine.raw_connection()  # no BEGIN: a checkpoint cannot run inside a transaction
    try:
        conn.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except Exception:  # a long reader holds the WAL; the next checkpoint folds it
        log.warning("could not checkpoint the SQLite WAL after an erasure", exc_info=True)
    finally:
        conn.close()
