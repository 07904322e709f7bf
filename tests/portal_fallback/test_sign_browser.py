"""The signing page in Debian's Chromium: mouse on a desktop, a finger on a phone; the sealed result
validates with pyHanko and with poppler's pdfsig, and the ink sits inside the signature box."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from tests.portal_fallback.conftest import ARTIFACTS, Live
from tools.signing import render_pages, verify_pdf

pytestmark = pytest.mark.slow

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
STROKE = [(0.08, 0.7), (0.18, 0.25), (0.3, 0.75), (0.42, 0.3), (0.55, 0.72), (0.7, 0.28), (0.9, 0.6)]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, timeout=30_000)
        try:
            yield b
        finally:
            b.close()


def _blue_ink(img: Image.Image, box: tuple[int, int, int, int]) -> int:
    """Pixels of the signature's ink colour (dark blue) in a region."""
    region = img.convert("RGB").crop(box)
    return sum(1 for r, g, b in region.getdata() if b > r + 25 and b > g + 15 and r < 140)


def _check_result(live: Live, request_id: str, template_id: str, shown_pdf: bytes, tmp: Path, name: str) -> None:
    _doc, pdf = live.signed_document(request_id)
    report = verify_pdf(pdf, trust=[live.flow.key.cert])
    assert report.ok and report.intact and report.valid and report.trusted, report.errors
    assert report.coverage == "ENTIRE_FILE" and report.docmdp_ok and report.certified
    path = tmp / f"{name}.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60)
    assert "Signature is Valid" in out.stdout, out.stdout + out.stderr
    flipped = bytearray(pdf)
    flipped[len(pdf) // 2] ^= 0x01
    assert not verify_pdf(bytes(flipped), trust=[live.flow.key.cert]).ok

    template = live.flow.templates[template_id]
    sig_box = template.signature_boxes[0]
    scale = 1.5
    height = float(PdfReader(io.BytesIO(pdf)).pages[sig_box.page - 1].mediabox.height)
    region = (int(sig_box.x * scale), int((height - sig_box.y - sig_box.height) * scale),
              int((sig_box.x + sig_box.width) * scale), int((height - sig_box.y) * scale))
    signed_page = Image.open(io.BytesIO(render_pages(pdf, scale=scale)[sig_box.page - 1]))
    shown_page = Image.open(io.BytesIO(render_pages(shown_pdf, scale=scale)[sig_box.page - 1]))
    signed_page.crop(region).save(ARTIFACTS / f"{name}-signature-box.png")
    assert _blue_ink(shown_page, region) < 20
    assert _blue_ink(signed_page, region) > 150, "no ink inside the signature box"
    assert len(PdfReader(io.BytesIO(pdf)).pages) == len(PdfReader(io.BytesIO(shown_pdf)).pages) + 1  # audit page


def test_sign_with_the_mouse_on_a_desktop(live: Live, browser, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    request_id, url = live.create("vollmacht")
    shown = live.flow.shown_pdf(live.flow.open(url.rsplit("/", 1)[1]))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(url)
    page.wait_for_function("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
    submit = page.locator("#submit")
    assert submit.is_disabled()
    page.fill('[data-field="ort"]', "Berlin")
    pad = page.locator("#pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box is not None

    def draw(points: list[tuple[float, float]]) -> None:
        page.mouse.move(box["x"] + points[0][0] * box["width"], box["y"] + points[0][1] * box["height"])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=8)
        page.mouse.up()

    draw([(0.5, 0.5), (0.52, 0.5)])  # a dot is not a signature
    assert submit.is_disabled()
    draw(STROKE)
    assert submit.is_enabled()
    page.click("#clear")
    assert submit.is_disabled()
    draw(STROKE)
    page.fill('input[name="typed_name"]', "Erika Mustermann")
    page.click("#submit")  # no consent yet: a message, nothing sent
    assert "Einverständnis" in page.locator("#status").inner_text()
    page.check("#consent")
    page.screenshot(path=str(ARTIFACTS / "sign-desktop-before.png"), full_page=True)
    page.click("#submit")
    page.wait_for_selector(".done", timeout=30_000)
    assert "Vollmacht" in page.locator(".done").inner_text()
    page.screenshot(path=str(ARTIFACTS / "sign-desktop-done.png"), full_page=True)
    context.close()
    assert not errors, errors
    _check_result(live, request_id, "vollmacht", shown, tmp_path, "desktop")
    assert live.http.get(url).status_code == 409  # afterwards: a clean "already signed" page


def test_sign_with_a_finger_on_a_phone(live: Live, browser, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    request_id, url = live.create("datenschutz", lang="en")
    shown = live.flow.shown_pdf(live.flow.open(url.rsplit("/", 1)[1]))
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=3, has_touch=True,
                                  is_mobile=True)
    page = context.new_page()
    page.goto(url)
    page.wait_for_function("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    page.evaluate("window.__types = []; document.getElementById('pad').addEventListener('pointerdown',"
                  " e => window.__types.push(e.pointerType))")
    page.fill('[data-field="ort"]', "Leeds")
    pad = page.locator("#pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 844
    cdp = context.new_cdp_session(page)

    def touch(kind: str, x: float, y: float) -> None:
        points = [] if kind == "touchEnd" else [{"x": box["x"] + x * box["width"], "y": box["y"] + y * box["height"],
                                                 "id": 1, "radiusX": 4, "radiusY": 4, "force": 0.5}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", *STROKE[0])
    for (x0, y0), (x1, y1) in zip(STROKE, STROKE[1:], strict=False):
        for step in range(1, 9):
            touch("touchMove", x0 + (x1 - x0) * step / 8, y0 + (y1 - y0) * step / 8)
    touch("touchEnd", 0, 0)
    page.wait_for_timeout(400)  # a finger lifts, then moves on: a tap right after would read as a double tap
    assert page.evaluate("window.__types") == ["touch"]
    page.wait_for_function("!document.getElementById('submit').disabled")
    consent = page.locator("label.check", has=page.locator("#consent"))
    consent.scroll_into_view_if_needed()
    consent.locator("span").tap()
    assert page.locator("#consent").is_checked()
    assert "Clear and sign again" in page.locator("#clear").inner_text()
    page.screenshot(path=str(ARTIFACTS / "sign-phone-before.png"), full_page=True)
    page.locator("#submit").tap()
    page.wait_for_selector(".done, #status.error", timeout=30_000)
    assert page.locator(".done").count() == 1, page.locator("#status").inner_text()
    assert "Privacy notice" in page.locator(".done").inner_text()
    page.screenshot(path=str(ARTIFACTS / "sign-phone-done.png"), full_page=True)
    context.close()
    _check_result(live, request_id, "datenschutz", shown, tmp_path, "phone")


def test_sign_with_the_keyboard_only(live: Live, browser, tmp_path: Path) -> None:
    """No pointer at all: the typed name becomes the signature image."""
    request_id, url = live.create("datenschutz")
    context = browser.new_context(viewport={"width": 1024, "height": 800})
    page = context.new_page()
    page.goto(url)
    page.focus('[data-field="ort"]')
    page.keyboard.type("Hamburg")
    page.focus("#use-typed")
    page.keyboard.press("Enter")
    assert "Namen" in page.locator("#status").inner_text()  # nothing typed yet
    page.focus("#typed")
    page.keyboard.type("Erika Mustermann")
    page.focus("#use-typed")
    page.keyboard.press("Enter")
    assert page.locator("#submit").is_enabled()
    page.focus("#consent")
    page.keyboard.press("Space")
    page.focus("#submit")
    page.keyboard.press("Enter")
    page.wait_for_selector(".done, #status.error", timeout=30_000)
    assert page.locator(".done").count() == 1, page.locator("#status").inner_text()
    page.screenshot(path=str(ARTIFACTS / "sign-keyboard-done.png"))
    context.close()
    _doc, pdf = live.signed_document(request_id)
    assert verify_pdf(pdf, trust=[live.flow.key.cert]).ok


def test_the_chat_button_opens_the_signing_page(live: Live, browser) -> None:  # noqa: ANN001
    created = live.service.create_request(client_name="Erika Mustermann", client_email=None, lang="de",
                                          sign=["datenschutz"])
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(created.links["chat"])
        page.get_by_role("button", name="Jetzt unterschreiben").click()
        page.wait_for_url(f"{live.base}/s/**", timeout=15_000)
        assert page.locator("canvas").count() == 1
        page.screenshot(path=str(ARTIFACTS / "chat-sign-button.png"), full_page=True)
    finally:
        context.close()
