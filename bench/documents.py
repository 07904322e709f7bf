"""Benchmark of the document pipeline over the generated corpus.

Prints text-layer pages/s (ours vs the raw pypdfium2 loop, plus raw pypdf for the library choice),
OCR pages/s per core (ours vs raw pytesseract), end-to-end analyse_document timings, and
extraction precision/recall per field. The last line is one JSON object.

    .venv/bin/python bench/documents.py
"""

from __future__ import annotations

import io
import json
import os
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.tools import corpus  # noqa: E402
from tools.documents import analyse_document  # noqa: E402
from tools.documents.pdf import extract_text_layer  # noqa: E402

TEXT_ROUNDS = 5
PAGES_PER_DOC = 40


def _best(fn, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def bench_text(pdfs: list[bytes], pages: int) -> dict[str, float]:
    import pypdfium2 as pdfium
    from pypdf import PdfReader

    def raw_pdfium() -> None:
        for b in pdfs:
            doc = pdfium.PdfDocument(b)
            for i in range(len(doc)):
                page = doc[i]
                tp = page.get_textpage()
                tp.get_text_range()
                tp.close()
                page.close()
            doc.close()

    def raw_pypdf() -> None:
        for b in pdfs:
            for page in PdfReader(io.BytesIO(b)).pages:
                page.extract_text()

    def ours() -> None:
        for b in pdfs:
            extract_text_layer(b)

    t_raw = _best(raw_pdfium, TEXT_ROUNDS)
    t_ours = _best(ours, TEXT_ROUNDS)
    t_pypdf = _best(raw_pypdf, 1)
    t_e2e = _best(lambda: [analyse_document(b, today=date(2025, 6, 1)) for b in pdfs], 1)
    return {
        "raw_pdfium": pages / t_raw, "ours": pages / t_ours, "raw_pypdf": pages / t_pypdf,
        "end_to_end": pages / t_e2e,
    }


def bench_ocr(samples: list[corpus.Sample]) -> dict[str, float]:
    import pytesseract
    from PIL import Image

    os.environ["OMP_THREAD_LIMIT"] = "1"  # per core, like the child process
    images = [s for s in samples if s.variant == "image_pdf"]
    raw_imgs = [corpus.page_image(s.content, 150) for s in images]
    t = time.perf_counter()
    for img in raw_imgs:
        pytesseract.image_to_string(img, lang="deu+eng")
    raw = len(raw_imgs) / (time.perf_counter() - t)
    t = time.perf_counter()
    for s in images:
        analyse_document(s.content)
    ours = len(images) / (time.perf_counter() - t)
    photos = [s for s in samples if s.variant == "photo"]
    t = time.perf_counter()
    for s in photos:
        analyse_document(s.content)
    ours_photo = len(photos) / (time.perf_counter() - t)
    del Image
    return {"raw": raw, "ours_scan": ours, "ours_photo": ours_photo}


def bench_extraction(samples: list[corpus.Sample]) -> tuple[float, float, dict[str, tuple[int, int, int]]]:
    per_field: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for s in samples:
        a = analyse_document(s.content, today=date(2025, 6, 1))
        found = {(f.name, f.value) for f in a.facts if f.method == "rules"}
        for name, value in found | s.letter.expected:
            key = (name, value)
            row = per_field[name]
            if key in found and key in s.letter.expected:
                row[0] += 1
            elif key in found:
                row[1] += 1
            else:
                row[2] += 1
    tp, fp, fn = (sum(r[i] for r in per_field.values()) for i in range(3))
    return tp / max(1, tp + fp), tp / max(1, tp + fn), {k: tuple(v) for k, v in per_field.items()}


def main() -> None:
    samples = corpus.build()
    pdfs = [corpus.text_pdf(letter.lines, pages=PAGES_PER_DOC) for letter in corpus.LETTERS]
    pages = PAGES_PER_DOC * len(pdfs)
    text = bench_text(pdfs, pages)
    print(f"text layer: ours {text['ours']:.0f} pages/s, raw pypdfium2 {text['raw_pdfium']:.0f} pages/s, "
          f"raw pypdf {text['raw_pypdf']:.0f} pages/s, analyse_document end-to-end {text['end_to_end']:.0f} pages/s")
    ocr = bench_ocr(samples)
    print(f"OCR per core: raw pytesseract {ocr['raw']:.2f} pages/s, ours (scans, end-to-end) "
          f"{ocr['ours_scan']:.2f} pages/s, ours (phone photos incl. orientation) {ocr['ours_photo']:.2f} pages/s")
    precision, recall, fields = bench_extraction(samples)
    print("extraction per field (tp, fp, fn):")
    for name, (tp, fp, fn) in sorted(fields.items()):
        print(f"  {name:26} tp={tp:3} fp={fp:2} fn={fn:2}")
    print(json.dumps({
        "text_pages_per_s": round(text["ours"], 1),
        "text_ratio_vs_raw": round(text["ours"] / text["raw_pdfium"], 3),
        "text_end_to_end_pages_per_s": round(text["end_to_end"], 1),
        "ocr_pages_per_s_per_core": round(ocr["ours_scan"], 3),
        "ocr_ratio_vs_raw": round(ocr["ours_scan"] / ocr["raw"], 3),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
    }))


if __name__ == "__main__":
    main()
