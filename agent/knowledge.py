"""Side questions answered from the firm's FAQ (chromadb + a local multilingual embedding model).

Without an LLM the best FAQ answer above the calibrated similarity threshold is sent; below it
the question goes to the responsible lawyer. Uploaded documents are indexed per request so a
search never crosses requests.
"""

from __future__ import annotations

import logging
import threading

from agent.service import Mandat
from tools.knowledge import KnowledgeBase, load_faq

log = logging.getLogger(__name__)


def attach_knowledge(service: Mandat, *, kb: KnowledgeBase | None = None) -> KnowledgeBase | None:
    """Index the FAQ (only what changed) and let the conversation answer side questions from it."""
    settings = service.settings
    try:
        kb = kb or KnowledgeBase(data_dir=settings.data_dir, chroma_url=settings.chroma_url)
        entries = load_faq(settings.firm_dir)
    except FileNotFoundError:
        log.info("no faq.yaml in %s: side questions go to staff", settings.firm_dir)
        return None
    ready = threading.Event()

    def index() -> None:
        try:
            kb.index_faq(entries)
        except Exception:  # the conversation keeps working; questions go to staff meanwhile
            log.exception("indexing the FAQ failed")
        finally:
            ready.set()

    threading.Thread(target=index, name="faq-index", daemon=True).start()

    def answer(question: str, lang: str) -> str | None:
        if not ready.wait(timeout=30):
            return None
        try:
            hit = kb.best_faq_answer(question, lang)
        except Exception:
            log.exception("FAQ search failed")
            return None
        return hit.answer if hit is not None else None

    service.answer_faq = answer
    service.knowledge_ready = ready
    return kb
