"""A PNG of one page of a stored document, for the staff detail page's "where was this read" links.

Rendered with pypdfium2 (PDF) or Pillow (an uploaded image is its own page 1), at most ``MAX_SIDE`` pixels
on the longer side, and cached next to the blob (``<sha>.p<page>.png``): the blob never changes, so
neither does its rendering. An evidence box (points from the page's top-left, as the document desk
stores slot bboxes) is drawn onto a copy, never into the cache.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageDraw

MAX_SIDE = 1600
SCALE = 2.0  # 144 dpi: small print stays readable
MAX_PAGE = 2000
MAX_SOURCE_PIXELS = 40_000_000  # an uploaded image larger than this is not decoded for a preview
BOX_COLOUR = (200, 0, 0)

Box = tuple[float, float, float, float]


class NoPreview(LookupError):
    """No such page, or a file that has no pages to show."""


def _cache_path(blob: Path, page: int) -> Path:
    return blob.with_name(f"{blob.name}.p{page}.png")


def _write_atomically(target: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".preview-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _render_pdf(blob: Path, page: int) -> tuple[Image.Image, tuple[float, float]]:
    pdf = pdfium.PdfDocument(str(blob))
    try:
        if not 1 <= page <= len(pdf):
            raise NoPreview(page)
        sheet = pdf[page - 1]
        width, height = sheet.get_size()
        scale = min(SCALE, MAX_SIDE / max(width, height, 1.0))
        image = sheet.render(scale=scale).to_pil().convert("RGB")
        sheet.close()
        return image, (width, height)
    finally:
        pdf.close()


def _render_image(blob: Path, page: int) -> Image.Image:
    if page != 1:
        raise NoPreview(page)
    with Image.open(blob) as source:
        if source.width * source.height > MAX_SOURCE_PIXELS:
            raise NoPreview(page)
        image = source.convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    return image


def page_size(blob: Path, page: int, kind: str | None) -> tuple[float, float] | None:
    """The page's size in points (PDF); None for an image (its boxes, if any, are not in points)."""
    if kind != "pdf":
        return None
    pdf = pdfium.PdfDocument(str(blob))
    try:
        if not 1 <= page <= len(pdf):
            raise NoPreview(page)
        return tuple(pdf[page - 1].get_size())  # type: ignore[return-value]
    finally:
        pdf.close()


def cached_page(blob: Path, page: int, kind: str | None) -> Path:
    """The page's PNG on disk, rendered on first use. ``kind`` is the sniffed type (pdf, png, jpeg, …)."""
    if not 1 <= page <= MAX_PAGE:
        raise NoPreview(page)
    target = _cache_path(blob, page)
    if target.is_file():
        return target
    if kind == "pdf":
        image, _size = _render_pdf(blob, page)
    elif kind in ("png", "jpeg", "tiff", "webp", "gif"):
        image = _render_image(blob, page)
    else:
        raise NoPreview(page)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    _write_atomically(target, out.getvalue())
    return target


def parse_box(value: str | None) -> Box | None:
    """``x0,y0,x1,y1`` in points, as the detail page writes it; anything else is no box."""
    if not value or len(value) > 80:
        return None
    try:
        x0, y0, x1, y1 = (float(part) for part in value.split(","))
    except ValueError:
        return None
    if not all(0 <= v < 100_000 for v in (x0, y0, x1, y1)) or x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1, y1


def boxed(png: Path, box: Box, size: tuple[float, float]) -> bytes:
    """The cached page with the evidence framed (a few pixels around the line, so the text stays legible)."""
    with Image.open(png) as cached:
        image = cached.convert("RGB")
    scale = image.width / size[0]
    pad = 3
    x0, y0, x1, y1 = (round(v * scale) for v in box)
    ImageDraw.Draw(image).rectangle((x0 - pad, y0 - pad, x1 + pad, y1 + pad), outline=BOX_COLOUR,
                                    width=max(2, round(scale * 1.5)))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
