"""Sliding-window rate limits with bounded memory (per client IP, per link)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable


class SlidingWindowLimiter:
    """At most ``limit`` hits per ``window_s`` for each key.

    Memory stays bounded: each key keeps at most ``limit`` timestamps, and at most ``max_keys`` keys are
    kept (the least recently used one is forgotten first — an attacker rotating keys only forgets
    its own oldest keys, it cannot grow the table). Keys whose hits have all left the window are
    dropped too, oldest first, whenever a new key comes in: a forgotten key and one with an empty window
    count the same, and under normal traffic (every conversation is a key of the per-link limiter) the
    table then holds the keys of the last window only, not the last ``max_keys`` (about 0.9 kB each).
    """

    def __init__(self, limit: int, window_s: float = 60.0, *, max_keys: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.window_s = window_s
        self.max_keys = max_keys
        self._clock = clock
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _window(self, key: str, now: float) -> deque[float]:
        hits = self._hits.get(key)
        cutoff = now - self.window_s
        if hits is None:
            self._forget_expired(cutoff)
            hits = deque(maxlen=self.limit)
            self._hits[key] = hits
            while len(self._hits) > self.max_keys:
                self._hits.popitem(last=False)
        else:
            self._hits.move_to_end(key)
        while hits and hits[0] <= cutoff:
            hits.popleft()
        return hits

    def _forget_expired(self, cutoff: float) -> None:
        """Drop least-recently-used keys while their newest hit is out of the window (amortised O(1):
        each key is dropped once; it stops at the first key still in use)."""
        while self._hits:
            oldest = next(iter(self._hits.values()))
            if oldest and oldest[-1] > cutoff:
                return
            self._hits.popitem(last=False)

    def hit(self, key: str) -> bool:
        """Count one hit; False (and not counted) when the key is over its limit."""
        with self._lock:
            now = self._clock()
            hits = self._window(key, now)
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            return True

    def blocked(self, key: str) -> bool:
        """True when the key has used up its window (does not count a hit)."""
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                return False
            now = self._clock()
            cutoff = now - self.window_s
            while hits and hits[0] <= cutoff:
                hits.popleft()
            return len(hits) >= self.limit

    def retry_after(self, key: str) -> int:
        """Seconds until the oldest hit of the key leaves the window (at least 1)."""
        with self._lock:
            hits = self._hits.get(key)
            if not hits:
                return 1
            return max(1, int(hits[0] + self.window_s - self._clock()) + 1)

    def __len__(self) -> int:
        return len(self._hits)
