"""A client completes the German dismissal questionnaire in Chromium: desktop and phone (touch)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.agent.scripts import KUENDIGUNG_DE
from tests.channels.webchat.conftest import ARTIFACTS, ChatServer
from tests.channels.webchat.test_api import small_pdf

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
RELOAD_AFTER = 10


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: apt-get install -y chromium (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


class Watch:
    """Every request the page makes, console errors and dialogs (an executed <script> would open one)."""

    def __init__(self, page: Any) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("request", lambda r: self.requests.append((r.url, r.headers)))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

        def dialog(d: Any) -> None:
            self.dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", dialog)


def agent_count(page: Any) -> int:
    return page.locator("#messages .msg.agent").count()


def wait_idle(page: Any, before: int) -> None:
    page.wait_for_function(
        "n => document.querySelectorAll('#messages .msg.agent').length > n"
        " && document.getElementById('chat').getAttribute('aria-busy') !== 'true'", arg=before, timeout=15_000)


def pick_button(answer: str, buttons: list[str]) -> int | None:
    if not buttons:
        return None
    if answer.isdigit() and 1 <= int(answer) <= len(buttons):
        return int(answer) - 1
    low = answer.casefold()
    for n, text in enumerate(buttons):
        if text.casefold() == low:
            return n
    for n, text in enumerate(buttons):
        if low in text.casefold():
            return n
    return None


def answer(page: Any, text: str, *, touch: bool) -> str:
    """Answers with a quick-reply button where one fits, else types; returns how it answered."""
    before = agent_count(page)
    buttons = page.locator("#quick button")
    n = pick_button(text, buttons.all_inner_texts())
    if n is not None:
        button = buttons.nth(n)
        button.tap() if touch else button.click()
        how = "button"
    else:
        box = page.get_by_label("Ihre Nachricht")
        box.fill(text)
        if touch:
            page.locator("#send").tap()
        else:
            box.press("Enter")
        how = "typed"
    wait_idle(page, before)
    return how


def run_client(chat: ChatServer, browser: Any, *, phone: bool, shots: str) -> None:
    url, token, request_id = chat.new_request("de")
    ARTIFACTS.mkdir(exist_ok=True)
    options: dict[str, Any] = {"locale": "de-DE"}
    if phone:
        options.update(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True,
                       device_scale_factor=2)
    context = browser.new_context(**options)
    page = context.new_page()
    watch = Watch(page)
    try:
        page.goto(url)
        page.wait_for_selector("#messages .msg.agent")
        page.wait_for_function("document.getElementById('progress-text').textContent.startsWith('Frage 1 von')")
        assert page.title().startswith("Ihre Anfrage")
        page.screenshot(path=str(ARTIFACTS / f"{shots}-1-start.png"), full_page=True)
        hows = []
        for n, text in enumerate(KUENDIGUNG_DE):
            if n == RELOAD_AFTER:
                shown = agent_count(page)
                page.reload()
                page.wait_for_function("n => document.querySelectorAll('#messages .msg.agent').length >= n",
                                       arg=shown)
                assert agent_count(page) == shown
                assert page.locator("#messages .msg.client").count() == RELOAD_AFTER
                progress = page.locator("#progress-text").inner_text()
                assert progress.startswith(f"Frage {RELOAD_AFTER + 1} von"), progress
                page.screenshot(path=str(ARTIFACTS / f"{shots}-2-reloaded.png"), full_page=True)
            hows.append(answer(page, text, touch=phone))
        assert "button" in hows and "typed" in hows
        last = page.locator("#messages .msg.agent").last.inner_text()
        assert "Kündigungsschreiben" in last
        pdf = ARTIFACTS / f"{shots}-kuendigung.pdf"
        pdf.write_bytes(small_pdf())
        before = agent_count(page)
        page.set_input_files("#file", str(pdf))
        wait_idle(page, before)
        page.wait_for_selector("#done:not([hidden])")
        assert page.locator("#progress-text").inner_text() == "Alle Fragen erledigt"
        assert page.locator("#messages .msg.client").last.inner_text().endswith(pdf.name)
        page.screenshot(path=str(ARTIFACTS / f"{shots}-3-complete.png"), full_page=True)
        summary = chat.service.request_summary(request_id)
        assert summary is not None and summary["status"] == "complete" and len(summary["documents"]) == 1
        if phone:  # nothing wider than the phone's screen
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()
    origin = chat.base
    for req_url, headers in watch.requests:
        assert req_url.startswith(origin + "/"), req_url
        path = urlsplit(req_url).path
        if token in req_url:
            assert path == f"/c/{token}" or path.startswith(f"/c/{token}/"), req_url
        referer = {k.lower(): v for k, v in headers.items()}.get("referer", "")
        assert referer == "", (req_url, referer)  # no-referrer: the token never travels in a Referer
    assert not [e for e in watch.errors if "Content Security Policy" in e or "Refused" in e], watch.errors
    assert watch.dialogs == []


def test_desktop_client_completes_the_dismissal_questionnaire(chat: ChatServer, browser: Any) -> None:
    run_client(chat, browser, phone=False, shots="webchat-desktop")


def test_phone_client_completes_the_dismissal_questionnaire(chat: ChatServer, browser: Any) -> None:
    run_client(chat, browser, phone=True, shots="webchat-phone")


def test_script_message_is_shown_as_text_and_keyboard_works(chat: ChatServer, browser: Any) -> None:
    url, _, _ = chat.new_request("de")
    evil = "<script>alert('x')</script><img src=x onerror=alert(1)>"
    context = browser.new_context()
    page = context.new_page()
    watch = Watch(page)
    try:
        page.goto(url)
        page.wait_for_selector("#messages .msg.agent")
        # keyboard only: Tab reaches the text box and the buttons, Enter sends
        page.keyboard.press("Tab")
        for _ in range(10):
            if page.evaluate("document.activeElement.id") == "text":
                break
            page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "text"
        before = agent_count(page)
        page.keyboard.type(evil)
        page.keyboard.press("Enter")
        wait_idle(page, before)
        assert page.locator("#messages .msg.client p").last.text_content() == evil
        assert page.locator("#messages script, #messages img").count() == 0
        page.reload()
        page.wait_for_selector("#messages .msg.client")
        assert page.locator("#messages .msg.client p").last.text_content() == evil
        assert page.locator("#messages script, #messages img").count() == 0
        time.sleep(0.2)
        assert watch.dialogs == []
        # focus is visible: the focused control draws an outline
        page.focus("#send")
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "send"
        assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    finally:
        context.close()
