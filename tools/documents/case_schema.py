"""The case schema per document type, loaded from YAML (tools/documents/case_schema.yaml).

A firm may add or replace document types with its own YAML file of the same shape; the
extractors fill slots by these declarations, so a new slot needs no code when an existing
extractor type (org, court, date, …) can fill it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

__all__ = ["SLOT_TYPES", "CaseSchema", "SlotSpec", "load_schema"]

DEFAULT_PATH = Path(__file__).with_name("case_schema.yaml")
SLOT_TYPES = frozenset(
    {"text", "org", "court", "address", "person", "date", "datetime", "money", "choice", "boolean", "id",
     "iban", "plate"}
)


@dataclass(frozen=True)
class SlotSpec:
    name: str
    type: str
    role: str | None = None
    options: tuple[str, ...] = ()
    label: tuple[tuple[str, str], ...] = ()  # (language, text): what staff read instead of the slot name


@dataclass(frozen=True)
class CaseSchema:
    types: dict[str, dict[str, SlotSpec]] = field(default_factory=dict)

    def slots(self, doc_type: str) -> dict[str, SlotSpec]:
        return self.types.get(doc_type) or self.types.get("other", {})

    def labels(self, slot: str) -> dict[str, str]:
        """The slot's label per language, from the first document type that names it ({} if none does)."""
        for slots in self.types.values():
            if slot in slots and slots[slot].label:
                return dict(slots[slot].label)
        return {}


def _parse(data: object, source: str) -> dict[str, dict[str, SlotSpec]]:
    if not isinstance(data, dict):
        raise ValueError(f"{source}: a case schema is a mapping of document type to slots")
    types: dict[str, dict[str, SlotSpec]] = {}
    for doc_type, slots in data.items():
        if not isinstance(slots, dict):
            raise ValueError(f"{source}: {doc_type}: slots must be a mapping")
        parsed: dict[str, SlotSpec] = {}
        for name, spec in slots.items():
            if not isinstance(spec, dict) or spec.get("type") not in SLOT_TYPES:
                raise ValueError(f"{source}: {doc_type}.{name}: type must be one of {sorted(SLOT_TYPES)}")
            label = spec.get("label") or {}
            if not isinstance(label, dict):
                raise ValueError(f"{source}: {doc_type}.{name}: label must be a mapping of language to text")
            parsed[str(name)] = SlotSpec(name=str(name), type=spec["type"], role=spec.get("role"),
                                         options=tuple(str(o) for o in spec.get("options") or ()),
                                         label=tuple((str(k), str(v)) for k, v in label.items()))
        types[str(doc_type)] = parsed
    return types


@lru_cache(maxsize=8)
def load_schema(firm_path: str | None = None) -> CaseSchema:
    """Our schema, with a firm's file (if given and present) replacing or adding document types."""
    types = _parse(yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8")), str(DEFAULT_PATH))
    if firm_path and Path(firm_path).is_file():
        types.update(_parse(yaml.safe_load(Path(firm_path).read_text(encoding="utf-8")), firm_path))
    return CaseSchema(types=types)
