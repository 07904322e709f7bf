"""Benchmark: fill + stamp + audit + seal of the 3-page demo fee agreement; size of the signing page.

Run: .venv/bin/python bench/signing.py [--runs 30]
The last line is one JSON object with median_ms, p95_ms and page_bytes (null until the page exists).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tools.signing import (  # noqa: E402
    SignatureInput,
    document_hash,
    ensure_firm_key,
    finalise,
    load_templates,
    prefill,
    verify_pdf,
)

PAGE_FILES = ["portal_fallback/templates/sign.html", "portal_fallback/static/sign.css",
              "portal_fallback/static/sign.js"]
CASE = {
    "client": {"full_name": "Jürgen Müßig", "address": "Hauptstraße 5, 10115 Berlin"},
    "firm": {"name": "Kanzlei Weiß & Partner", "address": "Friedrichstraße 1, 10117 Berlin"},
    "case": {"subject": "Kündigungsschutz ./. Beispiel GmbH", "reference": "12/25"},
    "fee": {"hourly_rate": 250.0},
}


def phone_signature() -> bytes:
    """What a phone canvas sends: about 1000x330 px (devicePixelRatio 2.5), a few strokes of ink."""
    img = Image.new("RGBA", (1000, 330), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.line([(60, 250), (180, 70), (300, 260), (420, 90), (560, 250), (760, 80), (930, 200)],
              fill=(15, 25, 90, 255), width=7, joint="curve")
    draw.line([(120, 290), (880, 280)], fill=(15, 25, 90, 255), width=5)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * pct
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def page_bytes() -> tuple[int | None, str]:
    paths = [REPO / p for p in PAGE_FILES]
    present = [p for p in paths if p.is_file()]
    if len(present) < len(paths):
        missing = ", ".join(str(p.relative_to(REPO)) for p in paths if not p.is_file())
        return None, f"signing page not built yet (missing: {missing})"
    total = sum(p.stat().st_size for p in present)
    return total, "HTML + CSS + JS as files on disk, before page images"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()

    template = load_templates(REPO / "examples" / "demo-firm")["verguetungsvereinbarung"]
    shown = prefill(template, CASE)
    png = phone_signature()
    with tempfile.TemporaryDirectory() as tmp:
        key, _ = ensure_firm_key(Path(tmp) / "firm.p12", "bench", "Kanzlei Weiß & Partner")
    values = {f.name: (True if f.type == "checkbox" else "Berlin") for f in template.client_fields}
    now = datetime.now(UTC)
    sig = SignatureInput(
        png=png, signer_name="Jürgen Müßig", typed_name="Jürgen Müßig", client_values=values, channel="email",
        address="juergen@example.org", ip="203.0.113.7",
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148 Safari/604.1",
        link_id="link-0042", consent_text=template.consent.de,
        events=[(now, "Signaturlink gesendet"), (now, "Link geöffnet"), (now, "Unterschrift abgeschickt")],
        shown_hash=document_hash(shown),
    )

    def once() -> bytes:
        return finalise(template, shown, sig, firm_name="Kanzlei Weiß & Partner", key=key).pdf

    for _ in range(args.warmup):
        once()
    times: list[float] = []
    pdf = b""
    for _ in range(args.runs):
        start = time.perf_counter()
        pdf = once()
        times.append((time.perf_counter() - start) * 1000)
    report = verify_pdf(pdf, trust=[key.cert])
    assert report.ok, report.errors

    median = statistics.median(times)
    p95 = percentile(times, 0.95)
    size, note = page_bytes()
    print(f"document: {template.id} (3 pages + audit page), signature PNG {len(png)} bytes, "
          f"signed PDF {len(pdf)} bytes, {os.cpu_count()} CPUs")
    print(f"fill + stamp + audit + seal over {args.runs} runs: median {median:.1f} ms, p95 {p95:.1f} ms, "
          f"min {min(times):.1f} ms, max {max(times):.1f} ms (target: median <= 300 ms)")
    print(f"page_bytes: {size if size is not None else 'null'} ({note}; target <= 30 KB)")
    print(json.dumps({"median_ms": round(median, 1), "p95_ms": round(p95, 1), "page_bytes": size}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
