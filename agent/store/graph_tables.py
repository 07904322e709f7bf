"""The conversation graph's working state, one row per LangGraph thread (= per request).

It is written in the same transaction as the turn's answers and outbox rows (agent/store/turns.py),
so it can never run ahead of or behind the canonical state — and costs no commit of its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from agent.store.models import Base, utcnow


class GraphState(Base):
    __tablename__ = "graph_state"
    thread_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    values: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
