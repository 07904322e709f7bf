"""The staff workspace in Chromium, next to a client in the web chat: sign in, red dot and bell when the
client uploads, the detail with answer, source and document fact, a reply that arrives in the chat,
a request from a template, the brand colour on the chat page, and axe-core on every staff page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent.staff.branding import save_branding
from tests.agent.staff.conftest import ANNA, PASSWORD, REPO, Staffed
from tests.tools import corpus

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
AXE = REPO / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: apt-get install -y chromium (make test installs it)")
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `make js-deps` (npm ci in tests/js)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def axe_problems(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       targets: v.nodes.map(n => n.target.join(' '))}));
    }""")
    return [v for v in found if v["impact"] in ("serious", "critical")]


def staff_page(browser: Any, staff: Staffed, *, phone: bool = False) -> Any:
    # bypass_csp only so the test can inject axe-core; the app's CSP is asserted in test_security.
    options: dict[str, Any] = {"bypass_csp": True, "locale": "de-DE"}
    if phone:
        options.update(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    else:
        options.update(viewport={"width": 1280, "height": 900})
    page = browser.new_context(**options).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors
    page.goto(f"{staff.base}/staff")
    assert page.url.endswith("/staff/login")
    assert not axe_problems(page), axe_problems(page)
    page.fill("#email", ANNA)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{staff.base}/staff")
    page.evaluate("document.getElementById('bell').setAttribute('data-every', '500')")
    return page


def bell(page: Any) -> int:
    return int(page.inner_text("#bell-count"))


def test_red_dot_bell_detail_and_reply_next_to_the_client(browser: Any, staff: Staffed) -> None:
    made = staff.service.create_request(client_name="Thomas Becker", client_email="thomas@example.org", lang="de",
                                        questionnaires=["kuendigung"], uploads=["Kündigungsschreiben"],
                                        staff_email=ANNA)
    chat_url = made.links["chat"]
    page = staff_page(browser, staff)
    page.reload()  # the bell polls every 5 s; the test's own page asks more often
    page.evaluate("document.getElementById('bell').setAttribute('data-every', '500')")
    before = bell(page)
    assert page.get_attribute(f'li[data-id="{made.id}"]', "data-unseen") == "false"
    with httpx.Client(timeout=60) as client:  # the client, through the web chat's API
        assert client.post(f"{chat_url}/messages", json={"text": "Thomas"}).status_code == 200
        pdf = corpus.text_pdf(corpus.DISMISSAL.lines)
        up = client.post(f"{chat_url}/uploads", files={"file": ("kuendigung.pdf", pdf, "application/pdf")})
        assert up.status_code == 200, up.text
    page.wait_for_function("n => parseInt(document.getElementById('bell-count').textContent) > n", arg=before,
                           timeout=20_000)  # the bell goes up without a reload
    page.reload()
    row = page.locator(f'li[data-id="{made.id}"]')
    assert row.get_attribute("data-unseen") == "true"
    assert row.locator(".dot").is_visible()
    assert not axe_problems(page), axe_problems(page)
    page.screenshot(path=str(ARTIFACTS / "staff-list.png"), full_page=False)
    row.locator("a.row-link").click()
    page.wait_for_url(f"**/staff/requests/{made.id}")
    answer = page.locator('tr[data-field="first_name"]')
    assert answer.locator("td.value").inner_text() == "Thomas"
    assert "Nachricht msg:" in answer.locator("td.source").inner_text()
    assert page.locator(".doc .filename").first.inner_text() == "kuendigung.pdf"
    assert "fällig am 2025-04-04" in page.locator(".deadline mark").first.inner_text()
    assert "3250.00" in page.locator(".facts").first.inner_text()
    assert bell(page) == before  # opening the request marked it seen: the bell goes down
    assert not axe_problems(page), axe_problems(page)
    page.screenshot(path=str(ARTIFACTS / "staff-detail.png"), full_page=True)
    chat = browser.new_context().new_page()
    chat.goto(chat_url)
    chat.wait_for_selector("#messages .msg.agent")
    page.fill("#reply-text", "Wir melden uns morgen telefonisch.")
    page.click("#reply-form button[type=submit]")
    page.wait_for_selector("p.notice")
    assert "Ihre Antwort ist unterwegs." in page.inner_text("p.notice")
    chat.wait_for_function("() => document.getElementById('messages').innerText.includes('Wir melden uns morgen')",
                           timeout=15_000)
    assert "Dr. Anna Beispiel (Kanzlei Beispiel):" in chat.inner_text("#messages")
    assert not page.errors
    chat.context.close()
    page.context.close()


def test_phone_layout_of_the_list_and_detail(browser: Any, staff: Staffed) -> None:
    rid = staff.create("Handy Nutzerin")
    page = staff_page(browser, staff, phone=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.click("#bell-button")
    assert page.is_visible("#bell-list")
    page.goto(f"{staff.base}/staff/requests/{rid}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert not axe_problems(page), axe_problems(page)
    page.context.close()


def test_create_from_a_template_with_its_default_items(browser: Any, staff: Staffed) -> None:
    page = staff_page(browser, staff)
    page.click("text=Neue Anfrage")
    page.select_option("#template", "invitation")
    page.click("#load-template")
    assert page.is_checked('input[name=questionnaire][value=kuendigung]')
    assert page.is_checked('input[name=sign][value=vollmacht]')
    assert "Arbeitsvertrag" in page.input_value("#uploads")
    assert not axe_problems(page), axe_problems(page)
    page.fill("#client_name", "Tina Template")
    page.uncheck('input[name=sign][value=verguetungsvereinbarung]')
    page.click("#preview-button")
    assert "Guten Tag Tina Template" in page.inner_text("#preview-text")
    assert not axe_problems(page), axe_problems(page)
    page.click("#create-button")
    page.wait_for_selector("#created-link")
    page.click("#created-link")
    items = page.inner_text("ul.items")
    assert "questionnaire: kuendigung" in items and "sign: vollmacht" in items
    assert "verguetungsvereinbarung" not in items and "upload: Arbeitsvertrag" in items
    page.context.close()


def test_brand_colour_changed_in_settings_shows_on_the_chat_page(browser: Any, staff: Staffed) -> None:
    made = staff.service.create_request(client_name="Bruno Brand", client_email=None, lang="de",
                                        questionnaires=["kuendigung"], staff_email=ANNA)
    page = staff_page(browser, staff)
    page.click("text=Einstellungen")
    assert not axe_problems(page), axe_problems(page)
    page.fill("#colour", "#ffcc00")
    page.click("#save-settings")
    assert "4,5:1" in page.inner_text("p.error")
    page.fill("#colour", "#7a1f3d")
    page.click("#save-settings")
    assert "Gespeichert" in page.inner_text("p.notice")
    chat = browser.new_context().new_page()
    try:
        chat.goto(made.links["chat"])
        colour = chat.evaluate("getComputedStyle(document.querySelector('header.brand')).backgroundColor")
        assert colour == "rgb(122, 31, 61)"
        assert page.evaluate("getComputedStyle(document.querySelector('header.top'))"
                                                   ".backgroundColor") == "rgb(122, 31, 61)"
    finally:
        save_branding(staff.service.db, staff.service.firm.id, colour="#1f4e79")
        chat.context.close()
        page.context.close()


def test_template_default_items_edited_in_settings_preselect_a_new_request(browser: Any, staff: Staffed) -> None:
    from agent.staff import template_defaults

    page = staff_page(browser, staff)
    try:
        page.click("text=Einstellungen")
        form = page.locator("form.template-defaults[data-template=invitation]")
        assert "Wie im Kanzleiordner" in form.inner_text()
        form.locator("input[name=questionnaire][value=verkehrsunfall]").check()
        form.locator("input[name=questionnaire][value=kuendigung]").uncheck()
        form.locator("input[name=sign][value=verguetungsvereinbarung]").uncheck()
        form.locator("textarea[name=uploads]").fill("Lohnabrechnung | Payslip\nArbeitsvertrag | Employment contract")
        form.locator("button[value=save]").click()
        assert "sind gespeichert" in page.inner_text("p.notice")
        form = page.locator("form.template-defaults[data-template=invitation]")
        assert "In Mandat geändert" in form.inner_text()
        assert form.locator("input[name=questionnaire][value=verkehrsunfall]").is_checked()
        assert not axe_problems(page), axe_problems(page)

        page.click("text=Neue Anfrage")
        page.select_option("#template", "invitation")
        page.click("#load-template")
        assert page.is_checked("input[name=questionnaire][value=verkehrsunfall]")
        assert not page.is_checked("input[name=questionnaire][value=kuendigung]")
        assert page.is_checked("input[name=sign][value=vollmacht]")
        assert not page.is_checked("input[name=sign][value=verguetungsvereinbarung]")
        assert page.input_value("#uploads").splitlines() == ["Lohnabrechnung", "Arbeitsvertrag"]
        assert not axe_problems(page), axe_problems(page)

        page.click("text=Einstellungen")
        page.locator("form.template-defaults[data-template=invitation] button[value=reset]").click()
        assert "wieder die Bestandteile aus dem Kanzleiordner" in page.inner_text("p.notice")
        page.click("text=Neue Anfrage")
        page.select_option("#template", "invitation")
        page.click("#load-template")
        assert page.is_checked("input[name=questionnaire][value=kuendigung]")
        assert "Kündigungsschreiben" in page.input_value("#uploads")
    finally:
        template_defaults.reset(staff.service.db, staff.service.firm.id, "invitation")
        page.context.close()
