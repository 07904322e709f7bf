"""What a reminder is about and where it goes: the open items of a request and the client's channel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.questionnaire.engine import progress
from agent.reminders.texts import t
from agent.store import models as m

if TYPE_CHECKING:
    from agent.service import Mandat

# Channels a client can be reached in without having the page open; the web chat is not one of them.
REACHABLE = ("email", "telegram")


@dataclass(frozen=True)
class Missing:
    open_questions: int = 0
    uploads: list[str] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)
    confirming: bool = False

    @property
    def anything(self) -> bool:
        return bool(self.open_questions or self.uploads or self.signatures or self.confirming)


def what_is_missing(service: Mandat, s: Session, req: m.Request) -> Missing:
    snap = service._snapshot(s, req)  # the same view the conversation has of the request
    open_questions, uploads, signatures = 0, [], []
    for item in snap.items:
        if item.status != "open":
            continue
        if item.kind == "questionnaire":
            answered, total = progress(service.questionnaire(item.ref, item.version), snap.values(item.id),
                                       snap.skipped(item.id))
            open_questions += max(total - answered, 0)
        elif item.kind == "upload":
            uploads.append(item.ref)
        elif item.kind == "sign":
            title = service.ports.sign_title(item, req.lang) if service.ports.sign_title else None
            signatures.append(title or item.ref)
    return Missing(open_questions, uploads, signatures, confirming=req.status == "confirming")


def contact(s: Session, req: m.Request,
            reachable: Callable[[str], bool] = lambda _channel: True) -> tuple[str, str] | None:
    """Where the client last wrote from, if a reminder can reach them there; else e-mail, then Telegram."""
    last = s.execute(select(m.InboundRecord.channel, m.InboundRecord.sender)
                     .where(m.InboundRecord.request_id == req.id,
                            m.InboundRecord.status.notin_(("quarantined", "rejected", "ignored")))
                     .order_by(m.InboundRecord.id.desc()).limit(1)).first()
    if last is not None and last[0] in REACHABLE and last[1] and reachable(last[0]):
        return last[0], last[1]
    if req.client.email and reachable("email"):
        return "email", req.client.email
    if req.client.telegram_chat_id and reachable("telegram"):
        return "telegram", req.client.telegram_chat_id
    return None


def compose(*, lang: str, client_name: str, firm_name: str, missing: Missing, link: str | None) -> str:
    lines = [t("greeting", lang, name=client_name), "", t("intro", lang, firm=firm_name)]
    if missing.open_questions == 1:
        lines.append("- " + t("questions_one", lang))
    elif missing.open_questions:
        lines.append("- " + t("questions_many", lang, count=missing.open_questions))
    lines += ["- " + t("upload", lang, label=label) for label in missing.uploads]
    lines += ["- " + t("sign", lang, title=title) for title in missing.signatures]
    if missing.confirming and not missing.open_questions:
        lines.append("- " + t("confirm", lang))
    lines.append("")
    if link:
        lines.append(t("link", lang, link=link))
    lines += [t("reply_here", lang), "", t("stop_hint", lang), "", t("signature", lang, firm=firm_name)]
    return "\n".join(lines)
