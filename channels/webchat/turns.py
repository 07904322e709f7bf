"""One chat turn: the page's message (or upload) into `Mandat.receive`, its result into the page's JSON."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from agent.messages import Attachment, InboundMessage, TurnResult
from agent.page_views import LinkView
from agent.pages import Refused
from agent.service import Mandat, RequestError
from channels.webchat.texts import GONE

STATUSES = ("open", "confirming", "complete")


async def run_turn(service: Mandat, link: LinkView, text: str, client_id: str | None,
                   attachments: tuple[Attachment, ...] = ()) -> TurnResult:
    """The page's id makes a retried POST the same message (processed once); without one, a fresh id."""
    msg = InboundMessage(channel="webchat", sender=f"link:{link.link_id}", request_id=link.request_id,
                         text=text, external_id=f"{link.link_id}:{client_id or uuid.uuid4().hex}",
                         attachments=attachments)
    try:
        return await run_in_threadpool(service.receive, msg)
    except RequestError:
        raise Refused(JSONResponse({"error": "link_invalid", "message": GONE[link.lang][0]},
                                   status_code=410)) from None


async def turn_json(service: Mandat, result: TurnResult, link: LinkView, *, documents: bool = False) -> dict[str, Any]:
    progress: dict[str, int] = {"answered": result.progress[0], "total": result.progress[1]}
    status = result.status
    if status not in STATUSES:  # a retried message: the stored replies, but today's state
        now = await run_in_threadpool(service.chat_progress, link.request_id)
        progress, status = now.json(), now.status
    body: dict[str, Any] = {
        "replies": [{"id": r.message_id, "text": r.text, "quick_replies": list(r.quick_replies),
                     "link": r.link} for r in result.replies],
        "progress": progress,
        "status": status,
    }
    if documents:
        body["documents"] = [dict(d) for d in result.documents]
    return body
