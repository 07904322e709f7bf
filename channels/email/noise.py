"""Mail that must never be answered (auto replies, bounces, lists, our own) and a loop-stopping reply cap."""

from __future__ import annotations

import re
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from typing import Protocol

from channels.email.parse import ParsedMail

NoiseKind = str  # "auto_reply" | "bounce" | "list" | "own_message" | "null_sender"

_DAEMONS = re.compile(r"^(?:mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.IGNORECASE)
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:automatische antwort|autoreply|auto-reply|auto reply|automatic reply|out of (?:the )?office|"
    r"abwesenheitsnotiz|abwesend|abwesenheit|urlaubsabwesenheit|ich bin (?:derzeit |zurzeit )?nicht im büro)\b",
    re.IGNORECASE,
)
_BOUNCE_SUBJECT = re.compile(
    r"^\s*(?:undeliverable|undelivered mail|delivery status notification|mail delivery failed|"
    r"returned mail|unzustellbar|nicht zustellbar)\b",
    re.IGNORECASE,
)


def _domain_of_msgid(message_id: str | None) -> str | None:
    if not message_id or "@" not in message_id:
        return None
    return message_id.strip("<> ").rsplit("@", 1)[1].lower()


def classify_noise(parsed: ParsedMail, own_domains: Iterable[str] = ()) -> NoiseKind | None:
    """The kind of noise this mail is, or None for a message a person wrote."""
    h = parsed.headers
    if parsed.content_type == "multipart/report" or _DAEMONS.match(parsed.from_addr or ""):
        return "bounce"
    if "x-failed-recipients" in h or (_BOUNCE_SUBJECT.match(parsed.subject) and h.get("return-path") == "<>"):
        return "bounce"
    domains = {d.lower() for d in own_domains}
    if domains and _domain_of_msgid(parsed.message_id) in domains:
        return "own_message"
    auto = h.get("auto-submitted", "").split(";", 1)[0].strip().lower()
    if auto and auto != "no":
        return "auto_reply"
    if "x-autoreply" in h or "x-autorespond" in h:
        return "auto_reply"
    precedence = h.get("precedence", "").strip().lower()
    if precedence == "junk" or _AUTO_SUBJECT.match(parsed.subject):
        return "auto_reply"
    if precedence in ("bulk", "list") or "list-id" in h or "list-unsubscribe" in h or "list-post" in h:
        return "list"
    if h.get("return-path", None) is not None and h["return-path"].strip() in ("<>", ""):
        return "null_sender"
    if not parsed.from_addr:
        return "null_sender"
    return None


class ReplyCap(Protocol):
    """Per-correspondent hourly cap on automatic replies (the core may back it by the database)."""

    def try_acquire(self, address: str) -> bool:
        """Count one reply to ``address`` and say whether it may go out."""
        ...

    def count(self, address: str) -> int:
        ...


class InMemoryReplyCap:
    def __init__(self, limit: int, window_s: float = 3600.0, clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._sent: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _prune(self, key: str) -> deque[float]:
        stamps = self._sent[key]
        horizon = self._clock() - self.window_s
        while stamps and stamps[0] <= horizon:
            stamps.popleft()
        return stamps

    def count(self, address: str) -> int:
        with self._lock:
            return len(self._prune(address.strip().lower()))

    def try_acquire(self, address: str) -> bool:
        key = address.strip().lower()
        with self._lock:
            stamps = self._prune(key)
            if len(stamps) >= self.limit:
                return False
            stamps.append(self._clock())
            return True
