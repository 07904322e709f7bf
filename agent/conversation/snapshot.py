"""What one turn sees of a request: a plain in-memory copy, loaded and saved by the service."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class AnswerView:
    value: Any
    method: str
    confirmed: bool
    raw_text: str = ""


@dataclass
class ItemView:
    id: int
    kind: str  # questionnaire | upload | sign
    ref: str
    version: int | None
    status: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Snapshot:
    request_id: str
    lang: str
    client_name: str
    firm_name: str
    staff_name: str
    items: list[ItemView]
    answers: dict[int, dict[str, AnswerView]]  # item id -> field id -> current answer
    state: dict[str, Any]

    def values(self, item_id: int) -> dict[str, Any]:
        return {fid: a.value for fid, a in self.answers.get(item_id, {}).items()}

    def active_item(self) -> ItemView | None:
        return next((i for i in self.items if i.status == "open"), None)

    def item(self, item_id: int) -> ItemView:
        return next(i for i in self.items if i.id == item_id)

    def skipped(self, item_id: int) -> set[str]:
        return set(self.state.setdefault("skipped", {}).get(str(item_id), []))

    def add_skipped(self, item_id: int, field_id: str) -> None:
        skipped = self.state.setdefault("skipped", {})
        skipped[str(item_id)] = sorted(set(skipped.get(str(item_id), [])) | {field_id})

    def remove_skipped(self, item_id: int, field_id: str) -> None:
        skipped = self.state.setdefault("skipped", {})
        skipped[str(item_id)] = [f for f in skipped.get(str(item_id), []) if f != field_id]
