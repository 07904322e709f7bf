"""The retention schedule: a daily purge on the installation's scheduler (one leader runs it).

What goes, after the ``MANDAT_RETENTION_*_DAYS`` setting for it (0 keeps it):

- closed requests (status ``complete``) with no activity for ``closed`` days: erased like a client
  erasure (agent/privacy/erase.py), one tombstone each;
- raw messages after ``raw`` days: the e-mail source files (the conversation text stays with the
  request), and messages that never belonged to a request (unknown senders, quarantine) entirely;
- OCR text after ``ocr`` days: the pages' text in document analyses and the document chunks in the
  vector store (what was read out of them — facts, case data, deadlines — stays);
- logs after ``logs`` days: LLM call records, ended staff sessions (with their IP address), system
  activity that belongs to no request.

Idempotent by the state it leaves: a second run on the same day finds nothing to do.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update

from agent.privacy.cascade import still_referenced
from agent.privacy.erase import erase, request_scope
from agent.store import models as m
from agent.store.staff_tables import RequestPulse, StaffSession

log = logging.getLogger(__name__)

JOB_NAME = "privacy.purge"
DAY_S = 24 * 3600.0
Clock = Callable[[], datetime]
# Another package's own purge (e.g. old webhook deliveries): called with (service, now), returns counts.
Purger = Callable[[Any, datetime], dict[str, int]]
_PURGERS: list[Purger] = []


def register_purger(fn: Purger) -> Purger:
    if fn not in _PURGERS:
        _PURGERS.append(fn)
    return fn


@dataclass
class PurgeReport:
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, n: int) -> None:
        if n:
            self.counts[name] = self.counts.get(name, 0) + n


def _cutoff(now: datetime, days: int) -> datetime | None:
    return now - timedelta(days=days) if days > 0 else None


class Retention:
    def __init__(self, service: Any, *, clock: Clock | None = None) -> None:
        self.service = service
        self.clock = clock or (lambda: datetime.now(UTC))

    def run(self) -> PurgeReport:
        now = self.clock()
        cfg = self.service.settings
        report = PurgeReport()
        steps: list[tuple[int, Callable[[datetime, PurgeReport], None]]] = [
            (cfg.retention_closed_days, self._closed_requests), (cfg.retention_raw_days, self._raw_messages),
            (cfg.retention_ocr_days, self._ocr_text), (cfg.retention_logs_days, self._logs)]
        for days, step in steps:
            cutoff = _cutoff(now, days)
            if cutoff is not None:
                step(cutoff, report)
        for purger in _PURGERS:
            for name, n in purger(self.service, now).items():
                report.add(name, n)
        if report.counts:
            log.info("retention purge: %s", report.counts)
        return report

    def _closed_requests(self, cutoff: datetime, report: PurgeReport) -> None:
        with self.service.db.read() as s:
            last = func.coalesce(RequestPulse.last_activity_at, m.Request.updated_at)
            rows = s.execute(select(m.Request.id, m.Request.updated_at, RequestPulse.last_activity_at)
                             .outerjoin(RequestPulse, RequestPulse.request_id == m.Request.id)
                             .where(m.Request.status == "complete", last < cutoff)).all()
        # compared again in Python: SQLite compares the stored text, and the newer of the two counts
        stale = [rid for rid, updated, pulse in rows if max(t for t in (updated, pulse) if t is not None) < cutoff]
        for rid in stale:
            with self.service.db.read() as s:
                scope = request_scope(s, [rid])
            erase(self.service, scope, reason="retention", subject=rid)
            report.add("closed_requests", 1)

    def _raw_messages(self, cutoff: datetime, report: PurgeReport) -> None:
        blobs = self.service.desk.blobs
        with self.service.db.write() as s:
            old = m.InboundRecord.received_at < cutoff
            unrouted = list(s.scalars(select(m.InboundRecord).where(old, m.InboundRecord.request_id.is_(None))))
            shas = {r.raw_sha256 for r in unrouted if r.raw_sha256}
            shas |= {a.get("sha256") for r in unrouted for a in r.attachments or [] if a.get("sha256")}
            ids = [r.id for r in unrouted]
            if ids:
                s.execute(update(m.OutboxRow).where(m.OutboxRow.inbound_id.in_(ids)).values(inbound_id=None))
                s.execute(update(m.Document).where(m.Document.source_inbound_id.in_(ids))
                          .values(source_inbound_id=None))
                s.execute(delete(m.InboundRecord).where(m.InboundRecord.id.in_(ids)))
                report.add("unrouted_messages", len(ids))
            kept = list(s.execute(select(m.InboundRecord.id, m.InboundRecord.raw_sha256)
                                  .where(old, m.InboundRecord.raw_sha256.is_not(None))))
            shas |= {sha for _, sha in kept}
            if kept:
                s.execute(update(m.InboundRecord).where(m.InboundRecord.id.in_([i for i, _ in kept]))
                          .values(raw_sha256=None))
                report.add("raw_messages", len(kept))
            s.flush()
            orphans = {sha for sha in shas if blobs.exists(sha)} - still_referenced(s, shas)
        report.add("files", sum(blobs.delete(sha) for sha in sorted(orphans)))

    def _ocr_text(self, cutoff: datetime, report: PurgeReport) -> None:
        dropped: list[tuple[str, str]] = []
        with self.service.db.write() as s:
            for doc in s.scalars(select(m.Document).where(m.Document.created_at < cutoff,
                                                          m.Document.origin == "upload")):
                analysis = dict(doc.analysis or {})
                if not any(analysis.get("text") or []):
                    continue
                analysis["text"] = []
                doc.analysis = analysis
                dropped.append((doc.request_id, doc.id))
        report.add("ocr_texts", len(dropped))
        if dropped:
            self._drop_chunks(dropped)

    def _drop_chunks(self, documents: list[tuple[str, str]]) -> None:
        settings = self.service.settings
        if not (settings.chroma_url or (settings.data_dir / "chroma").is_dir()):
            return
        from tools.knowledge import KnowledgeBase

        kb = KnowledgeBase(data_dir=settings.data_dir, chroma_url=settings.chroma_url)
        for request_id, document_id in documents:
            kb.delete_document(request_id, document_id)

    def _logs(self, cutoff: datetime, report: PurgeReport) -> None:
        with self.service.db.write() as s:
            done = s.execute(delete(m.LLMCallRecord).where(m.LLMCallRecord.created_at < cutoff))
            report.add("llm_calls", done.rowcount or 0)
            ended = or_(StaffSession.revoked_at.is_not(None), StaffSession.last_used_at < cutoff)
            done = s.execute(delete(StaffSession).where(StaffSession.last_used_at < cutoff, ended))
            report.add("staff_sessions", done.rowcount or 0)
            done = s.execute(delete(m.Activity).where(m.Activity.request_id.is_(None), m.Activity.created_at < cutoff))
            report.add("system_activity", done.rowcount or 0)


def install_purge(service: Any, *, every_s: float = DAY_S) -> Retention:
    """Register the daily purge on the service's scheduler (runs on the installation's leader only)."""
    retention = Retention(service)
    service.scheduler.every(JOB_NAME, every_s, retention.run)
    return retention
