"""FAQ retrieval quality on faq_eval.yaml; ``python -m tests.tools.knowledge.evaluate`` prints the figures
quoted in docs/knowledge.md (top-1/top-3 per language, off-topic rejection, embed speed)."""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from tools.knowledge import KnowledgeBase, load_faq

HERE = Path(__file__).resolve().parent
DEMO_FIRM = HERE.parents[2] / "examples" / "demo-firm"


@dataclass
class FaqFigures:
    threshold: float
    de_top1: float
    de_top3: float
    en_top1: float
    en_top3: float
    answered_correct: float  # on-topic questions whose best hit is right AND above the threshold
    answered_wrong: float  # on-topic questions answered with the wrong entry (above threshold)
    off_topic_rejected: float
    misses: list[str]


def load_eval() -> dict:
    return yaml.safe_load((HERE / "faq_eval.yaml").read_text(encoding="utf-8"))


def evaluate(kb: KnowledgeBase, threshold: float | None = None) -> FaqFigures:
    data = load_eval()
    top1: dict[str, float] = {}
    top3: dict[str, float] = {}
    answered_ok = answered_wrong = total = 0
    misses: list[str] = []
    for lang in ("de", "en"):
        ok1 = ok3 = 0
        for item in data[lang]:
            hits = kb.search_faq(item["q"], lang, k=3)
            ids = [h.entry.id for h in hits]
            ok1 += bool(ids) and ids[0] == item["id"]
            ok3 += item["id"] in ids
            if not ids or ids[0] != item["id"]:
                misses.append(f"{item['q']} -> {ids[:1]} (want {item['id']})")
            limit = threshold if threshold is not None else kb.faq_threshold(hits[0].embedder_id)
            if hits[0].score >= limit:  # what best_faq_answer decides, without embedding twice
                answered_ok += ids[0] == item["id"]
                answered_wrong += ids[0] != item["id"]
            total += 1
        top1[lang] = ok1 / len(data[lang])
        top3[lang] = ok3 / len(data[lang])
    rejected = sum(kb.best_faq_answer(q, "de", threshold) is None for q in data["off_topic"])
    used = threshold if threshold is not None else kb.faq_threshold(kb.embedder.id)
    return FaqFigures(
        used,
        top1["de"],
        top3["de"],
        top1["en"],
        top3["en"],
        answered_ok / total,
        answered_wrong / total,
        rejected / len(data["off_topic"]),
        misses,
    )


def embed_speed(kb: KnowledgeBase) -> dict[str, float]:
    chunk = (
        "Sehr geehrter Herr Muster, hiermit kündigen wir das mit Ihnen bestehende Arbeitsverhältnis "
        "ordentlich und fristgerecht zum nächstmöglichen Zeitpunkt. "
    ) * 6
    texts = [chunk[:800]] * 64
    start = time.perf_counter()
    kb.embedder.embed_documents(texts)
    passages = len(texts) / (time.perf_counter() - start)
    start = time.perf_counter()
    for _ in range(20):
        kb.embedder.embed_query("Wie lange habe ich Zeit für eine Kündigungsschutzklage?")
    query_ms = (time.perf_counter() - start) / 20 * 1000
    return {"passages_800_chars_per_s": round(passages, 1), "query_ms": round(query_ms, 1)}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        kb = KnowledgeBase(Path(tmp))
        start = time.perf_counter()
        kb.index_faq(load_faq(DEMO_FIRM))
        index_s = time.perf_counter() - start
        figures = evaluate(kb)
        for miss in figures.misses:
            print("miss:", miss)
        out = {k: v for k, v in asdict(figures).items() if k != "misses"}
        out |= embed_speed(kb) | {"faq_index_s": round(index_s, 2)}
        print(json.dumps(out))


if __name__ == "__main__":
    main()
