"""A PNG of one page of a stored document, for the staff detail page's "where was this read" links.

The page is rendered in a short-lived child process (``preview_worker.py``, under rlimits and a time
limit, like the document analysis): a client's file is never parsed in the web process, and PDFium —
not thread-safe — never runs in its threads. At most ``MAX_SIDE`` pixels on the longer side; cached beside
the blob through the blob store (``<sha>.p<page>.png``): the blob never changes, so neither does its
rendering, and the store seals it and deletes it with the blob. An evidence
box (points from the page's top-left, as the document desk stores slot bboxes) is drawn onto a copy of
that PNG, never into the cache.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

from PIL import Image, ImageDraw

from tools.documents.sniff import sniff
from tools.storage import BlobStore

log = logging.getLogger(__name__)

WORKER = Path(__file__).resolve().with_name("preview_worker.py")
MAX_SIDE = 1600
SCALE = 2.0  # 144 dpi: small print stays readable
MAX_PAGE = 2000
MAX_BYTES = 50 * 1024 * 1024
TIMEOUT_S = 30.0
LIMITS = {"memory_mb": 1024, "cpu_s": 20, "max_pixels": 40_000_000}
BOX_COLOUR = (200, 0, 0)
PAGE_PT = "mandat-page-pt"

Box = tuple[float, float, float, float]


class NoPreview(LookupError):
    """No such page, a file that has no pages to show, or one the renderer gave up on."""


def _render_in_child(content: bytes, page: int, kind: str) -> bytes:
    opts = {"page": page, "kind": kind, "scale": SCALE, "max_side": MAX_SIDE, "max_bytes": MAX_BYTES, **LIMITS}
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-I", str(WORKER), json.dumps(opts)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True,
                            close_fds=True)
    try:
        stdout, stderr = proc.communicate(content, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        stdout, stderr = b"", b"timeout"
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
    if proc.returncode == 0 and stdout.startswith(b"\x89PNG\r\n\x1a\n"):
        return stdout
    if proc.returncode != 2:  # 2: no such page, nothing to report
        log.warning("page preview failed (exit %s): %s", proc.returncode, stderr[-300:].decode("utf-8", "replace"))
    raise NoPreview(page)


def cached_page(blobs: BlobStore, sha: str, page: int) -> bytes:
    """The page's PNG, rendered on first use and kept beside the blob (sealed like it when files are
    encrypted at rest, and deleted with it)."""
    if not 1 <= page <= MAX_PAGE:
        raise NoPreview(page)
    name = f"p{page}.png"
    cached = blobs.get_derived(sha, name)
    if cached is not None:
        return cached
    try:
        content = blobs.get(sha)
    except KeyError:
        raise NoPreview(page) from None
    kind = sniff(content[:64])
    if kind is None or len(content) > MAX_BYTES:
        raise NoPreview(page)
    png = _render_in_child(content, page, kind[0])
    blobs.put_derived(sha, name, png)
    return png


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


def boxed(png: bytes, box: Box) -> bytes | None:
    """The cached page with the evidence framed (a few pixels around the line, so the text stays legible);
    None when the page's size in points is unknown (an image: its boxes are not in points)."""
    with Image.open(io.BytesIO(png)) as cached:
        size = str(cached.info.get(PAGE_PT) or "")
        image = cached.convert("RGB")
    try:
        width_pt = float(size.split(",")[0])
    except ValueError:
        return None
    scale = image.width / max(width_pt, 1.0)
    pad = 3
    x0, y0, x1, y1 = (round(v * scale) for v in box)
    ImageDraw.Draw(image).rectangle((x0 - pad, y0 - pad, x1 + pad, y1 + pad), outline=BOX_COLOUR,
                                    width=max(2, round(scale * 1.5)))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
