"""Sign-in by e-mailed link: a real SMTP server (aiosmtpd) receives the mail, the test follows the link.
The same answer for known and unknown addresses, GET never spends the link, POST does once, expiry and
reuse are refused, the session is new (no fixation), asking is rate limited."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from agent.app import build_service, create_app
from agent.config import load_settings
from agent.staff import magic
from agent.staff.accounts import set_password
from agent.staff.sessions import COOKIE
from agent.store.models import OutboxRow
from agent.store.staff_tables import StaffLoginLink
from tests.agent.api.server import free_port, running
from tests.agent.staff.conftest import ANNA, JONAS, PASSWORD, csrf_of, staff_context
from tests.agent.staff.test_browser import axe_problems, browser  # noqa: F401 - the Chromium fixture
from tests.fakes.smtp_server import SmtpCapture, running_smtp

LINK = re.compile(r"(http://127\.0\.0\.1:\d+/staff/login/link\?token=[A-Za-z0-9_-]+)")


class Mailed:
    def __init__(self, base: str, smtp: SmtpCapture, app: object, service: object) -> None:
        self.base, self.smtp, self.app, self.service = base, smtp, app, service

    def browser(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=30, follow_redirects=False, headers={"Origin": self.base})

    def ask(self, client: httpx.Client, email: str) -> httpx.Response:
        page = client.get("/staff/login")
        return client.post("/staff/login/mail", data={"email": email, "csrf": csrf_of(page.text)})

    def mails_to(self, address: str) -> list:
        return [msg for msg in self.smtp.messages if address in str(msg["To"])]


@pytest.fixture(scope="module")
def mailed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mailed]:
    with running_smtp() as smtp:
        port = free_port()
        settings = load_settings(data_dir=tmp_path_factory.mktemp("magic"),
                                 firm_dir=Path(__file__).resolve().parents[3] / "examples" / "demo-firm",
                                 public_url=f"http://127.0.0.1:{port}", smtp_host="127.0.0.1", smtp_port=smtp.port,
                                 smtp_tls="none", mail_from="Kanzlei Beispiel <kanzlei@beispiel.example>")
        service = build_service(settings)
        set_password(service.db, ANNA, PASSWORD)
        set_password(service.db, JONAS, PASSWORD, lang="en")
        app = create_app(service)
        try:
            with running(app, port) as base:
                yield Mailed(base, smtp, app, service)
        finally:
            service.close()


@pytest.fixture
def fresh(mailed: Mailed) -> Mailed:
    ctx = staff_context(mailed.app)
    for limiter in (ctx.link_per_address, ctx.link_per_ip):  # type: ignore[attr-defined]
        limiter._hits.clear()
    return mailed


def _wait_for_mail(m: Mailed, address: str, n: int) -> list:
    deadline = datetime.now(UTC) + timedelta(seconds=10)
    while len(m.mails_to(address)) < n and datetime.now(UTC) < deadline:
        m.smtp.wait_for(len(m.smtp.messages) + 1, timeout=10)
    found = m.mails_to(address)
    assert len(found) >= n, f"no sign-in mail for {address}"
    return found


def _text(mail: object) -> str:
    return mail.get_body(("plain",)).get_content()  # type: ignore[attr-defined]


def _wait_for_scrub(m: Mailed, token: str) -> None:
    """The mail went out through the outbox, which keeps no usable link once it has left."""
    deadline = datetime.now(UTC) + timedelta(seconds=10)
    while datetime.now(UTC) < deadline:
        with m.service.db.read() as s:  # type: ignore[attr-defined]
            row = s.scalars(select(OutboxRow).where(
                OutboxRow.message_id == f"staff-login-{hashlib.sha256(token.encode()).hexdigest()[:32]}")).one()
            sent, body = row.status == "sent", str(row.body)
        if sent:
            assert token not in body and "token=[token]" in body
            return
        time.sleep(0.05)
    raise AssertionError("the sent sign-in mail still holds its token in the outbox")


def test_link_by_mail_signs_in_once(fresh: Mailed) -> None:
    with fresh.browser() as web:
        login = web.get("/staff/login").text
        assert 'action="/staff/login/mail"' in login and "Link zusenden" in login
        before = len(fresh.mails_to(ANNA))
        known = fresh.ask(web, ANNA.upper())
        mail = _wait_for_mail(fresh, ANNA, before + 1)[-1]
        assert "Anmeldelink" in mail["Subject"] and mail["To"] == ANNA
        url = LINK.search(_text(mail)).group(1)
        assert "gültig 15 Minuten" in _text(mail)
        _wait_for_scrub(fresh, url.split("token=")[1])

        web.cookies.set(COOKIE, "planted-by-an-attacker", domain="127.0.0.1")
        for _scanner in range(2):  # a mail scanner fetching the link does not spend it
            opened = web.get(url)
            assert opened.status_code == 200 and 'id="link-confirm"' in opened.text
        token = url.split("token=")[1]
        confirm = web.post("/staff/login/link", data={"token": token, "csrf": csrf_of(opened.text)})
        assert confirm.status_code == 303 and confirm.headers["location"] == "/staff"
        session = web.cookies.get(COOKIE)
        assert session and session != "planted-by-an-attacker"
        assert "HttpOnly" in confirm.headers["set-cookie"] and "SameSite=lax" in confirm.headers["set-cookie"]
        assert web.get("/staff").status_code == 200

    with fresh.browser() as other:
        again = other.get(url)
        assert again.status_code == 410 and "abgelaufen oder wurde schon benutzt" in again.text
        page = other.get("/staff/login")
        reused = other.post("/staff/login/link", data={"token": token, "csrf": csrf_of(page.text)})
        assert reused.status_code == 410 and COOKIE not in other.cookies
    with fresh.browser() as stranger:
        unknown = fresh.ask(stranger, "nobody@nowhere.example")
    assert unknown.status_code == known.status_code == 200
    strip = re.compile(r'value="[^"]+"')
    assert strip.sub("", unknown.text) == strip.sub("", known.text)  # no account enumeration
    assert "Falls zu dieser Adresse ein Zugang besteht" in known.text


def test_expired_link_and_forged_confirm_are_refused(fresh: Mailed) -> None:
    issued = magic.issue(fresh.service.db, JONAS, "de")
    assert issued is not None
    token, member = issued
    assert member.lang == "en"
    with fresh.service.db.write() as s:
        s.execute(update(StaffLoginLink).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
                  .where(StaffLoginLink.staff_id == member.id, StaffLoginLink.used_at.is_(None)))
    with fresh.browser() as web:
        assert web.get(f"/staff/login/link?token={token}").status_code == 410
        page = web.get("/staff/login")
        expired = web.post("/staff/login/link", data={"token": token, "csrf": csrf_of(page.text)})
        assert expired.status_code == 410 and COOKIE not in web.cookies
        live, _member = magic.issue(fresh.service.db, JONAS, "de")
        forged = web.post("/staff/login/link", data={"token": live, "csrf": "guessed"})
        assert forged.status_code == 403
        cross = web.post("/staff/login/link", data={"token": live, "csrf": csrf_of(page.text)},
                             headers={"Origin": "https://evil.example"})
        assert cross.status_code == 403
        assert magic.valid(fresh.service.db, live)  # neither refused attempt spent it
    assert magic.consume(fresh.service.db, "x" * 43) is None


def test_asking_for_links_is_rate_limited_and_english_mail(fresh: Mailed) -> None:
    before = len(fresh.mails_to(JONAS))
    with fresh.browser() as web:
        codes = [fresh.ask(web, JONAS).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = fresh.ask(web, JONAS)
        assert limited.status_code == 429 and "Retry-After" in limited.headers
        assert "Zu viele Anfragen nach einem Anmeldelink" in limited.text
    mails = _wait_for_mail(fresh, JONAS, before + 3)
    assert mails[-1]["Subject"] == "Your sign-in link for Kanzlei Beispiel"
    assert "valid for 15 minutes" in _text(mails[-1])


@pytest.mark.slow
def test_link_pages_in_chromium_with_axe(fresh: Mailed, browser: object) -> None:  # noqa: F811
    page = browser.new_context(bypass_csp=True, locale="de-DE").new_page()  # type: ignore[attr-defined]
    try:
        page.goto(f"{fresh.base}/staff/login")
        assert not axe_problems(page), axe_problems(page)
        before = len(fresh.mails_to(ANNA))
        page.fill("#link-email", ANNA)
        page.click("#link-form button[type=submit]")
        assert "Falls zu dieser Adresse ein Zugang besteht" in page.inner_text("p.notice")
        url = LINK.search(_text(_wait_for_mail(fresh, ANNA, before + 1)[-1])).group(1)
        page.goto(url)
        assert not axe_problems(page), axe_problems(page)
        page.click("#link-confirm button[type=submit]")
        page.wait_for_url(f"{fresh.base}/staff")
        assert page.inner_text("#bell-count").strip().isdigit()
        page.goto(url)
        assert "schon benutzt" in page.inner_text("p.error")
        assert not axe_problems(page), axe_problems(page)
    finally:
        page.context.close()
