"""SQLite's writer lock for threads *and* processes (``mandat serve --workers N`` on one file).

SQLite lets one writer in at a time; a second process that finds the file locked waits in SQLite's busy
handler, which sleeps 1…100 ms between tries. Under load the process whose threads just released the
lock takes it again before the sleeper wakes, so the other worker starves (turns of seconds). Queueing
writers on a kernel lock instead (``flock`` on ``<db>.writelock``) wakes the next one the moment the
lock is free, in whichever process it waits. Threads of one process queue on an ``RLock`` first, so
the kernel lock is taken once per outermost write transaction (re-entrant within a thread).
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path


class WriteLock:
    def __init__(self, db_path: str | None) -> None:
        self._threads = threading.RLock()
        self._depth = 0  # changed only by the thread holding ``_threads``
        self._path = Path(f"{db_path}.writelock") if db_path and db_path != ":memory:" else None
        self._fd: int | None = None
        self._pid = 0

    def _file(self) -> int:
        # A forked child opens its own: flock belongs to the open file, which a fork would share.
        if self._fd is None or self._pid != os.getpid():
            assert self._path is not None
            self._fd, self._pid = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600), os.getpid()
        return self._fd

    def acquire(self) -> None:
        self._threads.acquire()
        if self._depth == 0 and self._path is not None:
            try:
                fcntl.flock(self._file(), fcntl.LOCK_EX)
            except BaseException:
                self._threads.release()
                raise
        self._depth += 1

    def release(self) -> None:
        self._depth -= 1
        try:
            if self._depth == 0 and self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
