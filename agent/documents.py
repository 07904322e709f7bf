"""The document desk: keeps every attachment, has it read, and files it with the request.

Files are stored content-addressed outside any served folder; the original name is metadata only.
Reading (type by magic bytes, text, OCR, case data, deadlines) runs in the tools' sandboxed child
process before the turn, so the request's lock is never held while a hostile file is opened.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.config import Settings
from agent.messages import Attachment
from agent.store import models as m
from agent.views import OutboxView
from tools.documents import BlobStore, DocumentAnalysis, Limits, analyse_document, sniff

log = logging.getLogger(__name__)

ALLOWED_KINDS = ("pdf", "jpeg", "png")


@dataclass
class Upload:
    document_id: str
    filename: str
    sha256: str
    size: int
    mime: str | None = None
    error: str | None = None
    error_text: str = ""
    duplicate: bool = False
    inline: bool = False
    analysis: dict[str, Any] = field(default_factory=dict)
    doc_type: str | None = None

    def as_turn_input(self) -> dict[str, Any]:
        return {"document_id": self.document_id, "filename": self.filename, "error": self.error,
                "error_text": self.error_text, "duplicate": self.duplicate, "doc_type": self.doc_type,
                "facts": self.analysis.get("facts", []), "slots": self.analysis.get("slots", {})}


def upload_error_text(code: str, lang: str, limits: Limits) -> str:
    return DocumentAnalysis(kind=None, mime=None, sha256="", error=code, limits=limits).error_text(lang)


class DocumentDesk:
    def __init__(self, settings: Settings, *,
                 on_analysed: Callable[[str, str, dict[str, Any]], None] | None = None) -> None:
        self.settings = settings
        self.blobs = BlobStore(settings.files_dir, key=settings.files_key_bytes)
        self.limits = Limits(max_bytes=settings.max_upload_bytes)
        self.llm: Any = None
        # Called with (request id, document id, analysis as JSON) after a document was read.
        self._on_analysed = on_analysed

    def keep(self, att: Attachment) -> dict[str, Any]:
        """Store the bytes before anything else happens; returns the attachment's metadata."""
        size = len(att.content)
        meta: dict[str, Any] = {"filename": (att.filename or "")[:250], "size": size,
                                "declared_type": (att.declared_type or "")[:100], "inline": att.inline}
        if size > self.limits.max_bytes:
            meta["error"] = "too_large"  # not stored: the cap is the point
            return meta
        sha, _new = self.blobs.put(att.content)
        meta["sha256"] = sha
        return meta

    def keep_raw(self, raw: bytes) -> str:
        return self.blobs.put(raw)[0]

    def read_all(self, inbound: m.InboundRecord, *, lang: str) -> list[Upload]:
        uploads = []
        for n, meta in enumerate(inbound.attachments or []):
            if meta.get("inline"):
                continue
            doc_id = f"{inbound.id:x}{n:02x}{(meta.get('sha256') or '0' * 12)[:12]}"
            up = Upload(document_id=doc_id, filename=meta.get("filename") or f"upload-{n + 1}",
                        sha256=meta.get("sha256", ""), size=meta.get("size", 0))
            if meta.get("error"):
                up.error = meta["error"]
            elif not up.sha256 or not self.blobs.exists(up.sha256):
                up.error = "empty"
            else:
                content = self.blobs.get(up.sha256)
                kind = sniff(content)
                if kind is None or kind[0] not in ALLOWED_KINDS:
                    up.error = "type.unsupported" if content else "empty"
                else:
                    up.mime = kind[1]
                    analysis = self.analyse(content, up.filename)
                    up.analysis = analysis_to_json(analysis)
                    up.doc_type = analysis.doc_type
                    if analysis.error and analysis.error not in ("empty_text",):
                        up.error = analysis.error
                    elif inbound.request_id is not None and self._on_analysed is not None:
                        self._on_analysed(inbound.request_id, up.document_id, up.analysis)
            if up.error:
                up.error_text = upload_error_text(up.error, lang, self.limits)
            uploads.append(up)
        return uploads

    def mark_duplicates(self, s: Session, request_id: str, uploads: list[Upload]) -> None:
        """A file the request already has is linked to, not filed (or proposed from) twice."""
        shas = {u.sha256 for u in uploads if u.sha256 and not u.error}
        if not shas:
            return
        known = set(s.scalars(select(m.Document.sha256).where(m.Document.request_id == request_id,
                                                              m.Document.sha256.in_(shas))))
        for up in uploads:
            up.duplicate = up.sha256 in known

    def analyse(self, content: bytes, filename: str) -> DocumentAnalysis:
        return analyse_document(content, filename=filename, limits=self.limits, llm=self.llm)

    def record(self, s: Session, request_id: str, inbound_id: int, uploads: list[Upload],
               turn_inputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """File accepted uploads as documents of the request; a file sent twice is linked, not stored twice."""
        answered = {d["document_id"]: d.get("answered_item") for d in turn_inputs}
        out = []
        for up in uploads:
            if up.error:
                s.add(m.Activity(request_id=request_id, kind="upload_rejected", actor="client",
                                 summary=f"{up.filename}: {up.error}", data={"inbound_id": inbound_id},
                                 important=True))
                out.append({"filename": up.filename, "error": up.error, "message": up.error_text})
                continue
            existing = s.scalars(select(m.Document).where(m.Document.request_id == request_id,
                                                          m.Document.sha256 == up.sha256)).first()
            if existing is None:
                seen_now = next((d for d in out if d.get("sha256") == up.sha256), None)
                if seen_now is not None:  # the same file twice in one message
                    continue
            if existing is not None:
                up.duplicate = True
                out.append({"id": existing.id, "filename": up.filename, "duplicate": True,
                            "type": existing.doc_type})
                continue
            if s.get(m.Document, up.document_id) is None:
                s.add(m.Document(id=up.document_id, request_id=request_id, item_id=answered.get(up.document_id),
                                 sha256=up.sha256, filename=up.filename, mime=up.mime or "application/octet-stream",
                                 size=up.size, source_inbound_id=inbound_id, doc_type=up.doc_type,
                                 analysis=up.analysis))
                s.add(m.Activity(request_id=request_id, kind="upload", actor="client",
                                 summary=f"{up.filename} ({up.doc_type or 'document'})",
                                 data={"document_id": up.document_id}, important=True))
                flags = up.analysis.get("flags", [])
                if "prompt_injection" in flags:
                    s.add(m.Activity(request_id=request_id, kind="prompt_injection", actor="system",
                                     summary=f"{up.filename} contains instructions aimed at an AI; treated as data",
                                     data={"document_id": up.document_id}, important=True))
                for deadline in up.analysis.get("deadlines", []):
                    s.add(m.Activity(request_id=request_id, kind="deadline", actor="system",
                                     summary=f"Deadline {deadline['due_date']}: {deadline['basis']}",
                                     data={"document_id": up.document_id, **deadline}, important=True))
            out.append({"id": up.document_id, "filename": up.filename, "type": up.doc_type,
                        "duplicate": False, "sha256": up.sha256})
        return out

    def outbox_attachments(self, row: m.OutboxRow | OutboxView) -> tuple[Attachment, ...]:
        """The files an outbox row carries (a row or its view: only the body is read)."""
        result = []
        for att in (row.body or {}).get("attachments", []):
            sha = att.get("sha256")
            if sha and self.blobs.exists(sha):
                result.append(Attachment(filename=att.get("filename", "document.pdf"), content=self.blobs.get(sha),
                                         declared_type=att.get("mime")))
        return tuple(result)


def analysis_to_json(a: DocumentAnalysis) -> dict[str, Any]:
    return {
        "kind": a.kind, "mime": a.mime, "sha256": a.sha256, "doc_type": a.doc_type,
        "doc_type_confidence": a.doc_type_confidence, "error": a.error, "flags": list(a.flags),
        "pages": [{"page": p.page, "method": p.method, "chars": len(p.text)} for p in a.pages],
        "text": [p.text[:20000] for p in a.pages[:200]],
        "facts": [{"name": f.name, "value": f.value, "page": f.page, "evidence": f.evidence,
                   "confidence": f.confidence, "method": f.method} for f in a.facts],
        "deadlines": [{"kind": d.kind, "due_date": d.due_date.isoformat(), "basis": d.basis, "evidence": d.evidence,
                       "page": d.page, "needs_confirmation": d.needs_confirmation} for d in a.deadlines],
        "slots": {name: {"value": v.value, "page": v.page, "evidence": v.evidence, "bbox": list(v.bbox),
                         "confidence": v.confidence, "method": v.method, "role": v.role}
                  for name, v in a.slots.items()},
    }
