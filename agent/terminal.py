"""The terminal chat: the agent on stdin/stdout, for trying it out and for scripts."""

from __future__ import annotations

import uuid
from typing import TextIO

from sqlalchemy import func, select

from agent.messages import InboundMessage, OutboundMessage
from agent.service import Mandat
from agent.store import models as m


def run_terminal_chat(service: Mandat, *, questionnaire: str, lang: str, name: str, request_id: str | None,
                      stdin: TextIO, stdout: TextIO) -> int:
    def show(message: OutboundMessage) -> None:
        for line in message.text.splitlines() or [""]:
            stdout.write(f"{line}\n")
        if message.link and not message.link.startswith("sign:"):
            stdout.write(f"  → {message.link}\n")
        if message.quick_replies:
            stdout.write("  " + " ".join(f"[{q}]" for q in message.quick_replies) + "\n")
        stdout.flush()

    service.outbox.register("terminal", show)
    if request_id is None:
        created = service.create_request(client_name=name, client_email=None, lang=lang,
                                         questionnaires=[questionnaire], channel="terminal")
        request_id = created.id
        stdout.write(f"# request {request_id}\n")
    else:
        service.recover()
    service.outbox.deliver_pending(channel="terminal")
    session_tag = uuid.uuid4().hex[:8]
    with service.db.read() as s:
        seen = s.scalar(select(func.count(m.InboundRecord.id)).where(m.InboundRecord.request_id == request_id)) or 0
    for n, line in enumerate(stdin, start=seen + 1):
        result = service.receive(InboundMessage(
            channel="terminal", sender="terminal", text=line.rstrip("\n"), request_id=request_id,
            external_id=f"terminal:{request_id}:{n}:{session_tag}",
        ))
        service.outbox.deliver_pending(channel="terminal")
        if result.status == "complete":
            return 0
    return 0
