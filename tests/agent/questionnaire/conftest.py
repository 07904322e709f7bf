from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agent.questionnaire.model import Questionnaire

REPO = Path(__file__).resolve().parents[3]
DEMO_FIRM = REPO / "examples" / "demo-firm"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def text(de: str, en: str | None = None) -> dict[str, str]:
    return {"de": de, "en": en or de}


def field(fid: str, ftype: str = "text", **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"id": fid, "type": ftype, "label": text(fid), "question": text(f"{fid}?")}
    data.update(extra)
    return data


def make_questionnaire(*fields: dict[str, Any], version: int = 1) -> Questionnaire:
    return Questionnaire.model_validate(
        {"id": "sample", "version": version, "title": text("Beispiel", "Sample"), "fields": list(fields)}
    )


def options(*keys: str) -> list[dict[str, Any]]:
    return [{"key": key, "label": text(key)} for key in keys]


@pytest.fixture
def flow() -> Questionnaire:
    """A small questionnaire with every kind of condition."""
    return make_questionnaire(
        field("name", required=True),
        field("insured", "boolean", required=True),
        field("insurer", required=True, when={"field": "insured", "equals": True}),
        field("policy", when={"field": "insurer", "answered": True}),
        field("kind", "choice", required=True, options=options("ordinary", "summary", "change", "unsure")),
        field("notice_end", "date", when={"field": "kind", "in": ["ordinary", "change"]}),
        field("protection", "multi_choice", options=options("disabled", "pregnant", "none")),
        field("degree", "number", when={"field": "protection", "equals": "disabled"}),
        field("not_summary", when={"field": "kind", "not_equals": "summary"}),
        field(
            "combined",
            when={
                "all": [
                    {"field": "insured", "equals": True},
                    {
                        "any": [
                            {"field": "kind", "equals": "summary"},
                            {"field": "protection", "in": ["pregnant"]},
                        ]
                    },
                    {"not": {"field": "policy", "answered": True}},
                ]
            },
        ),
        field("notes", "long_text"),
    )
