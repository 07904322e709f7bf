"""Periodic jobs that must run once per installation, not once per worker.

Every worker runs a ``Scheduler``; only the one holding the ``scheduler`` lease runs the jobs. A job
must be idempotent by the state it keeps (e.g. a reminder records the step it sent in the same
transaction as the outbox row), because after a crash the next leader runs it again at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from agent.cluster.lease import Leases

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"


@dataclass
class Job:
    name: str
    every_s: float
    run: Callable[[], object]
    last_run: float | None = None  # monotonic time of the last run in this process

    def due(self, now: float) -> bool:
        return self.last_run is None or now - self.last_run >= self.every_s


class Scheduler:
    def __init__(self, leases: Leases, *, tick_s: float = 5.0, lease_ttl_s: float = 30.0) -> None:
        self.leases = leases
        self.tick_s = tick_s
        self.lease_ttl = timedelta(seconds=max(lease_ttl_s, 2 * tick_s))
        self.jobs: dict[str, Job] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def every(self, name: str, seconds: float, run: Callable[[], object]) -> None:
        """Run ``run`` about every ``seconds`` on the installation's leader (first run at the next tick)."""
        self.jobs[name] = Job(name=name, every_s=seconds, run=run)

    def run_due(self) -> list[str]:
        """One tick: renew the lease and, when this process leads, run the jobs that are due."""
        if not self.jobs or not self.leases.acquire(LEASE_NAME, self.lease_ttl):
            return []
        ran: list[str] = []
        for job in list(self.jobs.values()):
            now = time.monotonic()
            if not job.due(now):
                continue
            job.last_run = now
            try:
                job.run()
                ran.append(job.name)
            except Exception:  # one failing job must not stop the others; it runs again next time
                log.exception("scheduled job %s failed", job.name)
        return ran

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.is_set():
                try:
                    self.run_due()
                except Exception:  # e.g. the database is restarting: try again next tick
                    log.exception("scheduler tick failed")
                self._stop.wait(self.tick_s)

        self._thread = threading.Thread(target=loop, name="scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        try:
            self.leases.release(LEASE_NAME)
        except Exception:  # stopping with the database gone: the lease simply expires
            log.warning("could not release the scheduler lease", exc_info=True)
