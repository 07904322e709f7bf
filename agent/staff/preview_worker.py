"""The sandboxed child that renders one page preview: the stored file's bytes on stdin, the page as PNG on stdout.

Run as a script (``python -I preview_worker.py '{json options}'``), never imported by the web process: a
client's file is parsed here, under rlimits, like tools/documents/worker.py does for the analysis — and
PDFium, which must not be called from two threads at once, never runs in the threaded server. Only the
standard library, pypdfium2 and Pillow are imported. The PDF page's size in points rides along as a PNG
text chunk (``mandat-page-pt``), so the parent can frame a box given in points without opening the PDF.
"""

from __future__ import annotations

import io
import json
import resource
import sys
from typing import Any

IMAGE_KINDS = ("png", "jpeg", "tiff", "webp", "gif")


def _set_limits(memory_mb: int, cpu_s: int) -> None:
    mem = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024 * 1024, 64 * 1024 * 1024))


def _pdf_page(content: bytes, page: int, opts: dict[str, Any]) -> tuple[Any, tuple[float, float]] | None:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(content)
    if not 1 <= page <= len(pdf):
        return None
    sheet = pdf[page - 1]
    width, height = sheet.get_size()
    scale = min(float(opts["scale"]), int(opts["max_side"]) / max(width, height, 1.0))
    return sheet.render(scale=scale).to_pil().convert("RGB"), (width, height)


def _image_page(content: bytes, page: int, opts: dict[str, Any]) -> Any | None:
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = int(opts["max_pixels"])  # larger raises DecompressionBombError: no preview
    if page != 1:
        return None
    with Image.open(io.BytesIO(content)) as source:
        image = source.convert("RGB")
    image.thumbnail((int(opts["max_side"]), int(opts["max_side"])))
    return image


def render(content: bytes, opts: dict[str, Any]) -> bytes | None:
    """The PNG of ``opts["page"]`` or None when the file has no such page."""
    from PIL import PngImagePlugin

    page, info = int(opts["page"]), PngImagePlugin.PngInfo()
    if opts["kind"] == "pdf":
        found = _pdf_page(content, page, opts)
        if found is None:
            return None
        image, (width, height) = found
        info.add_text("mandat-page-pt", f"{width:.2f},{height:.2f}")
    elif opts["kind"] in IMAGE_KINDS:
        image = _image_page(content, page, opts)
        if image is None:
            return None
    else:
        return None
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True, pnginfo=info)
    return out.getvalue()


def main() -> None:
    opts = json.loads(sys.argv[1])
    _set_limits(int(opts["memory_mb"]), int(opts["cpu_s"]))
    content = sys.stdin.buffer.read(int(opts["max_bytes"]) + 1)
    if len(content) > int(opts["max_bytes"]):
        sys.exit(3)
    png = render(content, opts)
    if png is None:
        sys.exit(2)  # no such page: the parent answers 404
    sys.stdout.buffer.write(png)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
