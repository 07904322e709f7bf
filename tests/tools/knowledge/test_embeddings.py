"""The OpenAI-compatible path with a fake client (no network), its per-call fallback, and the local model."""

from __future__ import annotations

import hashlib
import math
import threading
from pathlib import Path

import pytest

from tools.knowledge import (
    EmbeddingUnavailable,
    FallbackEmbedder,
    KnowledgeBase,
    LocalE5Embedder,
    RemoteEmbedder,
    local_embedder,
    make_embedder,
)
from tools.knowledge.faq import FaqEntry

DIM = 64


class FakeLLMClient:
    """Stands in for agent.llm.LLMClient: bag-of-words vectors; ``None`` while ``down``."""

    model = "fake-embed-1"

    def __init__(self) -> None:
        self.down = False
        self.crash = False
        self.calls = 0

    def embed(self, texts: list[str]) -> list[list[float]] | None:
        self.calls += 1
        if self.crash:
            raise ConnectionError("server gone")
        if self.down:
            return None
        out = []
        for text in texts:
            vec = [0.0] * DIM
            for word in text.lower().split():
                vec[hashlib.sha256(word.strip(".,?!").encode()).digest()[0] % DIM] += 1.0
            norm = math.sqrt(sum(x * x for x in vec)) or 1.0
            out.append([x / norm for x in vec])
        return out


def _entries() -> list[FaqEntry]:
    return [
        FaqEntry(
            id="hours",
            question={"de": "Wann ist das Büro geöffnet?", "en": "When is the office open?"},
            answer={"de": "Montag bis Freitag 9 bis 17 Uhr.", "en": "Monday to Friday 9 to 5."},
        ),
        FaqEntry(
            id="costs",
            question={"de": "Was kostet die Erstberatung?", "en": "What does the first consultation cost?"},
            answer={"de": "190 Euro zuzüglich Umsatzsteuer.", "en": "EUR 190 plus VAT."},
        ),
    ]


def _collection_names(kb: KnowledgeBase) -> set[str]:
    return {c if isinstance(c, str) else c.name for c in kb._client.list_collections()}


def test_local_embedder_is_shared_normalised_and_multilingual(embedder) -> None:
    assert local_embedder() is embedder and make_embedder() is embedder
    assert isinstance(embedder, LocalE5Embedder)
    vectors = embedder.embed_documents(["Kündigungsfrist", "notice period", "Apfelkuchen backen"])
    assert len(vectors) == 3 and all(len(v) == embedder.dim for v in vectors)
    assert abs(sum(x * x for x in vectors[0]) - 1.0) < 1e-3
    query = embedder.embed_query("Wie lange ist die Kündigungsfrist?")

    def cos(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b, strict=True))

    assert cos(query, vectors[0]) > cos(query, vectors[2])
    assert cos(query, vectors[1]) > cos(query, vectors[2])  # German query, English passage
    assert embedder.embed_documents([]) == []


def test_local_embedder_is_thread_safe(embedder) -> None:
    expected = embedder.embed_query("Abfindung")
    results: list[list[float]] = []

    def work() -> None:
        results.append(embedder.embed_query("Abfindung"))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(results) == 4
    assert all(max(abs(a - b) for a, b in zip(r, expected, strict=True)) < 1e-5 for r in results)


def test_remote_embedder_uses_the_client_and_names_its_space() -> None:
    client = FakeLLMClient()
    remote = RemoteEmbedder(client)
    assert remote.id == "remote-fake-embed-1"
    assert len(remote.embed_query("hallo")) == DIM
    client.down = True
    with pytest.raises(EmbeddingUnavailable):
        remote.embed_documents(["hallo"])
    client.down, client.crash = False, True
    with pytest.raises(EmbeddingUnavailable):
        remote.embed_query("hallo")


def test_fallback_embedder_reports_who_made_the_vectors(embedder) -> None:
    client = FakeLLMClient()
    emb = make_embedder(client)
    assert isinstance(emb, FallbackEmbedder)
    assert emb.embed_documents_with_id(["a"])[0] == "remote-fake-embed-1"
    client.down = True
    ident, vectors = emb.embed_documents_with_id(["a"])
    assert ident == embedder.id and len(vectors[0]) == embedder.dim
    assert emb.embed_query_with_id("a")[0] == embedder.id


def test_knowledge_base_with_remote_embeddings_and_fallback(tmp_path: Path, embedder) -> None:
    client = FakeLLMClient()
    kb = KnowledgeBase(tmp_path, embedder=make_embedder(client), faq_thresholds={"remote-fake-embed-1": 0.3})
    result = kb.index_faq(_entries())
    assert result.embedder_id == "remote-fake-embed-1"

    hit = kb.best_faq_answer("Was kostet die Erstberatung bei Ihnen?", "de")
    assert hit is not None and hit.entry.id == "costs" and hit.embedder_id == "remote-fake-embed-1"

    # server down: this call is answered by the local model, from its own collection
    client.down = True
    hit = kb.best_faq_answer("Wie teuer ist das erste Gespräch?", "de")
    assert hit is not None and hit.entry.id == "costs" and hit.embedder_id == embedder.id
    names = _collection_names(kb)
    assert {"mandat-faq-remote-fake-embed-1", f"mandat-faq-{embedder.id}"} <= names

    # documents indexed while the server is down land in the local space, others in the remote one
    assert kb.index_document("req-1", "offline-doc", [(1, "Das Gehalt beträgt 3.800 Euro brutto.")]) == 1
    client.down = False
    assert kb.index_document("req-1", "online-doc", [(1, "Urlaub: 30 Tage im Jahr.")]) == 1
    remote_col = kb._collection("docs", "remote-fake-embed-1")
    local_col = kb._collection("docs", embedder.id)
    assert remote_col.get(where={"document_id": "online-doc"})["ids"]
    assert not remote_col.get(where={"document_id": "offline-doc"})["ids"]
    assert local_col.get(where={"document_id": "offline-doc"})["ids"]
    # a search covers both spaces, each with its own query vector
    found = {h.document_id for h in kb.search_documents("req-1", "Gehalt Urlaub", k=5)}
    assert found == {"online-doc", "offline-doc"}
    # re-indexing the offline document online moves it: no duplicate in the old space
    kb.index_document("req-1", "offline-doc", [(1, "Das Gehalt beträgt 3.800 Euro brutto.")])
    assert not local_col.get(where={"document_id": "offline-doc"})["ids"]
    kb.delete_request("req-1")
    assert kb.search_documents("req-1", "Gehalt") == []


def test_remote_failure_during_indexing_leaves_the_old_index(tmp_path: Path) -> None:
    client = FakeLLMClient()
    remote = RemoteEmbedder(client)
    kb = KnowledgeBase(tmp_path, embedder=remote)  # no fallback at all
    kb.index_faq(_entries())
    client.down = True
    edited = _entries()[0].model_copy(update={"answer": {"de": "Neu", "en": "New"}})
    with pytest.raises(EmbeddingUnavailable):
        kb.index_faq([edited])
    # the stored index is untouched by the failed call ...
    stored = kb._collection("faq", remote.id).get(include=["metadatas"])["metadatas"]
    assert {m["entry_id"] for m in stored} == {"hours", "costs"}
    assert kb.search_faq("Büro geöffnet", "de") == []  # no embedder, no answer (goes to staff)
    # ... and the pending FAQ is applied as soon as the server answers again
    client.down = False
    hits = kb.search_faq("Büro geöffnet", "de", k=5)
    assert [h.entry.id for h in hits] == ["hours"] and hits[0].answer == "Neu"
