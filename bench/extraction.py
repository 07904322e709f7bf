"""Per-slot precision and recall of the rule-based case extraction on the generated letters (issue 13).

Run: PYTHONPATH=. python bench/extraction.py [--scans N]
Scans are the same letters rendered at 200 dpi, rotated 1–2° and given salt-and-pepper noise,
read with Tesseract's word boxes. The last line is JSON with slot_precision, slot_recall,
scan_recall and pages_per_s.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.tools.documents.letters import Letter, corpus  # noqa: E402
from tools.documents.layout import lines_of_image, lines_of_pdf  # noqa: E402
from tools.documents.slots import extract_slots  # noqa: E402


def _scan(letter: Letter, rng: random.Random):  # type: ignore[no-untyped-def]
    import pypdfium2 as pdfium
    from PIL import Image

    pdf = pdfium.PdfDocument(letter.pdf)
    img = pdf[0].render(scale=200 / 72).to_pil().convert("L")
    img = img.rotate(rng.uniform(-2, 2), expand=True, fillcolor=255, resample=Image.BICUBIC)
    px = img.load()
    for _ in range(img.width * img.height // 400):
        px[rng.randrange(img.width), rng.randrange(img.height)] = rng.choice((0, 255))
    return img


def _score(letter: Letter, got: dict[str, str], tally: Counter[str]) -> None:
    for slot, value in got.items():
        tally["reported"] += 1
        tally["correct"] += value == letter.truth.get(slot)
        if value.casefold() in letter.client.casefold():
            tally["recipient_as_party"] += 1
    tally["expected"] += len(letter.truth)
    tally["found"] += sum(got.get(slot) == value for slot, value in letter.truth.items())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scans", type=int, default=6)
    args = parser.parse_args()
    letters, rng = corpus(), random.Random(13)
    digital, scans, pages, started = Counter[str](), Counter[str](), 0, time.perf_counter()
    for letter in letters:
        slots = extract_slots(lines_of_pdf(letter.pdf), letter.doc_type)
        _score(letter, {k: v.value for k, v in slots.items() if k in letter.truth}, digital)
        pages += 1
    for letter in rng.sample(letters, min(args.scans, len(letters))):
        slots = extract_slots(lines_of_image(_scan(letter, rng)), letter.doc_type)
        _score(letter, {k: v.value for k, v in slots.items() if k in letter.truth}, scans)
        pages += 1
    elapsed = time.perf_counter() - started
    both = digital + scans
    result = {
        "letters": len(letters), "scans": args.scans,
        "slot_precision": round(both["correct"] / max(1, both["reported"]), 3),
        "slot_recall": round(both["found"] / max(1, both["expected"]), 3),
        "digital_recall": round(digital["found"] / max(1, digital["expected"]), 3),
        "scan_precision": round(scans["correct"] / max(1, scans["reported"]), 3),
        "scan_recall": round(scans["found"] / max(1, scans["expected"]), 3),
        "recipient_as_party": both["recipient_as_party"],
        "pages_per_s": round(pages / elapsed, 2),
    }
    print(f"{len(letters)} letters, {args.scans} scans in {elapsed:.1f} s")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
