"""analyse_document: the one entry point of the document pipeline."""

from __future__ import annotations

import hashlib
import logging
from datetime import date
from typing import TYPE_CHECKING, Any

from tools.documents.classify import classify
from tools.documents.deadlines import find_deadlines
from tools.documents.extract import extract_facts
from tools.documents.injection import injection_evidence
from tools.documents.layout import Line
from tools.documents.model import DocumentAnalysis, Limits, PageText
from tools.documents.sandbox import run_child
from tools.documents.slots import SlotValue, extract_slots, recipient_text
from tools.documents.sniff import polyglot_reason, sniff

if TYPE_CHECKING:
    from agent.llm import LLMClient

log = logging.getLogger(__name__)


def analyse_document(
    content: bytes,
    *,
    filename: str = "",
    limits: Limits = Limits(),
    receipt_date: date | None = None,
    llm: LLMClient | None = None,
    today: date | None = None,
) -> DocumentAnalysis:
    """Read a client's upload: type, text per page, case data, type, deadlines, flags.

    Never raises on hostile input: problems end up in ``error`` (a code) and ``flags``. Parsing,
    rendering and OCR run in a child process under memory and time limits; the parent only
    sniffs magic bytes, checks the size and runs the (linear-time) text rules on the result.
    ``filename`` is informational only: the type comes from the bytes.
    """
    result = DocumentAnalysis(kind=None, mime=None, sha256=hashlib.sha256(content).hexdigest(), limits=limits)
    if not content:
        result.error = "empty"
        return result
    if len(content) > limits.max_bytes:
        result.error = "too_large"
        return result
    sniffed = sniff(content)
    if sniffed is None:
        result.error = "type.unsupported"
        return result
    result.kind, result.mime = sniffed
    reason = polyglot_reason(content, result.kind)
    if reason is not None:
        result.error = "type.polyglot"
        result.flags.append(f"polyglot:{reason}")
        return result

    child = run_child(content, result.kind, limits)
    result.flags.extend(f for f in child.get("flags", []) if f not in result.flags)
    result.pages = [PageText(int(n), str(t), str(m)) for n, t, m in child.get("pages", [])]
    result.error = child.get("error")
    if result.error is not None:
        return result
    try:
        _understand(result, receipt_date, llm, today)
    except Exception:  # a bug in the rules must not lose the text already read
        log.exception("document rules failed for %s (%s)", result.sha256, filename)
        result.flags.append("rules_failed")
    lines = _lines(child.get("lines", []))
    result.slots = _slots(lines, result.doc_type, result.sha256, filename)
    if llm is not None:
        result.slots.update(_llm_slots(result, lines, llm, filename))
    return result


def _lines(raw: list[list[Any]]) -> list[Line]:
    try:
        return [Line(int(p), str(t), float(x0), float(y0), float(x1), float(y1), float(w), float(h))
                for p, t, x0, y0, x1, y1, w, h in raw]
    except (TypeError, ValueError):  # the child's output is data too: malformed lines give no slots
        return []


def _slots(raw: list[list[Any]] | list[Line], doc_type: str, sha256: str, filename: str) -> dict[str, SlotValue]:
    """Role slots from the child's positioned lines; a failure here never fails the upload."""
    try:
        lines = raw if all(isinstance(ln, Line) for ln in raw) else _lines(raw)  # type: ignore[arg-type]
        return extract_slots(lines, doc_type) if lines else {}
    except Exception:
        log.exception("slot extraction failed for %s (%s)", sha256, filename)
        return {}


def _llm_slots(result: DocumentAnalysis, lines: list[Line], llm: LLMClient, filename: str) -> dict[str, SlotValue]:
    """The LLM fills only slots the rules left empty; its failure costs nothing the rules found."""
    from tools.documents.llm_slots import llm_slots

    try:
        return llm_slots(result.pages, result.doc_type, result.slots, llm, client_text=recipient_text(lines))
    except Exception:
        log.exception("LLM slot extraction failed for %s (%s)", result.sha256, filename)
        return {}


def _understand(result: DocumentAnalysis, receipt_date: date | None, llm: LLMClient | None, today: date | None) -> None:
    text = result.text
    if injection_evidence(text):
        result.flags.append("prompt_injection")
    result.facts = extract_facts(result.pages, today=today)
    result.doc_type, result.doc_type_confidence = classify(text, result.kind)
    if llm is not None and text.strip():
        from tools.documents.llm_extract import llm_facts

        extra, llm_type = llm_facts(result.pages, llm)
        known = {(f.name, f.value) for f in result.facts}
        result.facts.extend(f for f in extra if (f.name, f.value) not in known)
        if llm_type and result.doc_type == "other" and llm_type != "other":
            result.doc_type, result.doc_type_confidence = llm_type, 0.6
    result.deadlines = find_deadlines(result.doc_type, result.pages, result.facts, receipt_date)
