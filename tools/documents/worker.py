"""The sandboxed child: everything that parses untrusted bytes runs here, under rlimits.

Started by :mod:`tools.documents.sandbox` as ``python -I -c ...``; reads the file from stdin and
options as JSON in argv, writes one JSON object to stdout. Nothing here touches the network,
the database or the blob store.
"""

from __future__ import annotations

import io
import json
import resource
import sys
import time
import warnings
from typing import Any

_MIN_TEXT_CHARS = 20  # fewer letters/digits on a page than this: treat as scanned, OCR it
OCR_DPI = 150  # the corpus and typical scans read as well as at 200 dpi, 1.8x faster


def _set_limits(memory_mb: int, cpu_s: int) -> None:
    mem = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024 * 1024, 256 * 1024 * 1024))


def _letters(text: str) -> int:
    return sum(ch.isalnum() for ch in text)


def _analyse_pdf(content: bytes, opts: dict[str, Any], out: dict[str, Any], soft_deadline: float) -> None:
    import pypdfium2 as pdfium

    from tools.documents import pdf as pdfmod

    flags: set[str] = set()
    if pdfmod.looks_truncated(content):
        flags.add("truncated")
    try:
        scan = pdfmod.prescan(content, int(opts["max_stream_bytes"]))
    except pdfmod.PdfBomb:
        out["error"] = "bomb"
        out["flags"] = sorted(flags)
        return
    flags |= scan.flags
    out["flags"] = sorted(flags)
    try:
        doc = pdfmod.open_pdf(content)
    except pdfium.PdfiumError as exc:
        out["error"] = "encrypted" if "password" in str(exc).lower() else "damaged"
        return
    n = len(doc)
    if n == 0:
        out["error"] = "empty"
        return
    if n > int(opts["max_pages"]):
        out["error"] = "too_many_pages"
        return
    pages: list[list[Any]] = []
    for i in range(n):
        pages.append([i + 1, pdfmod.page_text(doc, i), "text"])
    scanned: list[list[Any]] = []  # positioned lines of OCR'd pages, from Tesseract's word boxes
    if opts["ocr"]:
        from tools.documents.ocr import ocr_page

        for entry in pages:
            if _letters(entry[1]) >= _MIN_TEXT_CHARS:
                continue
            if time.monotonic() > soft_deadline:
                flags.add("truncated")  # out of time: keep what was read, say so
                break
            img = pdfmod.render_page(doc, entry[0] - 1, OCR_DPI, int(opts["max_pixels"]))
            # A scan's page size says little (scanners and phones choose it): read every page as A4 wide,
            # so the DIN 5008 regions apply.
            entry[1], lines = ocr_page(img, page=entry[0])
            entry[2] = "ocr"
            scanned.extend(_line_row(ln) for ln in lines)
    doc.close()
    out["pages"] = pages
    out["flags"] = sorted(flags)
    ocr_pages = {row[0] for row in scanned}
    out["lines"] = [row for row in _layout_lines(content, int(opts["max_pages"])) if row[0] not in ocr_pages] + scanned


def _line_row(ln: Any) -> list[Any]:
    return [ln.page, ln.text, ln.x0, ln.y0, ln.x1, ln.y1, ln.page_width, ln.page_height]


def _layout_lines(content: bytes, max_pages: int) -> list[list[Any]]:
    """Positioned lines for the slot rules; a layout failure only costs the slots, never the text."""
    try:
        from tools.documents.layout import lines_of_pdf

        return [_line_row(ln) for ln in lines_of_pdf(content, max_pages)]
    except Exception:  # noqa: BLE001 - hostile bytes: keep the pages already read
        return []


def _analyse_image(content: bytes, opts: dict[str, Any], out: dict[str, Any], soft_deadline: float) -> None:
    from PIL import Image, ImageSequence, UnidentifiedImageError

    max_pixels = int(opts["max_pixels"])
    Image.MAX_IMAGE_PIXELS = max_pixels
    warnings.simplefilter("error", Image.DecompressionBombWarning)
    try:
        img = Image.open(io.BytesIO(content))
        if img.width * img.height > max_pixels:
            out["error"] = "too_many_pixels"
            return
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        out["error"] = "too_many_pixels"
        return
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        out["error"] = "damaged"
        return
    frames = getattr(img, "n_frames", 1)
    if frames > int(opts["max_pages"]):
        out["error"] = "too_many_pages"
        return
    pages: list[list[Any]] = []
    lines: list[list[Any]] = []
    flags: set[str] = set()
    try:
        for index, frame in enumerate(ImageSequence.Iterator(img)):
            if frame.width * frame.height > max_pixels:
                out["error"] = "too_many_pixels"
                return
            frame.load()
            if not opts["ocr"]:
                pages.append([index + 1, "", "ocr"])
                continue
            if time.monotonic() > soft_deadline:
                flags.add("truncated")
                break
            from tools.documents.ocr import ocr_page

            # EXIF orientation lives on the file, not the frame copy
            page_img = img if frames == 1 else frame.copy()
            text, page_lines = ocr_page(page_img, photo=True, page=index + 1)
            pages.append([index + 1, text, "ocr"])
            lines.extend(_line_row(ln) for ln in page_lines)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        out["error"] = "too_many_pixels"
        return
    except (OSError, ValueError, SyntaxError, EOFError):
        out["error"] = "damaged"
        return
    out["pages"] = pages
    out["flags"] = sorted(flags)
    out["lines"] = lines


def main() -> None:
    started = time.monotonic()
    opts = json.loads(sys.argv[1])
    _set_limits(int(opts["memory_mb"]), int(opts["timeout_s"]) + 2)
    content = sys.stdin.buffer.read(int(opts["max_bytes"]) + 1)
    out: dict[str, Any] = {"pages": [], "flags": [], "error": None}
    # leave time to report partial results before the parent's hard kill
    soft_deadline = started + float(opts["timeout_s"]) * 0.75
    try:
        if opts["kind"] == "pdf":
            _analyse_pdf(content, opts, out, soft_deadline)
        else:
            _analyse_image(content, opts, out, soft_deadline)
    except MemoryError:
        out = {"pages": [], "flags": out.get("flags", []), "error": "memory"}
    except Exception as exc:  # any other parser failure on hostile bytes is "damaged", not a crash
        out = {"pages": [], "flags": out.get("flags", []), "error": "damaged", "detail": repr(exc)[:300]}
    sys.stdout.write(json.dumps(out))
    sys.stdout.flush()
