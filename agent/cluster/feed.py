"""What a channel needs to follow the outbox across workers, without touching the ORM itself.

The web chat's relay (channels/webchat/relay.py) asks: "which rows of my channel were written for
these requests after row N?" and, on PostgreSQL, sends and receives a wake-up over LISTEN/NOTIFY.
Notifications carry only a request id — never text or links, so no token enters PostgreSQL's queue.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from agent.messages import OutboundMessage
from agent.outbox import row_to_message
from agent.store.db import Database
from agent.store.models import OutboxRow


class OutboxFeed:
    def __init__(self, db: Database, channel: str) -> None:
        self.db = db
        self.channel = channel

    @property
    def can_notify(self) -> bool:
        return not self.db.is_sqlite

    def last_before(self, since: dict[str, datetime]) -> dict[str, int]:
        """Per request: the id of its last row written before the given time (0 if none)."""
        marks: dict[str, int] = {}
        with self.db.read() as s:
            for request_id, at in since.items():
                last = s.scalar(select(func.max(OutboxRow.id)).where(
                    OutboxRow.request_id == request_id, OutboxRow.channel == self.channel, OutboxRow.created_at < at))
                marks[request_id] = int(last or 0)
        return marks

    def after(self, mark: int, requests: list[str]) -> list[tuple[int, OutboundMessage]]:
        """The channel's rows for ``requests`` with an id above ``mark``, in id order (failed ones left out)."""
        with self.db.read() as s:
            rows = s.scalars(
                select(OutboxRow)
                .where(OutboxRow.request_id.in_(requests), OutboxRow.channel == self.channel, OutboxRow.id > mark,
                       OutboxRow.status != "failed")
                .order_by(OutboxRow.id))
            return [(row.id, row_to_message(row)) for row in rows]

    # ------------------------------------------------------------------ PostgreSQL wake-ups
    def notify(self, topic: str, request_id: str) -> None:
        with self.db.engine.connect() as conn:
            conn.exec_driver_sql("SELECT pg_notify(%(c)s, %(p)s)", {"c": topic, "p": json.dumps({"r": request_id})})
            conn.commit()

    def listen(self, topic: str, stop: threading.Event, on_request: Callable[[str], None],
               on_connect: Callable[[], None]) -> None:
        """Call ``on_request(request_id)`` for every notification until ``stop``; raises when the
        connection breaks (the caller reconnects)."""
        import psycopg

        conninfo = make_url(self.db.url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f"LISTEN {topic}")
            on_connect()
            while not stop.is_set():
                for note in conn.notifies(timeout=0.5):
                    try:
                        request_id = str(json.loads(note.payload).get("r", ""))
                    except (ValueError, AttributeError):
                        continue
                    on_request(request_id)
