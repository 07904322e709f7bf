"""The case export: one ZIP per request for the firm's file, and per client for Art. 15/20 GDPR.

A request's part is ``request.json`` (answers with provenance, every earlier answer, case data from the
documents, documents, activity, the conversation), ``summary.pdf`` (the same for a human, in the
request's language), ``conversation.txt`` (every channel on one timeline) and ``files/`` (every uploaded
and signed file, decrypted). ``manifest.json`` lists each other part with its SHA-256, so whoever
receives the ZIP can check that nothing was changed or lost.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from agent.api.files import safe_filename
from agent.i18n import normalise_lang
from agent.privacy.texts import t
from agent.store import models as m
from tools.documents import sniff

FORMAT = "mandat.request-export/1"
CLIENT_FORMAT = "mandat.client-export/1"


class ExportError(LookupError):
    """Nothing to export under that id or address."""


@dataclass
class ZipBuilder:
    """Writes parts into a ZIP and remembers their hashes for the manifest."""

    buffer: io.BytesIO = field(default_factory=io.BytesIO)
    parts: list[dict[str, Any]] = field(default_factory=list)
    missing: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.zip = zipfile.ZipFile(self.buffer, "w", compression=zipfile.ZIP_DEFLATED)

    def add(self, name: str, data: bytes) -> None:
        self.zip.writestr(name, data)
        self.parts.append({"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})

    def add_json(self, name: str, value: Any) -> None:
        self.add(name, json.dumps(value, indent=2, ensure_ascii=False, default=str).encode("utf-8"))

    def finish(self, **about: Any) -> bytes:
        manifest = {**about, "created_at": datetime.now(UTC).isoformat(), "algorithm": "sha256",
                    "files": self.parts, "missing": self.missing}
        self.zip.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
        self.zip.close()
        return self.buffer.getvalue()


def _labels(service: Any, items: list[dict[str, Any]], lang: str) -> dict[int, tuple[str, dict[str, str]]]:
    """Per questionnaire item: its title and field labels (the version the request is pinned to)."""
    out: dict[int, tuple[str, dict[str, str]]] = {}
    for item in items:
        if item["kind"] != "questionnaire":
            continue
        try:
            q = service.questionnaire(item["ref"], item["version"])
        except Exception:  # a questionnaire removed from the firm folder: ids instead of labels
            out[item["id"]] = (item["ref"], {})
            continue
        out[item["id"]] = (q.text("title", lang), {f.id: f.text("label", lang) for f in q.fields})
    return out


def _answer_history(service: Any, request_id: str) -> list[dict[str, Any]]:
    """Every answer ever given, corrections included (Art. 15 covers what was superseded too)."""
    with service.db.read() as s:
        rows = s.scalars(select(m.Answer).where(m.Answer.request_id == request_id).order_by(m.Answer.id))
        return [{"item_id": a.item_id, "field": a.field_id, "value": a.value, "raw_text": a.raw_text,
                 "source": {"type": a.source_type, "id": a.source_id, "page": a.page}, "method": a.method,
                 "confidence": a.confidence, "confirmed": a.confirmed, "at": a.created_at.isoformat(),
                 "superseded_at": a.superseded_at.isoformat() if a.superseded_at else None} for a in rows]


def request_record(service: Any, request_id: str) -> dict[str, Any]:
    """What ``request.json`` holds; ExportError for an unknown request."""
    summary = service.request_summary(request_id)
    if summary is None:
        raise ExportError(f"no request {request_id}")
    lang = normalise_lang(summary["lang"])
    labels = _labels(service, summary["items"], lang)
    for answer in summary["answers"]:
        title, fields = labels.get(answer["item_id"], ("", {}))
        answer["questionnaire"], answer["label"] = title, fields.get(answer["field"], answer["field"])
    with service.db.read() as s:
        req = s.get(m.Request, request_id)
        case_data = dict(req.case_data or {}) if req is not None else {}
    return {
        "format": FORMAT, "exported_at": datetime.now(UTC).isoformat(),
        "firm": {"id": service.firm.id, "name": service.firm.name},
        "request": {k: summary[k] for k in ("id", "status", "lang", "created_at", "staff", "client", "items",
                                            "progress")},
        "answers": summary["answers"], "answer_history": _answer_history(service, request_id),
        "case": summary["case"], "case_data": case_data, "documents": summary["documents"],
        "activity": summary["activity"], "conversation": service.history(request_id),
    }


def conversation_text(record: dict[str, Any]) -> str:
    lang = record["request"]["lang"]
    lines = [t("conversation", lang, id=record["request"]["id"]), ""]
    for entry in record["conversation"]:
        who = t("from_client" if entry["from"] == "client" else "from_agent", lang)
        at = entry["at"][:16].replace("T", " ")
        lines.append(f"[{at} UTC · {entry['channel']}] {who}:")
        lines += [f"  {line}" for line in (entry.get("text") or "").splitlines() or [""]]
        if entry.get("attachments"):
            lines.append("  " + t("attachments", lang, names=", ".join(map(str, entry["attachments"]))))
        if entry.get("quick_replies"):
            lines.append("  [" + " | ".join(map(str, entry["quick_replies"])) + "]")
        lines.append("")
    return "\n".join(lines)


def add_request(z: ZipBuilder, service: Any, request_id: str, prefix: str = "") -> dict[str, Any]:
    """Write one request's parts under ``prefix``; returns its record."""
    from agent.privacy.summary_pdf import render_summary

    record = request_record(service, request_id)
    for doc in record["documents"]:
        try:
            content = service.desk.blobs.get(doc["sha256"], verify=True)
        except (KeyError, ValueError) as exc:  # erased by retention or damaged: said in the manifest
            z.missing.append({"document_id": doc["id"], "reason": type(exc).__name__})
            doc["file"] = None
            continue
        kind = sniff(content[:64])
        doc["file"] = f"{prefix}files/{doc['id']}-{safe_filename(doc['filename'], kind[0] if kind else None)}"
        z.add(doc["file"], content)
    z.add_json(f"{prefix}request.json", record)
    z.add(f"{prefix}summary.pdf", render_summary(record))
    z.add(f"{prefix}conversation.txt", conversation_text(record).encode("utf-8"))
    return record


