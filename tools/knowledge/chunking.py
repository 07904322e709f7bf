"""Split page texts into overlapping chunks that stay on one page (so a hit can cite its page)."""

from __future__ import annotations

import re
from dataclasses import dataclass

CHUNK_CHARS = 800
OVERLAP_CHARS = 150
_MAX_CHUNKS_PER_PAGE = 1000  # bounds the loop on absurd pages; the ingest caps pages and bytes anyway


@dataclass(frozen=True)
class Chunk:
    page: int
    index: int  # position within the page
    text: str


def _cut(text: str, start: int, size: int) -> int:
    """End of a chunk starting at ``start``: prefer a paragraph, sentence, then word boundary."""
    end = start + size
    if end >= len(text):
        return len(text)
    window = text[start:end]
    floor = size // 2  # never shrink a chunk below half its size just to end on a boundary
    for pattern in (r"\n\s*\n", r"[.!?;:]\s", r"\s"):
        matches = [m.end() for m in re.finditer(pattern, window) if m.end() >= floor]
        if matches:
            return start + matches[-1]
    return end


def chunk_page(page: int, text: str, size: int = CHUNK_CHARS, overlap: int = OVERLAP_CHARS) -> list[Chunk]:
    text = re.sub(r"[ \t\r\f\v]+", " ", text).strip()
    if not text:
        return []
    chunks: list[Chunk] = []
    start = 0
    while start < len(text) and len(chunks) < _MAX_CHUNKS_PER_PAGE:
        end = _cut(text, start, size)
        piece = text[start:end].strip()
        if piece:
            chunks.append(Chunk(page, len(chunks), piece))
        if end >= len(text):
            break
        nxt = max(end - overlap, start + 1)
        # start the overlap on a word boundary so no chunk begins mid-word
        space = text.find(" ", nxt, end)
        start = space + 1 if space != -1 else nxt
    return chunks


def chunk_pages(
    pages: list[tuple[int, str]], size: int = CHUNK_CHARS, overlap: int = OVERLAP_CHARS
) -> list[Chunk]:
    out: list[Chunk] = []
    for page, text in pages:
        out.extend(chunk_page(page, text, size, overlap))
    return out
