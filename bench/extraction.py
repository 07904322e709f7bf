"""Per-slot precision and recall of the rule-based case extraction on the generated letters (issue 13).

Run: PYTHONPATH=. python bench/extraction.py [--scans N]
Every letter goes through the real pipeline (analyse_document: sandboxed child, classifier, slot
rules), so a misclassified letter costs its slots here as it would for a client. Every slot the
rules report counts: one that is not in the letter's ground truth is a false positive. Scans are
letters rendered at 180–240 dpi, skewed up to 2.5°, speckled, some blurred, some as image-only
PDFs and some as photos turned by 90/180°. The last line is JSON with slot_precision, slot_recall,
scan_recall and pages_per_s (plus per-slot figures under per_slot).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.tools.documents.letters import Letter, corpus, scan_pdf, scan_png  # noqa: E402
from tools.documents import analyse_document  # noqa: E402


def _score(letter: Letter, got: dict[str, str], tally: Counter[str], per_slot: dict[str, Counter[str]]) -> None:
    for slot, value in got.items():
        right = value == letter.truth.get(slot)
        tally["reported"] += 1
        tally["correct"] += right
        per_slot[slot]["reported"] += 1
        per_slot[slot]["correct"] += right
        if letter.client.casefold() in value.casefold():
            tally["recipient_as_party"] += 1
    for slot, value in letter.truth.items():
        tally["expected"] += 1
        per_slot[slot]["expected"] += 1
        found = got.get(slot) == value
        tally["found"] += found
        per_slot[slot]["found"] += found


def _misses(letter: Letter, got: dict[str, str], prefix: str) -> list[str]:
    """Missed or wrong slots ("name:slot") and reported slots the letter does not have ("name:+slot=value")."""
    out = [f"{prefix}{letter.name}:{s}" for s, v in letter.truth.items() if got.get(s) != v]
    return out + [f"{prefix}{letter.name}:+{s}={v}" for s, v in got.items() if s not in letter.truth]


def _slots(content: bytes) -> dict[str, str]:
    return {name: slot.value for name, slot in analyse_document(content).slots.items()}


def _ratio(a: int, b: int) -> float:
    return round(a / b, 3) if b else 1.0


def _scan_of(letter: Letter, n: int) -> bytes:
    # a third image-only PDFs, the rest photos: upright, upside down, sideways
    return scan_pdf(letter, n) if n % 3 == 0 else scan_png(letter, n, turn=(0, 180, 0, 90)[n % 4])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scans", type=int, default=12)
    args = parser.parse_args()
    letters, rng = corpus(), random.Random(13)
    digital, scans, pages = Counter[str](), Counter[str](), 0
    per_slot: dict[str, Counter[str]] = defaultdict(Counter)
    misses: list[str] = []
    started = time.perf_counter()
    for letter in letters:
        got = _slots(letter.pdf)
        _score(letter, got, digital, per_slot)
        misses += _misses(letter, got, "")
        pages += 1
    for n, letter in enumerate(rng.sample(letters, min(args.scans, len(letters)))):
        got = _slots(_scan_of(letter, n))
        _score(letter, got, scans, per_slot)
        misses += _misses(letter, got, "scan ")
        pages += 1
    elapsed = time.perf_counter() - started
    both = digital + scans
    result = {
        "letters": len(letters), "scans": min(args.scans, len(letters)),
        "slot_precision": _ratio(both["correct"], both["reported"]),
        "slot_recall": _ratio(both["found"], both["expected"]),
        "digital_precision": _ratio(digital["correct"], digital["reported"]),
        "digital_recall": _ratio(digital["found"], digital["expected"]),
        "scan_precision": _ratio(scans["correct"], scans["reported"]),
        "scan_recall": _ratio(scans["found"], scans["expected"]),
        "recipient_as_party": both["recipient_as_party"],
        "pages_per_s": round(pages / elapsed, 2),
        "per_slot": {slot: {"precision": _ratio(c["correct"], c["reported"]),
                            "recall": _ratio(c["found"], c["expected"]), "n": c["expected"]}
                     for slot, c in sorted(per_slot.items())},
    }
    print(f"{len(letters)} letters, {result['scans']} scans in {elapsed:.1f} s")
    print(f"misses and extras: {', '.join(misses) or '-'}")
    for slot, fig in result["per_slot"].items():
        print(f"  {slot:22} precision {fig['precision']:.3f}  recall {fig['recall']:.3f}  (n={fig['n']})")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
