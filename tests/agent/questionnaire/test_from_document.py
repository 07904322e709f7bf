"""``from_document: <slot>`` in questionnaire YAML: known slots load, unknown ones are lint errors with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.questionnaire.lint import lint_file
from agent.questionnaire.loader import load_questionnaire
from agent.questionnaire.model import QuestionnaireError

from .conftest import DEMO_FIRM

HEAD = """id: probe
version: 1
title: {de: Probe, en: Probe}
fields:
  - id: employer
    type: text
    label: {de: Arbeitgeber, en: Employer}
    question: {de: "Wer?", en: "Who?"}
"""


def _write(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "questionnaires" / "probe.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEAD + extra, encoding="utf-8")
    return path


def test_a_known_slot_loads_and_is_on_the_field(tmp_path: Path) -> None:
    q = load_questionnaire(_write(tmp_path, "    from_document: employer.name\n"))
    assert q.field("employer").from_document == "employer.name"


def test_an_unknown_slot_is_an_error_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "    from_document: employer.nmae\n")
    (issue,) = lint_file(path)
    assert issue.line == 9 and issue.severity == "error"
    assert "unknown case slot 'employer.nmae'" in issue.message and "employer.name" in issue.message
    with pytest.raises(QuestionnaireError, match=r"probe.yaml:9: .*employer.nmae"):
        load_questionnaire(path)


def test_a_slot_of_the_wrong_type_is_a_warning(tmp_path: Path) -> None:
    path = _write(tmp_path, "    from_document: letter_date\n").read_text(encoding="utf-8")
    target = tmp_path / "questionnaires" / "probe.yaml"
    target.write_text(path.replace("type: text", "type: boolean"), encoding="utf-8")
    (issue,) = lint_file(target)
    assert issue.severity == "warning" and issue.line == 9 and "holds a date" in issue.message


def test_a_firm_schema_next_to_the_questionnaires_adds_slots(tmp_path: Path) -> None:
    path = _write(tmp_path, "    from_document: lease.landlord\n")
    assert lint_file(path), "not in our schema"
    (tmp_path / "case_schema.yaml").write_text("lease:\n  lease.landlord: {type: person, role: opposing_party}\n",
                                               encoding="utf-8")
    assert lint_file(path) == []


def test_the_demo_firm_maps_the_dismissal_fields() -> None:
    q = load_questionnaire(DEMO_FIRM / "questionnaires" / "kuendigung.yaml")
    mapped = {f.id: f.from_document for f in q.fields if f.from_document}
    assert mapped["employer_name"] == "employer.name" and mapped["employer_address"] == "employer.address"
    assert mapped["dismissal_received"] == "letter_date" and mapped["notice_end"] == "termination_date"
