"""Page images for the signing page: every phone can show a PNG, not every phone a PDF."""

from __future__ import annotations

import io

import pypdfium2 as pdfium


def render_pages(pdf: bytes, *, scale: float = 1.5) -> list[bytes]:
    """One PNG per page. init_forms() so form field values (and a seal's appearance) are drawn."""
    doc = pdfium.PdfDocument(pdf)
    try:
        doc.init_forms()
        out: list[bytes] = []
        for index in range(len(doc)):
            page = doc[index]
            try:
                image = page.render(scale=scale, may_draw_forms=True).to_pil()
                buf = io.BytesIO()
                image.convert("RGB").save(buf, format="PNG", optimize=False)
                out.append(buf.getvalue())
            finally:
                page.close()
        return out
    finally:
        doc.close()
