"""Leases and the scheduler: one holder per name across processes, take-over after expiry."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from agent.cluster.lease import Leases
from agent.cluster.scheduler import LEASE_NAME, Scheduler
from agent.store.db import Database


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'lease.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    database = Database(url)
    database.migrate()
    yield database
    database.dispose()


def test_one_holder_until_expiry_then_take_over(db: Database) -> None:
    a, b = Leases(db, "a"), Leases(db, "b")
    assert a.acquire("poller:x", timedelta(seconds=30))
    assert not b.acquire("poller:x", timedelta(seconds=30))
    assert a.acquire("poller:x", timedelta(seconds=30))  # renewing is taking it again
    assert b.holder_of("poller:x") == "a"
    assert a.acquire("poller:y", timedelta(seconds=-1))  # already expired
    assert b.acquire("poller:y", timedelta(seconds=30))
    assert not a.acquire("poller:y", timedelta(seconds=30))
    b.release("poller:y")
    assert a.acquire("poller:y", timedelta(seconds=30))


def test_racing_processes_never_share_a_lease(db: Database) -> None:
    leases = [Leases(db, f"w{i}") for i in range(6)]
    winners: list[str] = []
    barrier = threading.Barrier(len(leases))

    def race(lease: Leases) -> None:
        barrier.wait(timeout=10)
        if lease.acquire("scheduler-race", timedelta(seconds=30)):
            winners.append(lease.holder)

    threads = [threading.Thread(target=race, args=(lease,)) for lease in leases]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(winners) == 1
    assert Leases(db, "x").holder_of("scheduler-race") == winners[0]


def test_only_the_leader_runs_jobs_and_a_failing_job_does_not_stop_others(db: Database) -> None:
    runs: list[str] = []
    leader = Scheduler(Leases(db, "leader"), tick_s=0.05)
    follower = Scheduler(Leases(db, "follower"), tick_s=0.05)
    for name, sched in (("leader", leader), ("follower", follower)):
        sched.every("boom", 0, lambda: 1 / 0)
        sched.every("count", 0, lambda name=name: runs.append(name))
    assert leader.run_due() == ["count"]
    assert follower.run_due() == []
    assert runs == ["leader"]
    leader.stop()  # releases the lease: the follower leads from its next tick
    assert follower.run_due() == ["count"]
    assert Leases(db, "x").holder_of(LEASE_NAME) == "follower"


def test_a_job_runs_again_only_when_due(db: Database) -> None:
    runs: list[float] = []
    sched = Scheduler(Leases(db, "solo"), tick_s=0.05)
    sched.every("hourly", 3600, lambda: runs.append(time.monotonic()))
    sched.start()
    try:
        deadline = time.monotonic() + 5
        while not runs and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)  # several more ticks
    finally:
        sched.stop()
    assert len(runs) == 1
