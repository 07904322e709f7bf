"""Plain, frozen views the service hands to channels instead of ORM rows.

A channel never holds a database session or a mapped object: what it needs to know about a request, an
outbox row or the activity staff must hear about arrives as one of these, read in one transaction and
detached from it. Commands that must happen inside the service's transaction (an invitation written
with the request that it announces) come back to the service as drafts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# --------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class ItemBrief:
    id: int
    kind: str  # questionnaire | upload | sign
    ref: str  # questionnaire id, upload label or template name
    version: int | None
    status: str


@dataclass(frozen=True)
class RequestView:
    id: str
    lang: str
    status: str
    client_name: str
    client_email: str | None
    telegram_chat_id: str | None
    staff_name: str | None
    items: tuple[ItemBrief, ...] = ()
    opening: tuple[str, ...] = ()  # texts of the opening messages (the first question), oldest first
    email_opening: str | None = None  # the invitation mail's first batch of questions (batched e-mail)


@dataclass(frozen=True)
class OutboxDraft:
    """A message a channel asks the service to queue inside the service's transaction."""

    message_id: str
    channel: str
    address: str
    kind: str
    text: str
    link: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- chat bindings (Telegram)

CHAT_LINK_PURPOSE = "telegram"  # the purpose of the one-time deep links that bind a chat to a request



@dataclass(frozen=True)
class BindResult:
    status: str  # bound | again | unknown | expired | revoked | used
    request_id: str | None = None
    lang: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("bound", "again")


@dataclass(frozen=True)
class BoundRequest:
    id: str
    lang: str
    status: str
    label: str
    created_at: datetime


@dataclass(frozen=True)
class OpenMessage:
    message_id: str
    text: str
    quick_replies: tuple[str, ...]
    link: str | None
    kind: str


# --------------------------------------------------------------------------- outbox rows (e-mail sender)


@dataclass(frozen=True)
class OutboxView:
    id: int
    message_id: str
    request_id: str | None
    inbound_id: int | None
    channel: str
    address: str
    kind: str
    status: str
    error: str | None
    body: Mapping[str, Any]


@dataclass(frozen=True)
class MailFacts:
    """What the e-mail sender needs to know about one outbox row, read in one transaction."""

    row: OutboxView
    group: tuple[OutboxView, ...]  # the rows answering the same client message (one mail), first first
    loop: LoopCount  # mails to the row's address since its last new human message (the loop guard)
    answered: Mapping[str, Any] | None  # meta of the client mail this answers (message_id, references …)
    invitation: OutboxView | None  # the request's invitation row, if any


# --------------------------------------------------------------------------- what staff must be told


@dataclass(frozen=True)
class StaffView:
    id: int
    name: str
    email: str


@dataclass(frozen=True)
class AnswerFact:
    field_id: str
    value: Any
    method: str
    source_type: str
    source_id: str
    page: int | None
    document_name: str | None = None  # source_type "document": the file's name (None: document gone)
    message_channel: str | None = None  # source "msg:<id>": the message's channel and time
    message_at: datetime | None = None


@dataclass(frozen=True)
class CaseEntry:
    """One slot of the merged case file (agent/case_file.py) as a staff mail shows it."""

    slot: str
    value: str
    documents: tuple[tuple[str, int | None], ...]  # (file name, page) per document that holds the slot
    answered: bool  # the client's answers hold it too
    conflict: tuple[str, ...] = ()  # the differing values, when sources disagree
    labels: Mapping[str, str] = field(default_factory=dict)  # language -> what staff read instead of `slot`


@dataclass(frozen=True)
class ActivityView:
    id: int
    request_id: str | None
    kind: str
    summary: str
    data: Mapping[str, Any]
    created_at: datetime
    # Looked up for some kinds by the scan, so that composing the mail needs no database:
    document_name: str | None = None  # upload: the stored document's file name
    upload_label: str | None = None  # upload: the upload item it was filed under
    sender: str | None = None  # quarantined: the stored message's sender, subject and reason
    subject: str | None = None
    reason: str | None = None
    item: ItemBrief | None = None  # questionnaire_completed: the questionnaire item and its answers
    answers: tuple[AnswerFact, ...] = ()
    case: tuple[CaseEntry, ...] = ()  # questionnaire_completed: the request's merged case file
    told_by_signing: bool = False  # document_signed: the signing flow already mailed staff the PDF


@dataclass(frozen=True)
class StaffBatch:
    """The important activity due for one staff member, with the client names of its requests."""

    staff: StaffView
    activities: tuple[ActivityView, ...]
    client_names: Mapping[str, str]  # request id -> client name


@dataclass(frozen=True)
class NotificationDraft:
    message_id: str
    request_id: str | None
    text: str
    meta: Mapping[str, Any]


@dataclass(frozen=True)
class LoopNotice:
    """What the one final mail of a reply loop needs (the service recorded it for staff)."""

    lang: str
    client_name: str
    chat_link: str | None


@dataclass(frozen=True)
class LoopCount:
    mails: int  # mails sent since the last human message (within the window)
    since: datetime  # where the count starts
    next_reply_at: datetime  # when the oldest counted mail leaves the window
