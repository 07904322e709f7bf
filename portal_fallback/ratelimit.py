"""A small sliding-window limiter with bounded memory (failed link lookups per IP, submits per link)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque


class Limiter:
    def __init__(self, limit: int, window_s: float = 60.0, *, max_keys: int = 10_000) -> None:
        self.limit = max(1, limit)
        self.window_s = window_s
        self.max_keys = max_keys
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _window(self, key: str, now: float) -> deque[float]:
        hits = self._hits.get(key)
        if hits is None:
            hits = self._hits[key] = deque(maxlen=self.limit)
            while len(self._hits) > self.max_keys:  # forget the least recently seen key first
                self._hits.popitem(last=False)
        else:
            self._hits.move_to_end(key)
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        return hits

    def hit(self, key: str) -> bool:
        """Count a hit; False (not counted) when the key has used up its window."""
        with self._lock:
            now = time.monotonic()
            hits = self._window(key, now)
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            return True

    def blocked(self, key: str) -> bool:
        with self._lock:
            if key not in self._hits:
                return False
            return len(self._window(key, time.monotonic())) >= self.limit

    def retry_after(self, key: str) -> int:
        with self._lock:
            hits = self._hits.get(key)
            if not hits:
                return 1
            return max(1, int(hits[0] + self.window_s - time.monotonic()) + 1)
