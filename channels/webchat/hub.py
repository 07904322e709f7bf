"""In-process pub/sub of the agent's web-chat messages, per request, for Server-Sent Events.

The outbox calls ``publish`` from its own thread; every open event stream of the request gets the
message on its event loop. A slow stream that falls behind loses messages rather than memory — the
page refetches the history when it reconnects, and messages carry ids so nothing shows twice.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from agent.messages import OutboundMessage

log = logging.getLogger(__name__)

QUEUE_SIZE = 100


def message_json(msg: OutboundMessage) -> dict[str, Any]:
    """The page's shape of one agent message (the same as a history entry from the agent)."""
    return {"id": msg.message_id, "from": "agent", "text": msg.text, "quick_replies": list(msg.quick_replies),
            "link": msg.link}


@dataclass(eq=False)
class Subscription:
    request_id: str
    queue: asyncio.Queue[dict[str, Any]]
    loop: asyncio.AbstractEventLoop


class WebchatHub:
    """``publish`` is the web chat's outbox sender: ``register_sender(service, hub.publish)`` (state.py)."""

    def __init__(self, queue_size: int = QUEUE_SIZE) -> None:
        self._subs: dict[str, set[Subscription]] = {}
        self._since: dict[str, datetime] = {}  # request → when its first open stream here was opened
        self._lock = threading.Lock()
        self.queue_size = queue_size

    def subscribe(self, request_id: str) -> Subscription:
        """Call on the event loop that will read the queue."""
        sub = Subscription(request_id, asyncio.Queue(self.queue_size), asyncio.get_running_loop())
        with self._lock:
            if request_id not in self._subs:
                self._since[request_id] = datetime.now(UTC)
            self._subs.setdefault(request_id, set()).add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            subs = self._subs.get(sub.request_id)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subs[sub.request_id]
                    self._since.pop(sub.request_id, None)

    def subscribers(self, request_id: str) -> int:
        with self._lock:
            return len(self._subs.get(request_id, ()))

    def subscribed(self) -> dict[str, datetime]:
        """The requests with at least one open stream here, with when the first one opened (what the
        cross-worker relay looks for: messages written from then on)."""
        with self._lock:
            return dict(self._since)

    def publish(self, msg: OutboundMessage) -> None:
        """Hand one message to every open stream of its request; never blocks, safe from any thread."""
        if not msg.request_id:
            return
        payload = message_json(msg)
        with self._lock:
            subs = list(self._subs.get(msg.request_id, ()))
        for sub in subs:
            try:
                sub.loop.call_soon_threadsafe(_offer, sub.queue, payload)
            except RuntimeError:  # the stream's loop is closed: it is going away
                self.unsubscribe(sub)


def _offer(queue: asyncio.Queue[dict[str, Any]], payload: dict[str, Any]) -> None:
    try:
        queue.put_nowait(payload)
    except asyncio.QueueFull:
        log.warning("web chat event stream is behind; dropping a message (the page refetches on reconnect)")
