"""Named leases: which process of an installation currently runs a singleton job.

A lease row says "holder H runs job N until T". A process takes it when it is free or expired and
renews it while it works, so exactly one scheduler, IMAP poller or Telegram poller runs per
installation however many workers are started, and a killed holder is replaced after one TTL.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from agent.store.models import Base, utcnow


class Lease(Base):
    __tablename__ = "lease"
    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    expires_at: Mapped[datetime] = mapped_column()
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)
