from __future__ import annotations

from pathlib import Path

import pytest

from agent.questionnaire.lint import LintIssue, check_command, lint_file
from agent.questionnaire.loader import load_questionnaire
from agent.questionnaire.model import QuestionnaireError

from .conftest import DEMO_FIRM, FIXTURES

# (fixture, line, words the message must contain) – one broken file per kind of error
BROKEN = [
    ("syntax_error.yaml", 7, "YAML syntax error"),
    ("unknown_key.yaml", 11, "unknown key 'lable'"),
    ("bad_type.yaml", 10, "unknown field type 'datum'"),
    ("duplicate_id.yaml", 9, "duplicate field id 'name' (first on line 5)"),
    ("duplicate_yaml_key.yaml", 9, "duplicate key 'question' (first on line 8)"),
    ("unknown_when_field.yaml", 14, "unknown field 'has_insurance'"),
    ("later_field.yaml", 9, "refers to later field 'insured'"),
    ("cycle.yaml", 9, "condition cycle: first -> second -> first"),
    ("cycle.yaml", 9, "refers to later field 'second'"),
    ("self_cycle.yaml", 9, "condition cycle: 'first' depends on itself"),
    ("unreachable_option.yaml", 18, "'notice' is unreachable: 'fristlos' is not an option of 'kind'"),
    ("unreachable_type.yaml", 13, "'insurer' is unreachable: 'insured' is yes/no"),
    ("unreachable_chain.yaml", 13, "'insurer' is unreachable"),
    ("unreachable_chain.yaml", 18, "'policy' is unreachable: it depends on 'insurer'"),
    ("contradiction.yaml", 16, "'detail' is unreachable: 'all' requires 'kind' to equal both"),
    ("choice_without_options.yaml", 6, "needs options"),
    ("duplicate_option.yaml", 14, "duplicate option key 'keep_job'"),
    ("missing_translation.yaml", 12, "missing translation 'en' for fields.1.question"),
    ("missing_translation.yaml", 13, "missing translation 'en' for fields.1.help"),
    ("missing_language.yaml", 8, "missing translation 'tr' for fields.0.label"),
    ("min_greater_max.yaml", 10, "min (80) is greater than max (1)"),
    ("min_date_after_max_date.yaml", 9, "min_date (-14y) is later than max_date (-120y)"),
    ("bad_relative_date.yaml", 11, "cannot read date rule 'vor 14 Jahren'"),
    ("bad_regex.yaml", 11, "invalid regular expression"),
    ("rule_for_wrong_type.yaml", 11, "min_date do not apply to type number"),
]


def _errors(path: Path) -> list[LintIssue]:
    return [issue for issue in lint_file(path) if issue.severity == "error"]


@pytest.mark.parametrize(("name", "line", "words"), BROKEN, ids=[f"{b[0]}:{b[1]}" for b in BROKEN])
def test_broken_fixture_reports_error_with_line(name: str, line: int, words: str) -> None:
    issues = _errors(FIXTURES / name)
    assert any(issue.line == line and words in issue.message for issue in issues), [
        (issue.line, issue.message) for issue in issues
    ]


@pytest.mark.parametrize("name", sorted({b[0] for b in BROKEN}))
def test_broken_fixture_reports_only_its_own_problem(name: str) -> None:
    expected = {(line, words) for fixture, line, words in BROKEN if fixture == name}
    issues = _errors(FIXTURES / name)
    assert len(issues) == len(expected), [(issue.line, issue.message) for issue in issues]


@pytest.mark.parametrize("name", sorted({b[0] for b in BROKEN}))
def test_loader_refuses_broken_files_with_file_and_line(name: str) -> None:
    path = FIXTURES / name
    line = min(line for fixture, line, _ in BROKEN if fixture == name)
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaire(path)
    assert f"{path}:{line}:" in str(caught.value)


def test_valid_fixture_is_clean() -> None:
    assert lint_file(FIXTURES / "valid.yaml") == []


def test_not_equals_with_impossible_value_is_a_warning(tmp_path: Path) -> None:
    source = (FIXTURES / "unreachable_type.yaml").read_text(encoding="utf-8")
    path = tmp_path / "warn.yaml"
    path.write_text(source.replace('equals: "ja"', 'not_equals: "ja"'), encoding="utf-8")
    issues = lint_file(path)
    assert [(i.line, i.severity) for i in issues] == [(13, "warning")]
    assert "always true" in issues[0].message
    load_questionnaire(path)  # warnings do not stop loading


@pytest.mark.parametrize("name", ["kuendigung", "verkehrsunfall"])
def test_demo_questionnaires_lint_clean_and_are_deep(name: str) -> None:
    path = DEMO_FIRM / "questionnaires" / f"{name}.yaml"
    assert lint_file(path) == []
    q = load_questionnaire(path)
    assert q.id == name
    assert len(q.fields) >= 12
    assert len({f.type for f in q.fields}) >= 8
    assert sum(1 for f in q.fields if f.when is not None) >= 4
    assert sum(1 for f in q.fields if f.help) >= 5
    for f in q.fields:
        assert f.text("question", "de").strip() and f.text("question", "en").strip()


def test_check_command_prints_path_line_message(capsys: pytest.CaptureFixture[str]) -> None:
    broken = FIXTURES / "bad_type.yaml"
    assert check_command([broken]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [f"{broken}:10: " + _errors(broken)[0].message]


def test_check_command_clean_and_directories(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_command([DEMO_FIRM / "questionnaires"]) == 0
    assert capsys.readouterr().out == ""
    assert check_command([FIXTURES / "valid.yaml", FIXTURES / "does-not-exist.yaml"]) == 1
    assert "does-not-exist.yaml:1: no such file" in capsys.readouterr().out


def test_check_command_returns_0_on_warnings_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = (FIXTURES / "unreachable_type.yaml").read_text(encoding="utf-8")
    path = tmp_path / "warn.yaml"
    path.write_text(source.replace('equals: "ja"', 'not_equals: "ja"'), encoding="utf-8")
    assert check_command([path]) == 0
    assert f"{path}:13: warning: " in capsys.readouterr().out


def test_condition_on_a_broken_field_reports_only_the_real_error(tmp_path: Path) -> None:
    source = (FIXTURES / "valid.yaml").read_text(encoding="utf-8").replace("type: boolean", "type: yesno")
    path = tmp_path / "q.yaml"
    path.write_text(source, encoding="utf-8")
    issues = _errors(path)
    assert [(i.line, i.message.split(":")[0]) for i in issues] == [(10, "fields.1.type")]
