"""What the service hands the client pages (web chat, signing page): plain frozen views, never ORM rows.

The pages ask `Mandat` (its block "queries and commands for the web chat and the signing page") and get
one of these back; they never open a database session themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agent.i18n import Lang

# Link problems the pages may see; all of them answer alike (nothing tells an attacker which it was).
LINK_PROBLEMS = ("unknown", "expired", "revoked", "used")


@dataclass(frozen=True)
class LinkView:
    """A personal link looked up by its token: either `problem` is set, or the link is usable."""

    problem: str | None
    link_id: str = ""
    request_id: str = ""
    lang: Lang = "de"

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class ChatProgress:
    answered: int
    total: int
    status: str  # "open" | "confirming" | "complete"

    def json(self) -> dict[str, int]:
        return {"answered": self.answered, "total": self.total}


@dataclass(frozen=True)
class ChatHistory:
    """The whole conversation across channels, oldest first, with where the request stands."""

    messages: tuple[Mapping[str, Any], ...]
    progress: ChatProgress
    lang: Lang
