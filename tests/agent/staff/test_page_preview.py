"""Page previews on the request detail: an answer or a fact read from a document page links a PNG of that
page (pypdfium2), framed where the slot's bbox is known, cached beside the blob (sealed and erased with it),
only with a session."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from PIL import Image

from agent.messages import Attachment
from agent.staff import previews
from tests.agent.staff.conftest import Staffed
from tests.tools import corpus
from tools.storage import BlobStore

PREVIEW = re.compile(r'href="(/staff/requests/[0-9a-f]+/files/[0-9a-f]+/pages/1\.png(?:\?box=[0-9.,]+)?)"')


def _png(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    image.load()
    return image.convert("RGB")


def _red(image: Image.Image, x: int, y: int) -> bool:
    r, g, b = image.getpixel((x, y))
    return r > 150 and g < 80 and b < 80


def test_answer_and_fact_link_a_framed_page_preview(staff: Staffed) -> None:
    rid = staff.create("Paula Vorschau")
    staff.say(rid, "Paula")
    pdf = corpus.text_pdf(corpus.DISMISSAL.lines)
    staff.say(rid, "", attachments=(Attachment("kuendigung.pdf", pdf, "application/pdf"),))
    staff.say(rid, "ja")  # the letter's date becomes the answer "received on", read from page 1
    anna = staff.login()
    html = anna.get(f"/staff/requests/{rid}").text
    answer = html[html.index('data-field="dismissal_received"'):]
    answer = answer[:answer.index("</tr>")]
    assert "Vorschau Seite 1" in answer and PREVIEW.search(answer)
    links = [u.replace("&amp;", "&") for u in PREVIEW.findall(html)]
    framed = [u for u in links if "?box=" in u]
    assert framed, "the employer's letterhead is a slot with a bbox: its fact is framed"
    plain_url = framed[0].split("?")[0]

    plain = anna.get(plain_url)
    assert plain.status_code == 200 and plain.headers["content-type"] == "image/png"
    assert "no-store" in plain.headers["cache-control"]  # a client's letter stays out of shared caches
    page = _png(plain.content)
    assert 1000 < page.height <= 1600 and page.width < page.height  # an A4 page at 144 dpi
    boxed = _png(anna.get(framed[0]).content)
    assert boxed.size == page.size and boxed.tobytes() != page.tobytes()
    x0, y0, x1, y1 = (float(v) for v in framed[0].split("box=")[1].split(","))
    scale = page.width / 595.0  # A4 width in points
    left, top = round(x0 * scale) - 3, round(y0 * scale) - 3
    mid_y = round((y0 + y1) / 2 * scale)
    assert _red(boxed, left, mid_y) and _red(boxed, round((x0 + x1) / 2 * scale), top)
    assert not _red(page, left, mid_y)

    blob_dir = staff.service.desk.blobs.root
    cached = list(blob_dir.rglob("*.p1.png"))
    assert len(cached) == 1 and cached[0].read_bytes() == plain.content  # rendered once, beside the file

    assert anna.get(plain_url.replace("/pages/1.png", "/pages/2.png")).status_code == 404  # a one-page letter
    other = staff.create("Fremde Anfrage")
    assert anna.get(plain_url.replace(f"/requests/{rid}/", f"/requests/{other}/")).status_code == 404
    assert anna.get(plain_url + "?box=1,2,3").status_code == 200  # a malformed box is no box
    with staff.browser() as anon:
        resp = anon.get(framed[0])
        assert resp.status_code == 303 and resp.headers["location"] == "/staff/login"
    anna.close()


def test_renderer_runs_apart_and_refuses_what_it_cannot_show(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path)
    buf = io.BytesIO()
    Image.new("RGB", (3000, 1000), (10, 120, 200)).save(buf, format="PNG")
    photo, _ = blobs.put(buf.getvalue())
    shown = _png(previews.cached_page(blobs, photo, 1))
    assert shown.size == (1600, 533)  # scaled to MAX_SIDE
    assert previews.boxed(previews.cached_page(blobs, photo, 1), (1, 1, 5, 5)) is None  # an image has no points
    with pytest.raises(previews.NoPreview):
        previews.cached_page(blobs, photo, 2)
    broken, _ = blobs.put(b"%PDF-1.7\n" + b"\x00garbage" * 100)
    with pytest.raises(previews.NoPreview):
        previews.cached_page(blobs, broken, 1)
    assert not list(tmp_path.rglob(f"{broken}.p*.png"))  # a failure is not cached
    with pytest.raises(previews.NoPreview):
        previews.cached_page(blobs, "0" * 64, 1)  # no such file
    assert previews.parse_box("1,2,3,4") == (1.0, 2.0, 3.0, 4.0)
    assert previews.parse_box("3,2,1,4") is None and previews.parse_box("nan,1,2,3") is None


def test_preview_is_sealed_at_rest_and_erased_with_its_file(tmp_path: Path) -> None:
    """A rendering of a client's letter is a copy of it: encrypted like the file, deleted with it."""
    blobs = BlobStore(tmp_path, key=os.urandom(32))
    pdf = corpus.text_pdf(corpus.DISMISSAL.lines)
    sha, _ = blobs.put(pdf)
    png = previews.cached_page(blobs, sha, 1)
    assert png.startswith(b"\x89PNG")
    (stored,) = tmp_path.rglob(f"{sha}.p1.png")
    assert not stored.read_bytes().startswith(b"\x89PNG")  # sealed on disk
    assert previews.cached_page(blobs, sha, 1) == png  # and opened again from the cache
    assert blobs.delete(sha)
    assert not list(tmp_path.rglob(f"{sha}*"))
