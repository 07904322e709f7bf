from __future__ import annotations

import itertools

from agent.messages import Attachment, InboundMessage, TurnResult
from agent.service import Mandat

_counter = itertools.count(1)


def say(service: Mandat, request_id: str, text: str, *, channel: str = "webchat", sender: str = "link:test",
        attachments: tuple[Attachment, ...] = (), external_id: str | None = None) -> TurnResult:
    return service.receive(InboundMessage(
        channel=channel, sender=sender, text=text, request_id=request_id, attachments=attachments,  # type: ignore[arg-type]
        external_id=external_id or f"test-{next(_counter)}",
    ))


def texts(result: TurnResult) -> str:
    return "\n".join(r.text for r in result.replies)
