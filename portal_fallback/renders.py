"""Page images of the document shown for signing, rendered once per document hash and kept small."""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Callable

from PIL import Image

from tools.signing import render_pages

RENDER_CACHE_DOCS = 16


class Renders:
    """Page images by document hash. pdfium is not thread-safe: one render at a time."""

    def __init__(self) -> None:
        self._cache: OrderedDict[str, list[bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, sha: str, load: Callable[[], bytes]) -> list[bytes]:
        with self._lock:
            pages = self._cache.get(sha)
            if pages is None:
                pages = [small_png(p) for p in render_pages(load(), scale=1.5)]
                self._cache[sha] = pages
                while len(self._cache) > RENDER_CACHE_DOCS:
                    self._cache.popitem(last=False)
            else:
                self._cache.move_to_end(sha)
            return pages


def small_png(png: bytes) -> bytes:
    """A text page needs few colours: a 32-colour palette makes it about four times smaller for phones."""
    with Image.open(io.BytesIO(png)) as img:
        small = img.convert("RGB").quantize(colors=32, method=Image.Quantize.MEDIANCUT)
        buf = io.BytesIO()
        small.save(buf, "PNG", optimize=True)
    return buf.getvalue()
