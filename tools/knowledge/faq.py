"""The firm's FAQ: ``faq.yaml`` in the firm folder, questions and answers in German and English."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

LANGS = ("de", "en")
FAQ_FILE = "faq.yaml"


class FaqEntry(BaseModel):
    """One question with its answer; ``alternatives`` are other ways clients ask it (per language)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,80}$")
    question: dict[str, str]
    answer: dict[str, str]
    alternatives: dict[str, list[str]] = Field(default_factory=dict)
    keywords: list[str] = Field(default_factory=list)

    @field_validator("question", "answer")
    @classmethod
    def _both_languages(cls, value: dict[str, str]) -> dict[str, str]:
        missing = [lang for lang in LANGS if not (value.get(lang) or "").strip()]
        if missing:
            raise ValueError(f"missing language(s): {', '.join(missing)}")
        return {k: v.strip() for k, v in value.items()}

    def question_in(self, lang: str) -> str:
        return self.question.get(lang) or self.question["de"]

    def answer_in(self, lang: str) -> str:
        return self.answer.get(lang) or self.answer["de"]

    def index_texts(self) -> list[tuple[str, str]]:
        """``(kind, text)`` pairs that are embedded for this entry; a search scores the best of them."""
        texts = [("question", q) for q in self.question.values()]
        texts += [("alternative", a) for alts in self.alternatives.values() for a in alts if a.strip()]
        if self.keywords:
            texts.append(("keywords", ", ".join(self.keywords)))
        # answers too: e5 is trained on query->passage pairs, and they add +1 German hit in the eval
        texts += [("answer", a) for a in self.answer.values()]
        return texts

    def content_hash(self) -> str:
        canonical = json.dumps(self.model_dump(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


class _FaqFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entries: list[FaqEntry]

    @model_validator(mode="after")
    def _unique_ids(self) -> _FaqFile:
        seen: set[str] = set()
        for entry in self.entries:
            if entry.id in seen:
                raise ValueError(f"duplicate FAQ id {entry.id!r}")
            seen.add(entry.id)
        return self


def load_faq(firm_dir: Path) -> list[FaqEntry]:
    """Read ``firm_dir/faq.yaml``; a firm without one has an empty FAQ."""
    path = Path(firm_dir) / FAQ_FILE
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if isinstance(data, list):
        data = {"entries": data}
    return _FaqFile.model_validate(data).entries
