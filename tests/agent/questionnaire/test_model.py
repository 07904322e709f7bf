from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agent.questionnaire.engine import next_field
from agent.questionnaire.loader import QuestionnaireRegistry, load_questionnaire
from agent.questionnaire.model import QuestionnaireError, QuestionnaireNotFound
from agent.understanding.parsers import Option

from .conftest import DEMO_FIRM, FIXTURES, field, make_questionnaire, options


def test_texts_fall_back_to_german() -> None:
    q = make_questionnaire(
        field("a", label={"de": "Anschrift", "en": "Address"}, help={"de": "Straße und Ort"}),
        field("b"),
    )
    a = q.field("a")
    assert a.text("label", "en") == "Address"
    assert a.text("label", "fr") == "Anschrift"
    assert a.text("help", "en") == "Straße und Ort"
    assert q.field("b").text("help", "de") == ""
    assert q.text("title", "en") == "Sample"
    with pytest.raises(KeyError):
        q.field("nope")


def test_option_objects_use_the_parsers_option() -> None:
    q = make_questionnaire(field("kind", "choice", options=options("ordinary", "summary")))
    objects = q.field("kind").option_objects()
    assert objects == [
        Option(key="ordinary", labels={"de": "ordinary", "en": "ordinary"}),
        Option(key="summary", labels={"de": "summary", "en": "summary"}),
    ]


def test_load_demo_questionnaire() -> None:
    q = load_questionnaire(DEMO_FIRM / "questionnaires" / "kuendigung.yaml")
    assert (q.id, q.version, q.languages) == ("kuendigung", 1, ["de", "en"])
    birth = q.field("birth_date")
    assert birth.type == "date" and birth.required and birth.case_data == "client.birth_date"
    assert birth.validation is not None and birth.validation.max_date == "-14y"
    assert q.field("insurer").when is not None


def test_load_errors_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_text("id: x\nversion: 1\ntitle: {de: X, en: X}\nfields: [\n", encoding="utf-8")
    with pytest.raises(QuestionnaireError, match=rf"{path}:5: YAML syntax error"):
        load_questionnaire(path)
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(QuestionnaireError, match=rf"{path}:1: a questionnaire file must be a mapping"):
        load_questionnaire(path)
    with pytest.raises(QuestionnaireError, match="cannot read file"):
        load_questionnaire(tmp_path / "missing.yaml")


def test_missing_required_keys_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_text(
        "id: x\ntitle: {de: X, en: X}\nfields:\n  - id: a\n    type: text\n    label: {de: A, en: A}\n",
        encoding="utf-8",
    )
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaire(path)
    message = str(caught.value)
    assert f"{path}:1: missing key 'version'" in message
    assert f"{path}:4: missing key 'question' in fields.0" in message


# --------------------------------------------------------------------------- versions


def _firm_with_versions(tmp_path: Path) -> Path:
    folder = tmp_path / "firm" / "questionnaires"
    (folder / "versions").mkdir(parents=True)
    v1 = (FIXTURES / "valid.yaml").read_text(encoding="utf-8")
    (folder / "versions" / "sample@1.yaml").write_text(v1, encoding="utf-8")
    v2 = v1.replace("version: 1", "version: 2") + (
        "  - id: email\n    type: email\n    label: {de: E-Mail, en: E-mail}\n"
        "    question: {de: \"Ihre E-Mail?\", en: \"Your e-mail?\"}\n"
    )
    (folder / "sample.yaml").write_text(v2, encoding="utf-8")
    return tmp_path / "firm"


def test_registry_pins_versions(tmp_path: Path) -> None:
    registry = QuestionnaireRegistry(_firm_with_versions(tmp_path))
    assert registry.ids() == ["sample"]
    assert registry.versions("sample") == [1, 2]
    current = registry.get("sample")
    assert current.version == 2 and current.has_field("email")
    assert registry.get("sample", 2) is current
    old = registry.get("sample", 1)
    assert old.version == 1 and not old.has_field("email")
    # a request pinned to version 1 keeps its flow even after version 2 added a field
    answers = {"name": "Eva", "insured": False}
    assert next_field(old, answers) is None
    assert next_field(current, answers).id == "email"
    assert registry.get("sample", 1) is old  # cached


def test_registry_unknown_id_or_version(tmp_path: Path) -> None:
    registry = QuestionnaireRegistry(_firm_with_versions(tmp_path))
    with pytest.raises(QuestionnaireNotFound):
        registry.get("nope")
    with pytest.raises(QuestionnaireNotFound, match="version 7"):
        registry.get("sample", 7)
    with pytest.raises(LookupError):
        registry.get("../sample")
    assert QuestionnaireRegistry(tmp_path / "empty").ids() == []


def test_registry_checks_ids_and_version_numbers(tmp_path: Path) -> None:
    firm = _firm_with_versions(tmp_path)
    shutil.copy(FIXTURES / "valid.yaml", firm / "questionnaires" / "other.yaml")
    with pytest.raises(QuestionnaireError, match="does not match the file name"):
        QuestionnaireRegistry(firm).get("other")
    (firm / "questionnaires" / "versions" / "sample@3.yaml").write_text(
        (FIXTURES / "valid.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    with pytest.raises(QuestionnaireError, match="file name says version 3, file says 1"):
        QuestionnaireRegistry(firm).get("sample", 3)


def test_demo_registry() -> None:
    registry = QuestionnaireRegistry(DEMO_FIRM)
    assert registry.ids() == ["kuendigung", "verkehrsunfall"]
    assert registry.get("verkehrsunfall").id == "verkehrsunfall"
