from __future__ import annotations

from pathlib import Path

import pytest

from tests.tools.knowledge.conftest import DEMO_FIRM, fresh_chroma_cache
from tests.tools.knowledge.evaluate import evaluate, load_eval
from tools.knowledge import DEFAULT_FAQ_THRESHOLDS, FaqEntry, KnowledgeBase, load_faq


@pytest.fixture(scope="module")
def faq_kb(tmp_path_factory: pytest.TempPathFactory, embedder, faq_entries) -> KnowledgeBase:
    kb = KnowledgeBase(tmp_path_factory.mktemp("faq"), embedder=embedder)
    kb.index_faq(faq_entries)
    return kb


def test_demo_faq_loads_with_both_languages(faq_entries: list[FaqEntry]) -> None:
    assert len(faq_entries) >= 15
    assert len({e.id for e in faq_entries}) == len(faq_entries)
    for entry in faq_entries:
        assert entry.question["de"] and entry.question["en"]
        assert entry.answer["de"] and entry.answer["en"]
    ids = {e.id for e in faq_entries}
    for needed in ("kschg-deadline", "legal-expenses-insurance", "severance", "accident-expert"):
        assert needed in ids


def test_firm_without_faq_has_empty_faq(tmp_path: Path) -> None:
    assert load_faq(tmp_path) == []


def test_faq_rejects_duplicate_ids_and_missing_language(tmp_path: Path) -> None:
    entry = "- {id: a, question: {de: F, en: Q}, answer: {de: A, en: A}}\n"
    (tmp_path / "faq.yaml").write_text(entry + entry, encoding="utf-8")
    with pytest.raises(ValueError, match="duplicate"):
        load_faq(tmp_path)
    (tmp_path / "faq.yaml").write_text("- {id: a, question: {de: F}, answer: {de: A, en: A}}\n")
    with pytest.raises(ValueError, match="missing language"):
        load_faq(tmp_path)


def test_eval_set_is_meaningful(faq_entries: list[FaqEntry]) -> None:
    data = load_eval()
    ids = {e.id for e in faq_entries}
    assert len(data["de"]) >= 20 and len(data["en"]) >= 5 and len(data["off_topic"]) >= 5
    phrasings = {t.lower() for e in faq_entries for _, t in e.index_texts()}
    for item in data["de"] + data["en"]:
        assert item["id"] in ids
        assert item["q"].lower() not in phrasings  # phrased differently from the FAQ itself


def test_german_retrieval_quality_and_off_topic_rejection(faq_kb: KnowledgeBase) -> None:
    figures = evaluate(faq_kb)
    print(figures)
    assert figures.de_top1 >= 0.8, figures.misses
    assert figures.de_top3 >= 0.9
    assert figures.en_top1 >= 0.8
    assert figures.off_topic_rejected >= 0.8
    assert figures.threshold == DEFAULT_FAQ_THRESHOLDS[faq_kb.embedder.id]


def test_best_answer_in_the_clients_language(faq_kb: KnowledgeBase) -> None:
    hit = faq_kb.best_faq_answer("Bis wann muss ich gegen die Kündigung klagen?", "de")
    assert hit is not None and hit.entry.id == "kschg-deadline"
    assert "drei Wochen" in hit.answer
    hit = faq_kb.best_faq_answer("Bis wann muss ich gegen die Kündigung klagen?", "en")
    assert hit is not None and "three weeks" in hit.answer
    assert faq_kb.best_faq_answer("Wie wird das Wetter morgen?", "de") is None
    # an explicit threshold wins over the calibrated one
    assert faq_kb.best_faq_answer("Wie wird das Wetter morgen?", "de", threshold=0.0) is not None


def test_reindex_is_idempotent_and_follows_edits(tmp_path: Path, embedder, faq_entries) -> None:
    faq_entries = faq_entries[:6]  # enough to see edits and deletions, cheap to embed
    kb = KnowledgeBase(tmp_path, embedder=embedder)
    first = kb.index_faq(faq_entries)
    assert len(first.upserted) == len(faq_entries)
    col = kb._collection("faq", embedder.id)
    records = col.count()

    again = kb.index_faq(faq_entries)
    assert again.upserted == [] and again.deleted == [] and again.unchanged == len(faq_entries)
    assert col.count() == records

    # edit one answer, drop one entry
    edited = faq_entries[0].model_copy(
        update={"answer": {**faq_entries[0].answer, "de": "Neue Antwort: drei Wochen ab Zugang."}}
    )
    dropped = faq_entries[-1]
    changed = kb.index_faq([edited, *faq_entries[1:-1]])
    assert changed.upserted == [edited.id] and changed.deleted == [dropped.id]
    assert col.count() == records - len(dropped.index_texts())
    hits = kb.search_faq(dropped.question["de"], "de", k=len(faq_entries))
    assert dropped.id not in {h.entry.id for h in hits}
    best = kb.search_faq("Frist Kündigungsschutzklage", "de", k=1)[0]
    assert best.entry.id == edited.id and best.answer.startswith("Neue Antwort")


def test_faq_persists_across_instances(tmp_path: Path, embedder, faq_entries) -> None:
    faq_entries = [e for e in faq_entries if e.id in ("legal-expenses-insurance", "severance", "signing")]
    KnowledgeBase(tmp_path, embedder=embedder).index_faq(faq_entries)
    fresh_chroma_cache()
    kb = KnowledgeBase(tmp_path, embedder=embedder)  # no index_faq: entries come back from chroma
    hit = kb.best_faq_answer("Zahlt meine Rechtsschutz die Anwaltskosten?", "de")
    assert hit is not None and hit.entry.id == "legal-expenses-insurance"
    assert hit.entry == next(e for e in faq_entries if e.id == hit.entry.id)
    # and re-indexing the same FAQ in the new instance embeds nothing
    assert KnowledgeBase(tmp_path, embedder=embedder).index_faq(faq_entries).upserted == []


def test_demo_firm_folder_is_the_one_tested() -> None:
    assert (DEMO_FIRM / "faq.yaml").exists()
