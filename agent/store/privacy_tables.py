"""What an erasure leaves behind: a tombstone without personal data.

The firm must be able to show that (and when) it erased someone (Art. 5(2), 17 GDPR) without keeping
who it was: the tombstone holds a keyed hash of the e-mail address (so "was this address erased?" can
be answered by someone who is given the address), the date, why, and how many rows and files went.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from agent.store.models import Base, utcnow


class ErasureTombstone(Base):
    __tablename__ = "erasure_tombstone"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject_hash: Mapped[str] = mapped_column(String(64), index=True)  # HMAC-SHA256 of the e-mail, or of the request id
    reason: Mapped[str] = mapped_column(String(20))  # client_erase | retention
    erased_at: Mapped[datetime] = mapped_column(default=utcnow)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"table": rows, "files": n, "requests": n}
