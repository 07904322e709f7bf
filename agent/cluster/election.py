"""Run a singleton job (a mailbox's IMAP poller, the Telegram poller) in one worker of an installation.

``Election(leases, name).hold(stop)`` campaigns for the lease ``name`` until it wins or ``stop`` is set,
then keeps renewing it from a small thread. It yields a ``threading.Event`` the job must watch: the
event is set when ``stop`` is set *or* the lease is lost (the database was out of reach for longer
than the TTL, or another worker took it over). A worker that was killed simply stops renewing; the
next one to campaign takes the lease once it has expired, i.e. after at most one TTL.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

from agent.cluster.lease import Leases

log = logging.getLogger(__name__)

TTL_S = 30.0  # a dead poller is replaced within this time
RETRY_S = 5.0  # how often a worker that lost the election tries again


class Election:
    def __init__(self, leases: Leases, name: str, *, ttl_s: float = TTL_S, retry_s: float = RETRY_S) -> None:
        self.leases = leases
        self.name = name
        self.ttl_s = ttl_s
        self.retry_s = retry_s

    def _try(self) -> bool:
        try:
            return self.leases.acquire(self.name, timedelta(seconds=self.ttl_s))
        except Exception:  # the database is away: not elected (yet); the caller tries again
            log.warning("lease %s: could not reach the database", self.name, exc_info=True)
            return False

    def campaign(self, stop: threading.Event) -> bool:
        """Wait until this process holds the lease (True) or ``stop`` is set (False)."""
        while not stop.is_set():
            if self._try():
                return True
            stop.wait(self.retry_s)
        return False

    def _keep(self, stop: threading.Event, inner: threading.Event, leave: threading.Event) -> None:
        """Renew about three times per TTL; give the job up when renewing failed for most of a TTL.
        Checks ``stop`` and ``inner`` (the block was left) every 0.2 s so the job ends promptly."""
        last_ok = next_renew = time.monotonic()
        next_renew += self.ttl_s / 3
        while not (stop.is_set() or inner.is_set()):
            inner.wait(0.2)
            now = time.monotonic()
            if now < next_renew or inner.is_set():
                continue
            next_renew = now + self.ttl_s / 3
            if self._try():
                last_ok = now
            elif now - last_ok > self.ttl_s * 0.6 or self._taken_by_other():
                log.warning("lease %s lost; its job stops in this worker", self.name)
                break
        leave.set()

    def _taken_by_other(self) -> bool:
        try:
            holder = self.leases.holder_of(self.name)
        except Exception:
            return False
        return holder is not None and holder != self.leases.holder

    @contextlib.contextmanager
    def hold(self, stop: threading.Event) -> Iterator[threading.Event | None]:
        """Yields None when ``stop`` was set before winning, else the event that ends the job."""
        if not self.campaign(stop):
            yield None
            return
        leave = threading.Event()
        inner = threading.Event()  # set on leaving the block: ends the keeper even when ``stop`` is not
        keeper = threading.Thread(target=self._keep, args=(stop, inner, leave), name=f"lease:{self.name}",
                                  daemon=True)
        keeper.start()
        try:
            yield leave
        finally:
            inner.set()
            keeper.join(timeout=5)
            with contextlib.suppress(Exception):  # a lease we cannot release simply expires
                self.leases.release(self.name)


def run_elected(election: Election, stop: threading.Event, job: Callable[[threading.Event], object]) -> None:
    """Campaign, run ``job(leave_event)`` while elected, campaign again when it lost; until ``stop``."""
    while not stop.is_set():
        with election.hold(stop) as leave:
            if leave is None:
                return
            job(leave)
            if not leave.is_set():  # the job ended by itself (e.g. a refused token): do not restart it
                return
