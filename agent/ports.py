"""What the service needs from outside its own modules, handed to it once, at construction.

``Mandat`` never learns who answers FAQ questions, makes signing links or sends invitations: the
composition root (agent/app.py for the server, agent/cli.py for commands) builds those parts and gives
the service one frozen ``Ports``. Nothing is assigned to the service afterwards.

Most parts need the service themselves (a channel reads requests through it, signing writes links in
its database). For them the root passes a ``PortsFactory`` instead: ``Mandat`` calls it exactly once,
as the last step of its own constructor, with itself — so the circle "service needs channel, channel
needs service" is closed inside construction, and the result is frozen like any other ``Ports``.
A factory must not touch the database (the schema is made later, in ``setup``).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from agent.conversation.snapshot import ItemView
    from agent.service import Mandat
    from agent.store import models as m
    from agent.views import OutboxDraft, RequestView

# (session, request, sign item) -> (title, url) of a fresh signing link, inside the caller's transaction
SignLink = Callable[["Session", "m.Request", "ItemView"], "tuple[str, str] | None"]
SignTitle = Callable[["ItemView", str], str]  # (sign item, language) -> the document's title
AnswerFaq = Callable[[str, str, str], "str | None"]  # (question, language, request id) -> answer text
# Invitation senders get the new request and its links by name, and answer with the messages to queue:
# the service writes them in the creating transaction, so they commit with the request or not at all.
InvitationSender = Callable[["RequestView", Mapping[str, str]], "Iterable[OutboxDraft] | None"]
LinkIssuer = Callable[[str, int], str]  # (purpose, days valid) -> token of a new link of the request
# Extra personal links (e.g. a Telegram deep link), issued inside the creating transaction.
LinkMaker = Callable[["RequestView", LinkIssuer], dict[str, str]]
AfterCommit = Callable[[str], None]  # request id, after a turn or a signature committed
DocumentAnalysed = Callable[[str, str, dict[str, Any]], None]  # (request id, document id, analysis JSON)


@dataclass(frozen=True)
class Knowledge:
    """The FAQ/document search's state the outside may wait on (tests, the CLI's first answer)."""

    ready: threading.Event  # set once the FAQ is indexed
    jobs: queue.Queue[Any]  # the document-indexing queue; ``join()`` waits until every upload is searchable


@dataclass(frozen=True)
class Ports:
    sign_link: SignLink | None = None
    sign_title: SignTitle | None = None
    answer_faq: AnswerFaq | None = None
    knowledge: Knowledge | None = None
    on_created: tuple[InvitationSender, ...] = ()
    link_makers: tuple[LinkMaker, ...] = ()
    after_commit: tuple[AfterCommit, ...] = ()
    on_document_analysed: tuple[DocumentAnalysed, ...] = ()

    def plus(self, other: Ports) -> Ports:
        """Both parts' hooks; a single-valued port set by both is a wiring mistake, not a choice."""
        values: dict[str, Any] = {}
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, tuple):
                values[f.name] = mine + theirs
            elif mine is not None and theirs is not None:
                raise ValueError(f"port {f.name!r} is wired twice")
            else:
                values[f.name] = theirs if mine is None else mine
        return Ports(**values)


PortsFactory = Callable[["Mandat"], Ports]


def assemble(*parts: Ports | PortsFactory) -> PortsFactory:
    """One factory from several parts (fixed ports and factories), called in the given order."""

    def build(service: Mandat) -> Ports:
        result = Ports()
        for part in parts:
            result = result.plus(part if isinstance(part, Ports) else part(service))
        return result

    return build
