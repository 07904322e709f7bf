"""Side questions answered from the firm's FAQ and the client's own documents (chromadb search).

Without an LLM the best FAQ answer above the calibrated similarity threshold is sent. With an LLM the
question is answered only from the retrieved passages (FAQ entries and chunks of this request's
documents, never another request's), which are quoted; what they do not answer goes to the lawyer.
Uploaded documents are indexed in the background so the reply to an upload never waits for it.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any

from pydantic import BaseModel, Field

from agent.llm import LLMClient, load_prompt
from agent.ports import Knowledge, Ports
from agent.service import Mandat
from tools.knowledge import KnowledgeBase, load_faq

log = logging.getLogger(__name__)

_SOURCE = {"de": "Quelle", "en": "Source"}
_DOC = {"de": "Ihr Dokument", "en": "your document"}
_PAGE = {"de": "S.", "en": "p."}


class GroundedAnswer(BaseModel):
    answerable: bool
    answer: str = Field(default="", max_length=1200)
    sources: list[str] = Field(default_factory=list, max_length=6)


def _passages(kb: KnowledgeBase, question: str, lang: str, request_id: str) -> list[tuple[str, str, str]]:
    """(id, label, text) of the FAQ entries and this request's document chunks that match best."""
    found: list[tuple[str, str, str]] = []
    for hit in kb.search_faq(question, lang, k=3):
        found.append((f"P{len(found) + 1}", f"FAQ „{hit.question}“", hit.answer))
    for doc in kb.search_documents(request_id, question, k=3):
        label = f"{_DOC.get(lang, _DOC['de'])}, {_PAGE.get(lang, 'S.')} {doc.page}"
        found.append((f"P{len(found) + 1}", label, doc.text[:1500]))
    return found


_NO_ANSWER = ""  # the LLM read the passages and found no answer: the lawyer answers


def grounded_answer(llm: LLMClient, kb: KnowledgeBase, question: str, lang: str, request_id: str) -> str | None:
    """The answer with its sources; ``""`` when the passages do not answer it; None when the LLM failed."""
    passages = _passages(kb, question, lang, request_id)
    if not passages:
        return _NO_ANSWER
    body = "\n".join(f"[{pid}] {label}: {' '.join(text.replace('</passages>', '').split())}"
                     for pid, label, text in passages)  # one line per passage: fewer tokens, clear ids
    user = (f"<question>{question.replace('</question>', '')[:1000]}</question>\n"
            f"<passages>\n{body}\n</passages>")
    result = llm.parse(purpose="answer", system=load_prompt("answer", lang), user=user, schema=GroundedAnswer)
    if not isinstance(result, GroundedAnswer):
        return None
    if not result.answerable or not result.answer.strip():
        return _NO_ANSWER
    labels = {pid: label for pid, label, _ in passages}
    cited = [labels[s] for s in result.sources if s in labels]
    if not cited:  # an answer that names no retrieved passage is not grounded
        return _NO_ANSWER
    return f"{result.answer.strip()}\n({_SOURCE.get(lang, 'Quelle')}: {'; '.join(dict.fromkeys(cited))})"


def knowledge_ports(service: Mandat, *, kb: KnowledgeBase | None = None) -> Ports:
    """A ``PortsFactory``: index the FAQ (only what changed) and uploads in the background, and let the
    conversation answer side questions. No ports (side questions go to staff) without a faq.yaml."""
    settings = service.settings
    try:
        kb = kb or KnowledgeBase(data_dir=settings.data_dir, chroma_url=settings.chroma_url)
        entries = load_faq(settings.firm_dir)
    except FileNotFoundError:
        log.info("no faq.yaml in %s: side questions go to staff", settings.firm_dir)
        return Ports()
    ready = threading.Event()
    jobs: queue.Queue[tuple[str, str, list[tuple[int, str]]]] = queue.Queue(maxsize=1000)

    def work() -> None:
        try:
            result = kb.index_faq(entries)
            log.info("FAQ index ready: %d entries, %d embedded now", len(entries), len(result.upserted))
        except Exception:  # the conversation keeps working; questions go to staff meanwhile
            log.exception("indexing the FAQ failed")
        finally:
            ready.set()
        while True:
            request_id, document_id, pages = jobs.get()
            try:
                kb.index_document(request_id, document_id, pages)
            except Exception:
                log.exception("indexing document %s failed", document_id)
            finally:
                jobs.task_done()

    threading.Thread(target=work, name="knowledge-index", daemon=True).start()

    def index(request_id: str, document_id: str, analysis: dict[str, Any]) -> None:
        pages = [(p["page"], text) for p, text in zip(analysis.get("pages", []), analysis.get("text", []),
                                                      strict=False) if text.strip()]
        if pages:
            try:
                jobs.put_nowait((request_id, document_id, pages))
            except queue.Full:
                log.warning("document index queue full; %s not searchable", document_id)

    def answer(question: str, lang: str, request_id: str) -> str | None:
        if not ready.wait(timeout=30):
            return None
        try:
            if service.llm is not None:
                grounded = grounded_answer(service.llm, kb, question, lang, request_id)
                if grounded is not None:  # an answer, or "" when the passages hold none
                    return grounded or None
            hit = kb.best_faq_answer(question, lang)  # no LLM, or it failed: the FAQ above the threshold
        except Exception:
            log.exception("knowledge search failed")
            return None
        return hit.answer if hit is not None else None

    return Ports(answer_faq=answer, knowledge=Knowledge(ready=ready, jobs=jobs), on_document_analysed=(index,))
