"""SIGKILL the agent mid-conversation, restart, continue: no answer lost, no reply sent twice."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agent.config import load_settings
from agent.service import Mandat
from agent.store import models as m
from tests.agent.scripts import KUENDIGUNG_DE
from tests.conftest import DEMO_FIRM

pytestmark = pytest.mark.slow


def _chat(data_dir: Path, lines: list[str], *, request: str | None = None, crash_at: str | None = None,
          crash_after: int = 0) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANDAT_")}
    env.update(MANDAT_DATA_DIR=str(data_dir), MANDAT_FIRM_DIR=str(DEMO_FIRM))
    if crash_at:
        env.update(MANDAT_CRASH_AT=crash_at, MANDAT_CRASH_AFTER=str(crash_after))
    cmd = [sys.executable, "-m", "agent.cli", "chat", "--questionnaire", "kuendigung", "--lang", "de"]
    if request:
        cmd += ["--request", request]
    return subprocess.run(cmd, input="\n".join(lines) + "\n", capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize("crash_at", ["after_store", "before_commit", "after_commit"])
def test_sigkill_then_restart_keeps_answers_and_replies_once(tmp_path: Path, crash_at: str) -> None:
    data = tmp_path / "var"
    first = _chat(data, KUENDIGUNG_DE, crash_at=crash_at, crash_after=3)
    assert first.returncode == -signal.SIGKILL, first.stderr
    request_id = re.search(r"# request (\w+)", first.stdout).group(1)
    # Messages 1–3 went through; the 4th ("Musterstraße …") was killed somewhere between arrival and reply.
    assert "Frage 5 von" not in first.stdout
    second = _chat(data, KUENDIGUNG_DE[4:], request=request_id)
    assert second.returncode == 0, second.stderr
    transcript = first.stdout + second.stdout
    for n in range(1, 20):
        assert transcript.count(f"Frage {n} von") == 1, f"question {n} asked {transcript.count(f'Frage {n} von')}×"
    assert "bestätigt" in second.stdout
    service = Mandat(load_settings(data_dir=data, firm_dir=DEMO_FIRM))
    try:
        summary = service.request_summary(request_id)
        assert summary["status"] == "complete"
        answers = {a["field"]: a["value"] for a in summary["answers"]}
        assert answers["address"]["city"] == "Berlin", "the message in flight at the crash was not lost"
        assert answers["birth_date"] == "1980-04-03"
        with service.db.read() as s:
            inbound = s.scalar(select(func.count(m.InboundRecord.id)).where(m.InboundRecord.request_id == request_id))
            unsent = s.scalar(select(func.count(m.OutboxRow.id)).where(m.OutboxRow.status != "sent"))
        assert inbound == len(KUENDIGUNG_DE)
        assert unsent == 0
    finally:
        service.close()


def test_crash_after_send_redelivers_with_the_same_message_id(tmp_path: Path) -> None:
    """Between sending and marking sent the outbox cannot know; it resends under the same id."""
    settings = load_settings(data_dir=tmp_path / "var", firm_dir=DEMO_FIRM)
    service = Mandat(settings)
    service.setup()
    created = service.create_request(client_name="Max", client_email=None, questionnaires=["kuendigung"],
                                     channel="terminal")
    with service.db.write() as s:  # what a crash after sending leaves behind
        s.execute(m.OutboxRow.__table__.update().where(m.OutboxRow.request_id == created.id)
                  .values(status="sending", attempts=1))
    seen: list[str] = []
    service.outbox.register("terminal", lambda msg: seen.append(msg.message_id))
    service.outbox.deliver_pending()
    service.outbox.deliver_pending()
    assert seen and len(seen) == len(set(seen)), "each row delivered once per recovery, always under its own id"
    assert all(i.startswith(f"{created.id}.open.") for i in seen)
    service.close()
