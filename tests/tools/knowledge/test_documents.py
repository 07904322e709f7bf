from __future__ import annotations

from pathlib import Path

import pytest

from tests.tools.knowledge.conftest import fresh_chroma_cache
from tools.knowledge import KnowledgeBase

DISMISSAL = (
    "Sehr geehrte Frau Muster, hiermit kündigen wir das Arbeitsverhältnis ordentlich zum 30.06.2025. "
    "Ihr Resturlaub wird bis zum Ende der Kündigungsfrist gewährt."
)
CONTRACT = "Arbeitsvertrag zwischen der Beispiel GmbH und Frau Muster. Das Bruttogehalt beträgt 3.800 EUR."
ACCIDENT = (
    "Polizeiliches Aktenzeichen 123 Js 456/25. Der Unfallgegner fuhr mit dem Kennzeichen B-XY 123 auf "
    "das stehende Fahrzeug auf. Versicherung: Beispiel Versicherung AG, Schadennummer 98765."
)


@pytest.fixture
def kb(tmp_path: Path, embedder) -> KnowledgeBase:
    kb = KnowledgeBase(tmp_path, embedder=embedder)
    kb.index_document("req-a", "doc-1", [(1, DISMISSAL), (2, CONTRACT)])
    kb.index_document("req-b", "doc-9", [(1, ACCIDENT)])
    return kb


def test_search_finds_the_right_page(kb: KnowledgeBase) -> None:
    hits = kb.search_documents("req-a", "Wie hoch ist das Gehalt?", k=2)
    assert hits[0].document_id == "doc-1" and hits[0].page == 2 and "3.800" in hits[0].text
    assert 0 < hits[0].score <= 1
    assert kb.search_documents("req-b", "Kennzeichen des Unfallgegners", k=1)[0].page == 1


def test_a_search_never_crosses_requests(kb: KnowledgeBase) -> None:
    # request A's exact text, searched in request B, must not surface A's chunks
    for text in (DISMISSAL, CONTRACT):
        hits = kb.search_documents("req-b", text, k=10)
        assert hits and {h.document_id for h in hits} == {"doc-9"}
        assert all("Muster" not in h.text for h in hits)
    assert kb.search_documents("req-unknown", DISMISSAL) == []
    # ids that merely share a prefix are other requests too
    assert kb.search_documents("req", DISMISSAL) == []


def test_reindexing_a_document_replaces_it(kb: KnowledgeBase, embedder) -> None:
    col = kb._collection("docs", embedder.id)
    before = col.count()
    assert kb.index_document("req-a", "doc-1", [(1, DISMISSAL), (2, CONTRACT)]) == 2
    assert col.count() == before
    kb.index_document("req-a", "doc-1", [(1, "Nur noch eine Seite: Zeugnis mit der Note gut.")])
    hits = kb.search_documents("req-a", "Bruttogehalt", k=10)
    assert {(h.page, h.text[:9]) for h in hits} == {(1, "Nur noch ")}
    assert kb.index_document("req-a", "doc-1", []) == 0
    assert kb.search_documents("req-a", "Zeugnis") == []


def test_long_document_is_chunked_with_page_metadata(tmp_path: Path, embedder) -> None:
    kb = KnowledgeBase(tmp_path, embedder=embedder)
    page = " ".join(f"Absatz {i}: Der Arbeitnehmer erhält eine Abfindung von {i} Monatsgehältern." for i in range(40))
    n = kb.index_document("req-c", "doc-2", [(5, page)])
    assert n > 1
    hit = kb.search_documents("req-c", "Abfindung 17 Monatsgehälter", k=1)[0]
    assert hit.page == 5 and hit.document_id == "doc-2"


def test_delete_request_removes_only_that_request(kb: KnowledgeBase) -> None:
    kb.delete_request("req-a")
    assert kb.search_documents("req-a", DISMISSAL) == []
    assert kb.search_documents("req-b", ACCIDENT)[0].document_id == "doc-9"
    kb.delete_document("req-b", "doc-9")
    assert kb.search_documents("req-b", ACCIDENT) == []


def test_documents_persist_across_instances(tmp_path: Path, embedder) -> None:
    KnowledgeBase(tmp_path, embedder=embedder).index_document("req-a", "doc-1", [(1, DISMISSAL)])
    fresh_chroma_cache()
    hits = KnowledgeBase(tmp_path, embedder=embedder).search_documents("req-a", "Resturlaub")
    assert hits and hits[0].document_id == "doc-1"


def test_needs_a_place_to_store() -> None:
    with pytest.raises(ValueError):
        KnowledgeBase()
