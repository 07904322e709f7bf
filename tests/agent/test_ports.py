"""The service's collaborators arrive once, at construction, as one frozen Ports."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from agent.config import Settings
from agent.ports import Ports, assemble
from agent.service import Mandat

REPO = Path(__file__).resolve().parents[2]


def test_parts_combine_and_a_single_port_wired_twice_is_refused() -> None:
    def first(*_: object) -> dict[str, str]:
        return {}

    def second(*_: object) -> dict[str, str]:
        return {}

    combined = Ports(link_makers=(first,), answer_faq=lambda q, lang, rid: None).plus(Ports(link_makers=(second,)))
    assert combined.link_makers == (first, second) and combined.answer_faq is not None
    with pytest.raises(ValueError, match="answer_faq"):
        combined.plus(Ports(answer_faq=lambda q, lang, rid: "x"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        combined.answer_faq = None  # type: ignore[misc]


def test_a_factory_is_called_once_with_the_service_it_wires(settings: Settings) -> None:
    seen: list[Mandat] = []

    def factory(service: Mandat) -> Ports:
        seen.append(service)
        assert service.db is not None and service.outbox is not None  # the service's own parts exist
        return Ports(after_commit=(lambda rid: None,))

    service = Mandat(settings, ports=assemble(Ports(), factory))
    try:
        assert seen == [service] and len(service.ports.after_commit) == 1
        assert service.knowledge_ready is None and service.ports.sign_link is None
    finally:
        service.close()


def test_nobody_assigns_service_attributes_from_outside() -> None:
    assignment = re.compile(r"\bservice\.\w+\s*=[^=]|\bservice\.(on_created|link_makers|after_commit)\.append\(")
    offenders = [
        f"{path.relative_to(REPO)}:{n}"
        for package in ("agent", "channels", "portal_fallback")
        for path in (REPO / package).rglob("*.py") if path.name != "service.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if assignment.search(line)
    ]
    assert offenders == []
