"""A reminder as the client meets it: a real mail through SMTP (aiosmtpd), in the invitation's thread."""

from __future__ import annotations

from pathlib import Path

import pytest
import time_machine

from agent.reminders.job import Reminders
from tests.agent.reminders.test_reminders import berlin
from tests.channels.email import harness as h
from tests.fakes.dovecot import dovecot, dovecot_server  # noqa: F401 - fixtures
from tests.fakes.smtp_server import smtp_server  # noqa: F401 - fixture

pytestmark = pytest.mark.slow

CLIENT = "max@example.org"


def test_the_reminder_mail_threads_under_the_invitation(tmp_path: Path, dovecot, smtp_server) -> None:  # noqa: ANN001, F811
    with time_machine.travel(berlin(11, 2), tick=False) as clock:
        service = h.make_service(tmp_path / "var", dovecot, smtp_server)
        try:
            h.wire(service)
            service.create_request(client_name="Max Mustermann", client_email=CLIENT, questionnaires=["kuendigung"],
                                   uploads=["Arbeitsvertrag"], send=True)
            service.outbox.deliver_pending()
            [invitation] = h.to(smtp_server, CLIENT)
            clock.move_to(berlin(11, 4, 11))
            assert Reminders(service).run() == 1
            service.outbox.deliver_pending()
            invitation_again, reminder = h.to(smtp_server, CLIENT)
        finally:
            service.close()
    assert invitation_again["Message-ID"] == invitation["Message-ID"]
    assert reminder["In-Reply-To"] == invitation["Message-ID"]
    assert reminder["Subject"].startswith("Re: ") and reminder["Auto-Submitted"] == "auto-generated"
    body = reminder.get_body(("plain",)).get_content()
    assert "offene Fragen" in body and "Hochladen: Arbeitsvertrag" in body and "http://127.0.0.1:8000/c/" in body
    assert "keine Erinnerungen" in body