def export_request(service: Any, request_id: str) -> bytes:
    """The request's ZIP (ExportError if there is no such request)."""
    z = ZipBuilder()
    add_request(z, service, request_id)
    return z.finish(format=FORMAT, request_id=request_id)


def export_client(service: Any, email: str) -> bytes:
    """Everything about the client with this e-mail address: each request's parts and the client's own
    data (Art. 15 access, Art. 20 portability: JSON and the original files)."""
    email = email.strip().lower()
    with service.db.read() as s:
        clients = list(s.scalars(select(m.Client).where(m.Client.firm_id == service.firm.id,
                                                        m.Client.email == email)))
        if not clients:
            raise ExportError(f"no client with the e-mail address {email}")
        ids = [c.id for c in clients]
        request_ids = list(s.scalars(select(m.Request.id).where(m.Request.client_id.in_(ids))
                                     .order_by(m.Request.created_at)))
        about = [{"id": c.id, "name": c.name, "email": c.email, "telegram_chat_id": c.telegram_chat_id,
                  "lang": c.lang, "created_at": c.created_at.isoformat()} for c in clients]
        unrouted = [{"channel": r.channel, "text": r.text, "status": r.status, "at": r.received_at.isoformat()}
                    for r in s.scalars(select(m.InboundRecord).where(m.InboundRecord.request_id.is_(None),
                                                                     m.InboundRecord.sender == email))]
    z = ZipBuilder()
    for rid in request_ids:
        add_request(z, service, rid, prefix=f"requests/{rid}/")
    z.add_json("client.json", {"format": CLIENT_FORMAT, "exported_at": datetime.now(UTC).isoformat(),
                               "firm": {"id": service.firm.id, "name": service.firm.name}, "client": about,
                               "requests": request_ids, "messages_without_request": unrouted})
    return z.finish(format=CLIENT_FORMAT, requests=request_ids)
