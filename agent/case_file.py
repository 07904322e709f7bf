"""The merged case file of a request: every document's role slots, with sources and conflicts.

Slots come from the stored document analyses (``analysis["slots"]``). A slot found in several
documents keeps every source; where the documents disagree the slot is listed in ``conflicts``
and its value is the one with the highest confidence (staff decide, nothing is overwritten).
The client — the recipient — is never reported as a party.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["DocumentSlots", "merge_case"]

_PARTY_ROLES = ("opposing_party", "party")


@dataclass(frozen=True)
class DocumentSlots:
    document_id: str
    filename: str
    slots: dict[str, dict[str, Any]]


def _is_client(slot: dict[str, Any], client_name: str) -> bool:
    name = client_name.strip().casefold()
    return bool(name) and slot.get("role") in _PARTY_ROLES and name in str(slot.get("value", "")).casefold()


def merge_case(documents: Iterable[DocumentSlots], client_name: str = "") -> dict[str, Any]:
    """``{"slots": {slot: {value, sources}}, "conflicts": [slot, …]}`` over the request's documents."""
    merged: dict[str, dict[str, Any]] = {}
    for doc in documents:
        for name, slot in (doc.slots or {}).items():
            if not isinstance(slot, dict) or _is_client(slot, client_name):
                continue
            entry = merged.setdefault(name, {"value": slot.get("value"), "sources": [], "_best": -1.0})
            confidence = float(slot.get("confidence") or 0.0)
            entry["sources"].append({
                "document_id": doc.document_id, "filename": doc.filename, "value": slot.get("value"),
                "page": slot.get("page"), "evidence": slot.get("evidence"), "method": slot.get("method"),
                "confidence": confidence,
            })
            if confidence > entry["_best"]:
                entry["value"], entry["_best"] = slot.get("value"), confidence
    conflicts = []
    for name, entry in merged.items():
        entry.pop("_best")
        values = {str(src["value"]).strip().casefold() for src in entry["sources"]}
        if len(values) > 1:
            conflicts.append({"slot": name, "values": sorted({str(src["value"]) for src in entry["sources"]})})
    return {"slots": merged, "conflicts": conflicts}
