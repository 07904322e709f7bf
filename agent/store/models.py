"""The canonical state: SQLAlchemy models shared by SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return secrets.token_hex(8)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on both engines (SQLite would hand back naive datetimes)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, datetime: UTCDateTime()}


class Firm(Base):
    __tablename__ = "firm"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Staff(Base):
    __tablename__ = "staff"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    firm_id: Mapped[str] = mapped_column(ForeignKey("firm.id"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[str] = mapped_column(String(50), default="lawyer")


class Client(Base):
    __tablename__ = "client"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    firm_id: Mapped[str] = mapped_column(ForeignKey("firm.id"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    telegram_chat_id: Mapped[str | None] = mapped_column(String(64), index=True)
    lang: Mapped[str] = mapped_column(String(8), default="de")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Request(Base):
    __tablename__ = "request"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    firm_id: Mapped[str] = mapped_column(ForeignKey("firm.id"))
    client_id: Mapped[str] = mapped_column(ForeignKey("client.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | confirming | complete
    thread_id: Mapped[str] = mapped_column(String(64), unique=True, default=new_id)
    lang: Mapped[str] = mapped_column(String(8), default="de")
    case_data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)  # conversation position, see conversation.state
    unseen: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=0)  # bumped by every turn; optimistic check
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    client: Mapped[Client] = relationship(lazy="joined")
    staff: Mapped[Staff | None] = relationship(lazy="joined")
    items: Mapped[list[RequestItem]] = relationship(
        order_by="RequestItem.position", lazy="selectin", back_populates="request"
    )


class RequestItem(Base):
    __tablename__ = "request_item"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("request.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # questionnaire | upload | sign
    ref: Mapped[str] = mapped_column(String(200))  # questionnaire id, upload label, template id
    version: Mapped[int | None] = mapped_column(Integer)  # questionnaire version pinned at creation
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | complete | skipped
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    request: Mapped[Request] = relationship(back_populates="items")


class Answer(Base):
    """One value for one field; a correction supersedes the older row instead of overwriting it."""

    __tablename__ = "answer"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("request.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("request_item.id"))
    field_id: Mapped[str] = mapped_column(String(100))
    value: Mapped[Any] = mapped_column(JSON)
    raw_text: Mapped[str] = mapped_column(Text, default="")
    source_type: Mapped[str] = mapped_column(String(20))  # message | document
    source_id: Mapped[str] = mapped_column(String(64))
    page: Mapped[int | None] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(20))  # parser | llm | document
    confidence: Mapped[float] = mapped_column(Float, default=1.0)
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    superseded_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (Index("ix_answer_current", "item_id", "field_id", "superseded_at"),)


class InboundRecord(Base):
    """Every inbound message, stored raw before it is processed."""

    __tablename__ = "inbound_message"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(500))
    request_id: Mapped[str | None] = mapped_column(ForeignKey("request.id"), index=True)
    sender: Mapped[str] = mapped_column(String(320))
    text: Mapped[str] = mapped_column(Text, default="")
    attachments: Mapped[list[Any]] = mapped_column(default=list)  # [{filename, sha256, size, declared_type, inline}]
    raw_sha256: Mapped[str | None] = mapped_column(String(64))
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default="received")
    # received | processed | ignored | quarantined | rejected
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_inbound_channel_external"),)


class OutboxRow(Base):
    """Every outbound message; written in the same transaction as the state change it reports."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    request_id: Mapped[str | None] = mapped_column(ForeignKey("request.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(30), default="reply")
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)  # text, quick_replies, link, attachments
    inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_message.id"))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | sending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    not_before: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (Index("ix_outbox_status", "status", "channel"),)


class Activity(Base):
    __tablename__ = "activity"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str | None] = mapped_column(ForeignKey("request.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    actor: Mapped[str] = mapped_column(String(40), default="client")  # client | agent | staff | system
    important: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime | None] = mapped_column(default=None)
    notified_at: Mapped[datetime | None] = mapped_column(default=None)

    # The staff notifier looks for important activity not yet notified, on every round.
    __table_args__ = (Index("ix_activity_to_notify", "important", "notified_at"),)


class Document(Base):
    __tablename__ = "document"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    request_id: Mapped[str] = mapped_column(ForeignKey("request.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("request_item.id"))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(300), default="")
    mime: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    size: Mapped[int] = mapped_column(Integer, default=0)
    origin: Mapped[str] = mapped_column(String(20), default="upload")  # upload | signed
    source_inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_message.id"))
    doc_type: Mapped[str | None] = mapped_column(String(40))
    analysis: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Link(Base):
    """A bearer link; only the SHA-256 of its token is stored."""

    __tablename__ = "link"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("request.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # chat | sign | telegram
    item_id: Mapped[int | None] = mapped_column(ForeignKey("request_item.id"))
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class LLMCallRecord(Base):
    __tablename__ = "llm_call"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str | None] = mapped_column(ForeignKey("request.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(40))
    model: Mapped[str] = mapped_column(String(200), default="")
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    ok: Mapped[bool] = mapped_column(Boolean, default=True)
    error: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class KeyValue(Base):
    """Small durable facts of channels (IMAP last UID per mailbox, Telegram offset)."""

    __tablename__ = "kv"
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(default=dict)
