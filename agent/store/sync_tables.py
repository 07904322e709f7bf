"""Tables that keep the firm in sync: reminders sent to clients and the firm's webhook subscriptions.

``reminder_sent`` is the durable memory of the reminder job: one row per (request, step), written in the
same transaction as the reminder's outbox row, so a restarted or newly elected scheduler never sends a
step twice. ``reminder_stop`` records that a client asked for no more reminders.

Webhook deliveries are outbox rows (channel ``webhook``, address = the webhook's id), so they share the
outbox's claim, retry and give-up machinery and commit with the activity that caused them.

``before_flush`` listeners in agent/webhooks/events.py and agent/reminders/stop.py turn new activities
into webhook events and new client messages into reminder stops inside the flush that writes them, so
the hot paths in agent/service.py need not know about either.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from agent.store.models import Base, utcnow


class Webhook(Base):
    """A URL of the firm's own software that receives signed events."""

    __tablename__ = "webhook"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[Any]] = mapped_column(JSON, default=list)
    secret: Mapped[str] = mapped_column(String(100))  # HMAC key; must be kept in clear to sign with it
    description: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReminderSent(Base):
    __tablename__ = "reminder_sent"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("request.id"), index=True)
    step: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 … counted over the request's whole life
    cycle_step: Mapped[int] = mapped_column(Integer)  # position in the schedule since the last client message
    channel: Mapped[str] = mapped_column(String(20))
    outbox_message_id: Mapped[str] = mapped_column(String(200))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("request_id", "step", name="uq_reminder_request_step"),)


class ReminderStop(Base):
    """The client wrote "stop" / "keine Erinnerungen" / "unsubscribe": no reminder for this request again."""

    __tablename__ = "reminder_stop"
    request_id: Mapped[str] = mapped_column(ForeignKey("request.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(40), default="client")
    stopped_at: Mapped[datetime] = mapped_column(default=utcnow)
