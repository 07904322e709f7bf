"""The message types every channel speaks with the core (the core owns this contract).

A channel turns what it receives into an ``InboundMessage`` and hands it to the one entry point
(``agent.service.Mandat.receive``). Replies come back as ``OutboundMessage`` rows from the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

ChannelName = Literal["webchat", "email", "telegram", "terminal", "api"]


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    declared_type: str | None = None  # what the sender claimed; never trusted for the type
    inline: bool = False  # e.g. a logo inside an e-mail signature


@dataclass(frozen=True)
class InboundMessage:
    channel: ChannelName
    sender: str  # the channel address: e-mail address, Telegram chat id, link id for web chat
    text: str
    external_id: str  # unique within the channel; processing is idempotent on it
    request_id: str | None = None  # set when the channel already knows the request
    attachments: tuple[Attachment, ...] = ()
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    raw: bytes | None = None  # the raw bytes as received (e-mail), stored before processing
    meta: dict[str, Any] = field(default_factory=dict)  # channel details (subject, message-id …)


@dataclass(frozen=True)
class OutboundMessage:
    """One message the agent sends; ``message_id`` is deterministic so a resend is recognisable."""

    message_id: str
    request_id: str
    channel: ChannelName
    address: str
    text: str
    quick_replies: tuple[str, ...] = ()
    kind: str = "reply"  # reply | invitation | sign_link | notification | confirmation
    in_reply_to: str | None = None  # the inbound external id this answers
    link: str | None = None  # a URL the channel should show as a button (signing, web chat)
    attachments: tuple[Attachment, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TurnResult:
    """What the core answers to one inbound message."""

    request_id: str | None
    replies: tuple[OutboundMessage, ...] = ()
    status: str = "open"  # open | confirming | complete | duplicate | rejected | quarantined | ignored
    progress: tuple[int, int] = (0, 0)
    documents: tuple[dict[str, Any], ...] = ()
