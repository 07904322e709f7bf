"""Serving a stored document to staff: always a download, never rendered by the browser."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from urllib.parse import quote

from fastapi.responses import Response

from tools.documents import BlobStore, sniff

_EXTENSIONS = {"pdf": (".pdf",), "jpeg": (".jpg", ".jpeg"), "png": (".png",), "tiff": (".tif", ".tiff")}
_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9._ ()+-]")


def sniffed(path: Path) -> tuple[str | None, str]:
    """(kind, mime) by the file's magic bytes; unknown content is served as opaque bytes."""
    with path.open("rb") as fh:
        head = fh.read(64)
    kind = sniff(head)
    return (kind[0], kind[1]) if kind else (None, "application/octet-stream")


def safe_filename(original: str, kind: str | None) -> str:
    """The original name without paths, control or quoting characters, with the extension of its real type."""
    name = unicodedata.normalize("NFC", original or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] not in "CZ" or ch == " ")
    name = name.replace('"', "").replace(";", "").strip(" .")[:150] or "document"
    if kind in _EXTENSIONS and not name.lower().endswith(_EXTENSIONS[kind]):
        name += _EXTENSIONS[kind][0]
    return name


def content_disposition(name: str) -> str:
    fallback = _UNSAFE_ASCII.sub("_", unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode())
    fallback = fallback.strip(" .") or "document"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def stored_file(blobs: BlobStore, sha: str, filename: str, *, nosniff: bool = True) -> Response | None:
    """A stored document as a download, decrypted when files are encrypted at rest; None if it is gone."""
    try:
        content = blobs.get(sha)
    except (KeyError, ValueError):
        return None
    kind = sniff(content[:64])
    headers = {"Content-Disposition": content_disposition(safe_filename(filename, kind[0] if kind else None))}
    if nosniff:
        headers["X-Content-Type-Options"] = "nosniff"
    return Response(content, media_type=kind[1] if kind else "application/octet-stream", headers=headers)
