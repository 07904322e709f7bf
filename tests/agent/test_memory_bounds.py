"""Structures of the long-running server that must not grow with the number of requests served (issue 16)."""

from __future__ import annotations

import os
import threading

import pytest

from agent.malloc import limit_arenas
from agent.messages import InboundMessage
from agent.service import Mandat


def test_turn_locks_do_not_outlive_their_turns(service: Mandat) -> None:
    for n in range(30):
        created = service.create_request(client_name=f"Klient {n}", client_email=f"k{n}@example.org",
                                         questionnaires=["kuendigung"])
        service.receive(InboundMessage(channel="webchat", sender=f"link-{n}", text="Max", external_id=f"m{n}",
                                       request_id=created.id))
    assert len(service._locks) == 0
    held = service._lock_for("r-1")
    assert service._lock_for("r-1") is held  # one lock per request while anyone holds it
    assert len(service._locks) == 1
    del held
    assert len(service._locks) == 0


def test_limit_arenas_sets_the_cap_and_leaves_an_operators_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_arenas() is False
    assert os.environ["MALLOC_ARENA_MAX"] == "4"
    monkeypatch.delenv("MALLOC_ARENA_MAX")
    applied = limit_arenas()
    assert os.environ["MALLOC_ARENA_MAX"] == "2"
    if os.uname().sysname == "Linux" and os.confstr("CS_GNU_LIBC_VERSION"):
        assert applied is True
    got: list[int] = []
    worker = threading.Thread(target=lambda: got.append(len(bytearray(1 << 16))))
    worker.start()
    worker.join(timeout=5)
    assert got == [1 << 16]  # allocating from a new thread still works under the cap
