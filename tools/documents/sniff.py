"""File type by magic bytes only (never by name or declared MIME type), plus a polyglot check."""

from __future__ import annotations

import re

_MAGIC: list[tuple[bytes, str, str]] = [
    (b"%PDF-", "pdf", "application/pdf"),
    (b"\xff\xd8\xff", "jpeg", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
    (b"II*\x00", "tiff", "image/tiff"),
    (b"MM\x00*", "tiff", "image/tiff"),
]

_EOCD = re.compile(rb"PK\x05\x06")


def sniff(content: bytes) -> tuple[str, str] | None:
    """(kind, mime) for PDF, JPEG, PNG and TIFF by the magic bytes at offset 0, else None."""
    for magic, kind, mime in _MAGIC:
        if content.startswith(magic):
            return kind, mime
    return None


def _has_zip_directory(content: bytes) -> bool:
    """True if a ZIP end-of-central-directory record sits where a ZIP reader would find it."""
    tail_start = max(0, len(content) - 65_557)  # 22-byte record + at most 65535 bytes comment
    tail = content[tail_start:]
    for m in _EOCD.finditer(tail):
        rec = tail[m.start():]
        if len(rec) >= 22:
            comment_len = int.from_bytes(rec[20:22], "little")
            if m.start() + 22 + comment_len == len(tail):
                return True
    return False


def polyglot_reason(content: bytes, kind: str) -> str | None:
    """Why the file is also readable as another format (a classic way to smuggle content), or None."""
    if _has_zip_directory(content):
        return "zip"
    head = content[:1024]
    # PDF readers accept a header anywhere in the first KiB: an image that is also a PDF.
    if kind != "pdf" and b"%PDF-" in head:
        return "pdf"
    lowered = head.lower()
    if b"<html" in lowered or b"<script" in lowered or b"<svg" in lowered:
        return "html"
    return None
