"""Questionnaire linter: every problem of a questionnaire file with its line number.

`mandat questionnaire check PATH` runs `check_command`. The loader (`load_questionnaire`)
refuses files with lint errors, so what lints clean also runs.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError

from agent.questionnaire.model import (
    DEFAULT_LANGUAGES,
    Condition,
    Field,
    Questionnaire,
    compose_yaml,
    node_line,
    pydantic_issues,
    yaml_error_line,
)

__all__ = ["LintIssue", "check_command", "lint_file", "lint_text"]

Severity = Literal["error", "warning"]
Loc = tuple[Any, ...]


@dataclass(frozen=True)
class LintIssue:
    path: Path
    line: int
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.path}:{self.line}: {prefix}{self.message}"


class _Report:
    def __init__(self, path: Path, root: yaml.Node | None) -> None:
        self.path = path
        self.root = root
        self.issues: list[LintIssue] = []

    def at(self, loc: Loc, message: str, severity: Severity = "error") -> None:
        self.add(node_line(self.root, loc), message, severity)

    def add(self, line: int, message: str, severity: Severity = "error") -> None:
        issue = LintIssue(self.path, line, message, severity)
        if issue not in self.issues:
            self.issues.append(issue)


def lint_file(path: Path) -> list[LintIssue]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [LintIssue(path, 1, f"cannot read file: {exc}")]
    return lint_text(text, path)


def lint_text(text: str, path: Path) -> list[LintIssue]:
    report = _Report(path, None)
    try:
        data, root = compose_yaml(text)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        report.add(yaml_error_line(exc), f"YAML syntax error: {problem}")
        return report.issues
    report.root = root
    if not isinstance(data, dict):
        report.add(1, "a questionnaire file must be a mapping with id, version, title and fields")
        return report.issues

    _duplicate_keys(root, report)
    _structure(data, report)
    languages = _languages(data)
    _translations(data, languages, report)
    fields = _valid_fields(data)
    _duplicate_ids(data, report)
    _conditions(fields, _raw_positions(data), report)
    _reachability(fields, report)
    _from_document(fields, path, report)
    return sorted(report.issues, key=lambda issue: (issue.line, issue.message))


# --------------------------------------------------------------------------- structure


def _duplicate_keys(node: yaml.Node | None, report: _Report) -> None:
    # PyYAML silently keeps the last of two equal keys; a firm editing by hand would lose text.
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                line = key_node.start_mark.line + 1
                if key_node.value in seen:
                    first = seen[key_node.value]
                    report.add(line, f"duplicate key {key_node.value!r} (first on line {first})")
                else:
                    seen[key_node.value] = line
            _duplicate_keys(value_node, report)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _duplicate_keys(item, report)


def _structure(data: dict[str, Any], report: _Report) -> None:
    try:
        Questionnaire.model_validate(data)
    except ValidationError as exc:
        for line, message in pydantic_issues(exc, report.root):
            if "duplicate field id(s)" in message:
                continue  # reported with the exact line by _duplicate_ids
            report.add(line, message)


def _languages(data: dict[str, Any]) -> list[str]:
    languages = data.get("languages")
    if isinstance(languages, list) and languages and all(isinstance(item, str) for item in languages):
        return languages
    return list(DEFAULT_LANGUAGES)


def _valid_fields(data: dict[str, Any]) -> list[tuple[int, Field]]:
    """(index in the file, Field) for every field entry that validates on its own."""
    found: list[tuple[int, Field]] = []
    raw_fields = data.get("fields")
    if not isinstance(raw_fields, list):
        return found
    for index, raw in enumerate(raw_fields):
        try:
            found.append((index, Field.model_validate(raw)))
        except ValidationError:
            continue  # already reported by _structure
    return found


def _duplicate_ids(data: dict[str, Any], report: _Report) -> None:
    raw_fields = data.get("fields")
    if not isinstance(raw_fields, list):
        return
    first: dict[str, int] = {}
    for index, raw in enumerate(raw_fields):
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            continue
        fid = raw["id"]
        if fid in first:
            first_line = node_line(report.root, ("fields", first[fid], "id"))
            report.at(("fields", index, "id"), f"duplicate field id {fid!r} (first on line {first_line})")
        else:
            first[fid] = index


def _texts(data: dict[str, Any]) -> Iterator[tuple[Loc, Any, bool]]:
    """(loc, value, required) of every translatable text in the raw data."""
    yield ("title",), data.get("title"), True
    if "intro" in data:
        yield ("intro",), data.get("intro"), False
    raw_fields = data.get("fields")
    if not isinstance(raw_fields, list):
        return
    for index, raw in enumerate(raw_fields):
        if not isinstance(raw, dict):
            continue
        for key in ("label", "question", "help"):
            if key in raw:
                yield ("fields", index, key), raw[key], False
        options = raw.get("options")
        if isinstance(options, list):
            for option_index, option in enumerate(options):
                if isinstance(option, dict) and "label" in option:
                    yield ("fields", index, "options", option_index, "label"), option["label"], False


def _translations(data: dict[str, Any], languages: list[str], report: _Report) -> None:
    for loc, value, _required in _texts(data):
        if value is None or not isinstance(value, dict):
            continue  # missing or wrongly typed texts are structural errors
        where = ".".join(str(part) for part in loc)
        for lang in languages:
            text = value.get(lang)
            if not isinstance(text, str) or not text.strip():
                report.at(loc, f"missing translation {lang!r} for {where}")
        for lang in value:
            if lang not in languages:
                report.at((*loc, lang), f"{where} has text in {lang!r}, which is not in languages", "warning")


# --------------------------------------------------------------------------- conditions


def _walk(condition: Condition, loc: Loc) -> Iterator[tuple[Condition, Loc]]:
    """Every field comparison inside a condition, with its YAML location."""
    operator = condition.operator
    if operator in ("all", "any"):
        for index, child in enumerate(condition.children()):
            yield from _walk(child, (*loc, operator, index))
    elif operator == "not":
        yield from _walk(condition.children()[0], (*loc, "not"))
    else:
        yield condition, loc


def _raw_positions(data: dict[str, Any]) -> dict[str, int]:
    """Field id -> index in the file, also for entries that failed validation (so that a
    condition on a broken field is not reported as 'unknown' on top of the real error)."""
    position: dict[str, int] = {}
    raw_fields = data.get("fields")
    for index, raw in enumerate(raw_fields if isinstance(raw_fields, list) else []):
        if isinstance(raw, dict) and isinstance(raw.get("id"), str):
            position.setdefault(raw["id"], index)
    return position


def _conditions(fields: list[tuple[int, Field]], position: dict[str, int], report: _Report) -> None:
    edges: dict[str, set[str]] = {}
    for index, field in fields:
        if field.when is None:
            continue
        edges[field.id] = field.when.referenced_fields()
        for comparison, loc in _walk(field.when, ("fields", index, "when")):
            ref = comparison.field
            assert ref is not None
            where = (*loc, "field")
            if ref not in position:
                report.at(where, f"condition of {field.id!r} refers to unknown field {ref!r}")
            elif ref == field.id:
                report.at(where, f"condition cycle: {field.id!r} depends on itself")
            elif position[ref] > index:
                report.at(
                    where,
                    f"condition of {field.id!r} refers to later field {ref!r}; "
                    "a condition may only use fields asked before it",
                )
    for cycle in _cycles(edges):
        first = cycle[0]
        index = next(index for index, field in fields if field.id == first)
        if len(cycle) > 1:
            chain = " -> ".join([*cycle, first])
            report.at(("fields", index, "when"), f"condition cycle: {chain}")


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Elementary cycles found by depth-first search, each reported once (rotation-free)."""
    found: list[list[str]] = []
    seen: set[frozenset[str]] = set()

    def visit(node: str, stack: list[str]) -> None:
        for target in sorted(edges.get(node, ())):
            if target in stack:
                cycle = stack[stack.index(target) :]
                key = frozenset(cycle)
                if key not in seen:
                    seen.add(key)
                    found.append(cycle)
            elif len(stack) < 500:
                visit(target, [*stack, target])

    for start in sorted(edges):
        visit(start, [start])
    return found


