"""Screenshots of the staff list and detail for the README: a temp firm with a few requests, Chromium.

Run: .venv/bin/python scripts/staff_screenshots.py  (writes docs/staff-list.png and docs/staff-detail.png)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from agent.app import build_service, create_app  # noqa: E402
from agent.config import load_settings  # noqa: E402
from agent.messages import Attachment, InboundMessage  # noqa: E402
from agent.staff.accounts import set_password  # noqa: E402
from tests.agent.api.server import free_port, running  # noqa: E402
from tests.tools import corpus  # noqa: E402

ANNA, PASSWORD = "anna.beispiel@beispiel.example", "screenshot password"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


def say(service, rid: str, text: str, n: int, attachments: tuple = ()) -> None:  # noqa: ANN001
    service.receive(InboundMessage(channel="webchat", sender=f"link:{rid}", text=text, request_id=rid,
                                   external_id=f"shot-{rid}-{n}", attachments=attachments))


def main() -> int:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        settings = load_settings(data_dir=Path(tmp), firm_dir=REPO / "examples" / "demo-firm",
                                 public_url=f"http://127.0.0.1:{port}")
        service = build_service(settings)
        set_password(service.db, ANNA, PASSWORD)
        rids = []
        for name, staff in (("Maria Schneider", "jonas.muster@beispiel.example"), ("Jan Kowalski", ANNA),
                            ("Aylin Demir", ANNA), ("Thomas Becker", ANNA)):
            rids.append(service.create_request(client_name=name, client_email=None, questionnaires=["kuendigung"],
                                               uploads=["Kündigungsschreiben"], sign=["vollmacht"],
                                               staff_email=staff).id)
        say(service, rids[1], "Jan", 1)
        say(service, rids[2], "Aylin", 1)
        say(service, rids[2], "Demir", 2)
        say(service, rids[3], "Thomas", 1)
        say(service, rids[3], "", 2, (Attachment("kuendigung.pdf", corpus.text_pdf(corpus.DISMISSAL.lines),
                                                 "application/pdf"),))
        app = create_app(service)
        with running(app, port) as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 640})
            page.goto(f"{base}/staff/login")
            page.fill("#email", ANNA)
            page.fill("#password", PASSWORD)
            page.click("button.primary")
            page.wait_for_url(f"{base}/staff")
            page.screenshot(path=str(REPO / "docs" / "staff-list.png"))
            page.set_viewport_size({"width": 1280, "height": 1100})
            page.goto(f"{base}/staff/requests/{rids[3]}")
            page.screenshot(path=str(REPO / "docs" / "staff-detail.png"))
            browser.close()
        service.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
