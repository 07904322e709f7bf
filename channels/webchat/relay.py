"""Web-chat events across workers: a reply written by worker B reaches the event stream worker A holds.

With several workers, a turn runs in whichever worker got the POST and any worker's outbox may
deliver its web-chat row, but the client's event stream is open on one of them. So in a cluster each
worker's relay reads, for the requests whose streams it holds, the web-chat outbox rows written
since the stream opened, and publishes them to its hub **in row order** (two workers' dispatchers
may deliver rows of one conversation in either order; the stream must not). What tells a relay to
look:

- PostgreSQL: ``NOTIFY mandat_webchat`` with the request id (never text or links: tokens stay out
  of the notification queue), sent by the dispatcher that delivered a row; every worker LISTENs.
  A slow poll covers a notification missed while the listener reconnected.
- SQLite (one machine, no NOTIFY): a poll a few times a second; the local dispatcher wakes it at once.

A row is published once per worker (a mark per request); the page also de-duplicates by id.
"""

from __future__ import annotations

import logging
import threading

from agent.cluster.feed import OutboxFeed
from agent.messages import OutboundMessage
from agent.service import Mandat
from channels.webchat.hub import WebchatHub

log = logging.getLogger(__name__)

CHANNEL = "mandat_webchat"
SQLITE_POLL_S = 0.25  # how soon a reply another worker wrote reaches a stream held here (SQLite)
PG_POLL_S = 2.0  # PostgreSQL: the safety net behind NOTIFY


class Relay:
    def __init__(self, service: Mandat, hub: WebchatHub, *, poll_s: float = SQLITE_POLL_S) -> None:
        self.feed = OutboxFeed(service.db, "webchat")
        self.hub = hub
        self.poll_s = poll_s
        self._marks: dict[str, int] = {}  # request → highest outbox id published to its streams here
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # ------------------------------------------------------------------ the outbox sender
    def publish(self, msg: OutboundMessage) -> None:
        """Registered as the web chat's sender: the streams get the row through ``tick``, in order."""
        self.announce(msg)
        self._wake.set()

    def announce(self, msg: OutboundMessage) -> None:
        """Tell the other workers (PostgreSQL); on SQLite they find it by polling."""

    # ------------------------------------------------------------------ reading the outbox
    def tick(self) -> int:
        """Publish what was written for the streams held here since the last tick; returns how many."""
        subscribed = self.hub.subscribed()
        for gone in set(self._marks) - set(subscribed):
            del self._marks[gone]
        fresh = {r: since for r, since in subscribed.items() if r not in self._marks}
        if fresh:  # start after what the page got from /history when it opened the stream
            self._marks.update(self.feed.last_before(fresh))
        if not subscribed:
            return 0
        published = 0
        for row_id, msg in self.feed.after(min(self._marks.values()), list(subscribed)):
            if row_id > self._marks.get(msg.request_id, row_id):
                self.hub.publish(msg)
                self._marks[msg.request_id] = row_id
                published += 1
        return published

    # ------------------------------------------------------------------ threads
    def _poll(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.poll_s)
            self._wake.clear()
            try:
                self.tick()
            except Exception:  # the database is away for a moment: the next tick catches up
                log.warning("web chat relay tick failed", exc_info=True)
                self._stop.wait(1.0)

    def listen(self) -> None:
        """What wakes the poll from other workers (PostgreSQL only)."""

    def start(self) -> None:
        self._stop.clear()
        for name, target in (("webchat-relay", self._poll), ("webchat-listen", self.listen)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()


class PgRelay(Relay):
    def __init__(self, service: Mandat, hub: WebchatHub) -> None:
        super().__init__(service, hub, poll_s=PG_POLL_S)

    def announce(self, msg: OutboundMessage) -> None:
        if msg.request_id:
            self.feed.notify(CHANNEL, msg.request_id)

    def listen(self) -> None:
        while not self._stop.is_set():
            try:
                self.feed.listen(CHANNEL, self._stop, self._on_request, on_connect=self._wake.set)
            except Exception:  # the server restarted: listen again; the slow poll covers the gap
                log.warning("web chat LISTEN failed; reconnecting", exc_info=True)
                self._stop.wait(1.0)

    def _on_request(self, request_id: str) -> None:
        if request_id in self.hub.subscribed():
            self._wake.set()


def relay_for(service: Mandat, hub: WebchatHub) -> Relay:
    return PgRelay(service, hub) if OutboxFeed(service.db, "webchat").can_notify else Relay(service, hub)