def _value_problem(ref: Field, value: Any) -> str | None:
    """Why `value` can never be an answer of `ref` (None when it can)."""
    kind = ref.type
    if kind == "boolean":
        if isinstance(value, bool):
            return None
        return f"{ref.id!r} is yes/no, so {value!r} never matches (use true/false)"
    if kind in ("choice", "multi_choice"):
        keys = ref.option_keys()
        values = value if kind == "multi_choice" and isinstance(value, list) else [value]
        bad = [item for item in values if item not in keys]
        if bad:
            return f"{bad[0]!r} is not an option of {ref.id!r} (options: {', '.join(keys)})"
        return None
    if kind in ("number", "money"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{ref.id!r} is a {kind}, so {value!r} never matches"
        return None
    if kind == "date":
        if isinstance(value, date):
            return None
        try:
            date.fromisoformat(str(value))
        except ValueError:
            return f"{ref.id!r} is a date, so {value!r} never matches (use YYYY-MM-DD)"
        return None
    if kind in ("address", "file"):
        return f"{ref.id!r} is of type {kind}; compare it only with answered: true/false"
    if not isinstance(value, str):
        return f"{ref.id!r} is text, so {value!r} never matches (quote it)"
    return None


def _possible(
    condition: Condition, loc: Loc, by_id: dict[str, Field], reachable: dict[str, bool]
) -> tuple[bool, Loc, str]:
    """(can be true, where, why not). Conservative: only says False when it is sure."""
    operator = condition.operator
    if operator == "not":
        return True, loc, ""
    if operator in ("all", "any"):
        results = [
            _possible(child, (*loc, operator, index), by_id, reachable)
            for index, child in enumerate(condition.children())
        ]
        if operator == "all":
            for result in results:
                if not result[0]:
                    return result
            return _contradiction(condition, loc, by_id)
        if all(not result[0] for result in results):
            return False, loc, "none of the alternatives in 'any' can be true (" + results[0][2] + ")"
        return True, loc, ""
    ref = by_id.get(condition.field or "")
    if ref is None:
        return True, loc, ""  # unknown / later references are reported by _conditions
    if operator == "answered" and condition.answered is False:
        return True, loc, ""
    if not reachable.get(ref.id, True):
        return False, (*loc, "field"), f"it depends on {ref.id!r}, which can never be shown"
    if operator == "equals":
        problem = _value_problem(ref, condition.equals)
        if problem:
            return False, (*loc, "equals"), problem
    if operator == "in":
        problems = [_value_problem(ref, value) for value in condition.in_ or []]
        if all(problems):
            return False, (*loc, "in"), problems[0] if problems else "'in' lists no values"
    return True, loc, ""


def _contradiction(condition: Condition, loc: Loc, by_id: dict[str, Field]) -> tuple[bool, Loc, str]:
    """`all` with two different `equals` on the same single-valued field can never hold."""
    wanted: dict[str, Any] = {}
    for child in condition.children():
        if child.operator != "equals" or child.field is None:
            continue
        ref = by_id.get(child.field)
        if ref is None or ref.type == "multi_choice":
            continue
        if child.field in wanted and wanted[child.field] != child.equals:
            both = f"{wanted[child.field]!r} and {child.equals!r}"
            return False, loc, f"'all' requires {child.field!r} to equal both {both}"
        wanted[child.field] = child.equals
    return True, loc, ""


def _reachability(fields: list[tuple[int, Field]], report: _Report) -> None:
    by_id: dict[str, Field] = {}
    for _index, field in fields:
        by_id.setdefault(field.id, field)
    reachable: dict[str, bool] = {}
    for index, field in fields:
        if field.when is None:
            reachable[field.id] = True
            continue
        ok, loc, why = _possible(field.when, ("fields", index, "when"), by_id, reachable)
        reachable.setdefault(field.id, ok)
        if not ok:
            report.at(loc, f"field {field.id!r} is unreachable: {why}")
        for comparison, comparison_loc in _walk(field.when, ("fields", index, "when")):
            ref = by_id.get(comparison.field or "")
            if ref is not None and comparison.operator == "not_equals":
                problem = _value_problem(ref, comparison.not_equals)
                if problem:
                    where = (*comparison_loc, "not_equals")
                    report.at(where, f"not_equals is always true: {problem}", "warning")


# --------------------------------------------------------------------------- from_document

# Which field types can hold a value of which slot type (a mismatch is a warning: it never parses).
_SLOT_FITS: dict[str, frozenset[str]] = {
    "date": frozenset({"date", "text"}), "datetime": frozenset({"date", "text"}),
    "address": frozenset({"address", "text", "long_text"}), "money": frozenset({"money", "number", "text"}),
    "iban": frozenset({"iban", "text"}), "boolean": frozenset({"boolean"}),
    "choice": frozenset({"choice", "text"}),
}
_TEXT_FIELDS = frozenset({"text", "long_text"})


def _slot_types(path: Path) -> dict[str, str]:
    """Slot name -> type over every document type of our schema and the firm's (firm/case_schema.yaml)."""
    from tools.documents.case_schema import load_schema

    firm = next((str(p / "case_schema.yaml") for p in path.resolve().parents[:3]
                 if (p / "case_schema.yaml").is_file()), None)
    return {name: spec.type for slots in load_schema(firm).types.values() for name, spec in slots.items()}


def _from_document(fields: list[tuple[int, Field]], path: Path, report: _Report) -> None:
    mapped = [(index, field) for index, field in fields if field.from_document is not None]
    if not mapped:
        return
    known = _slot_types(path)
    for index, field in mapped:
        slot = field.from_document or ""
        where = ("fields", index, "from_document")
        if slot not in known:
            near = sorted(name for name in known if name.split(".")[0] == slot.split(".")[0])
            hint = f" (known: {', '.join(near)})" if near else ""
            report.at(where, f"from_document of {field.id!r} names unknown case slot {slot!r}{hint}")
        elif field.type not in _SLOT_FITS.get(known[slot], _TEXT_FIELDS):
            report.at(where, f"from_document of {field.id!r}: slot {slot!r} holds a {known[slot]}, "
                             f"which a {field.type} field cannot take", "warning")


# --------------------------------------------------------------------------- command


def _expand(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        path = Path(path)
        if path.is_dir():
            yield from sorted(path.rglob("*.yaml"))
            yield from sorted(path.rglob("*.yml"))
        else:
            yield path


def check_command(paths: list[Path]) -> int:
    """Print `path:line: message` for every issue; 1 if there is any error, else 0."""
    errors = warnings = files = 0
    for path in _expand(paths):
        files += 1
        if not path.exists():
            print(f"{path}:1: no such file")
            errors += 1
            continue
        for issue in lint_file(path):
            print(issue)
            if issue.severity == "error":
                errors += 1
            else:
                warnings += 1
    print(f"{files} file(s) checked: {errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return 1 if errors else 0
