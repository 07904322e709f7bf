"""Poller election: one job per installation, the loser waits, a holder that stops renewing is replaced."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from agent.channelstate import ChannelState
from agent.cluster.election import Election, run_elected
from agent.cluster.lease import Leases
from agent.store.db import Database
from agent.store.lease_tables import Lease


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'election.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    database = Database(url)
    database.migrate()
    yield database
    database.dispose()


def test_second_worker_waits_until_the_first_leaves(db: Database) -> None:
    a, b = ChannelState(db, Leases(db, "a")), ChannelState(db, Leases(db, "b"))
    stop_a, stop_b = threading.Event(), threading.Event()
    got_b: list[threading.Event | None] = []

    with a.exclusive("imap:x", stop_a, retry_s=0.1) as held_a:
        assert held_a is not None and not held_a.is_set()

        def second() -> None:
            with b.exclusive("imap:x", stop_b, retry_s=0.1) as held_b:
                got_b.append(held_b)

        t = threading.Thread(target=second)
        t.start()
        time.sleep(0.5)
        assert got_b == []  # still campaigning: a holds the lease
    t.join(timeout=5)
    assert len(got_b) == 1 and got_b[0] is not None  # a released on leaving: b won at once


def test_stop_before_winning_yields_none(db: Database) -> None:
    Leases(db, "other").acquire("channel:imap:y", timedelta(seconds=30))
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    with ChannelState(db, Leases(db, "me")).exclusive("imap:y", stop, retry_s=0.1) as held:
        assert held is None


def test_a_job_that_loses_its_lease_stops_and_another_takes_over(db: Database) -> None:
    """A holder whose lease is taken (it stalled past the TTL) is told to leave; the other one runs."""
    election = Election(Leases(db, "a"), "job", ttl_s=0.9, retry_s=0.1)
    stop = threading.Event()
    with election.hold(stop) as leave:
        assert leave is not None
        db_b = Leases(db, "b")
        # b takes over the way it would after a's TTL ran out without renewal
        with db.write() as s:
            s.execute(update(Lease).where(Lease.name == "job").values(holder="b"))
        assert leave.wait(3), "the job was not told that its lease went to another worker"
        assert db_b.holder_of("job") == "b"
    assert Leases(db, "x").holder_of("job") == "b"  # leaving never releases someone else's lease


def test_run_elected_campaigns_again_after_losing(db: Database) -> None:
    election = Election(Leases(db, "a"), "job2", ttl_s=0.9, retry_s=0.1)
    stop = threading.Event()
    runs: list[int] = []

    def job(leave: threading.Event) -> None:
        runs.append(1)
        if len(runs) == 1:  # first term: lose the lease to "b", whose lease then expires
            with db.write() as s:
                s.execute(update(Lease).where(Lease.name == "job2").values(holder="b"))
        else:
            stop.set()
        leave.wait(5)

    t = threading.Thread(target=run_elected, args=(election, stop, job))
    t.start()
    t.join(timeout=15)
    assert not t.is_alive()
    assert len(runs) == 2  # lost, waited for b's lease to expire, elected again
