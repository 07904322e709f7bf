"""Fault injection under load (issue 16): real `mandat serve`, mixed traffic over three channels, ≥ 20
seeded SIGKILLs, PostgreSQL down, the SMTP relay off, IMAP cut, the data disk full — and afterwards
nothing lost, nothing sent twice, nothing out of order, no answer blanked, every conversation complete
or resumable. The figures land in test-artifacts/faults.json (docs/reliability.md quotes them)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.faults import driver

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def test_nothing_lost_duplicated_reordered_or_blanked(fault_run: tuple[driver.Stack, dict[str, Any]]) -> None:
    stack, figures = fault_run
    summary = {k: figures[k] for k in ("lost", "duplicated", "out_of_order", "blanked", "unfinished",
                                        "inbound_duplicated")}
    assert figures["drained"], (figures["problems"], figures["events"])
    assert summary == dict.fromkeys(summary, 0), (summary, figures["problems"], figures["events"])
    assert figures["messages_sent"] == figures["messages_planned"] > 0


def test_every_fault_happened(fault_run: tuple[driver.Stack, dict[str, Any]]) -> None:
    stack, figures = fault_run
    assert figures["kills"] >= driver.Plan().kills, figures["events"]
    faults = figures["faults"]
    assert faults.get("smtp_outage_s") and faults.get("imap_drops") and faults.get("pg_restarts"), faults
    assert faults.get("disk_full"), "the data disk is a tmpfs of our own (root) and was filled"
    assert faults["readyz_when_full"]["status"] == 503 and "files" in faults["readyz_when_full"]["failing"]


def test_logs_keep_no_addresses_ibans_or_tokens(fault_run: tuple[driver.Stack, dict[str, Any]]) -> None:
    """The whole run's server output: every line from the server's loggers is JSON, and none carries an
    e-mail address, IBAN or link token the clients used."""
    stack, figures = fault_run
    text = stack.log_path.read_text(encoding="utf-8", errors="replace")
    secrets = {driver.IBAN, driver.IBAN.replace(" ", ""), driver.STAFF_TOKEN, driver.TG_TOKEN}
    secrets |= stack.addresses
    leaks = sorted(s for s in secrets | stack.tokens if s and s in text)
    assert len(stack.addresses) == figures["conversations"] and len(stack.tokens) == figures["conversations"]
    assert not leaks, leaks
    assert not re.search(r"[\w.+-]+@example\.org", text), "no client address in any form"
    json_lines = [line for line in text.splitlines() if line.startswith("{")]
    assert len(json_lines) > 100, "the server logs JSON lines"
    without_id = [line for line in json_lines if '"logger": "uvicorn.access"' in line and '"request_id"' not in line]
    assert not without_id, without_id[:5]
