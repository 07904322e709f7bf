"""Questionnaire model: pydantic models for the YAML files and YAML with line numbers.

A questionnaire is data (YAML) so that firms can write their own; everything here is about
reading it safely. The flow logic lives in `engine.py`, the checks with line numbers in `lint.py`,
loading a checked file and the version registry in `loader.py` (above both).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator
from pydantic import Field as PydField

from agent.i18n import normalise_lang
from agent.understanding.parsers import FIELD_TYPES, Option

__all__ = [
    "FIELD_TYPES",
    "Condition",
    "Field",
    "OptionSpec",
    "Questionnaire",
    "QuestionnaireError",
    "QuestionnaireNotFound",
    "Validation",
    "node_line",
    "resolve_date",
]

DEFAULT_LANGUAGES: tuple[str, ...] = ("de", "en")
FALLBACK_LANGUAGE = "de"
CHOICE_TYPES = frozenset({"choice", "multi_choice"})
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
_RELATIVE_DATE = re.compile(r"^([+-])(\d{1,4})([dwmy])$")

# Which validation rules make sense for which field type (checked on load and by the linter).
RULES_BY_TYPE: dict[str, frozenset[str]] = {
    "text": frozenset({"min_length", "max_length", "pattern"}),
    "long_text": frozenset({"min_length", "max_length", "pattern"}),
    "email": frozenset({"pattern"}),
    "phone": frozenset({"pattern"}),
    "iban": frozenset({"pattern"}),
    "number": frozenset({"min", "max"}),
    "money": frozenset({"min", "max"}),
    "date": frozenset({"min_date", "max_date"}),
}

LocalText = dict[str, str]


class QuestionnaireError(ValueError):
    """A questionnaire file that cannot be used; the message names file and line."""


class QuestionnaireNotFound(QuestionnaireError, LookupError):
    """No questionnaire (or no such version of it) in the firm folder."""


# --------------------------------------------------------------------------- relative dates


def _add_months(day: date, months: int) -> date:
    month_index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(month_index, 12)
    month += 1
    # Clamp to the month's last day (31 Jan + 1m -> 28/29 Feb).
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(f"cannot shift {day} by {months} months")  # pragma: no cover


def resolve_date(spec: str | date, today: date) -> date:
    """Turn a rule such as ``today``, ``-3w``, ``-2m``, ``+1y``, ``-10d`` or ``2024-01-31`` into a date."""
    if isinstance(spec, date):
        return spec
    text = str(spec).strip().lower()
    if text == "today":
        return today
    match = _RELATIVE_DATE.match(text)
    if match:
        sign = -1 if match.group(1) == "-" else 1
        amount = sign * int(match.group(2))
        unit = match.group(3)
        if unit == "d":
            return date.fromordinal(today.toordinal() + amount)
        if unit == "w":
            return date.fromordinal(today.toordinal() + 7 * amount)
        if unit == "m":
            return _add_months(today, amount)
        return _add_months(today, 12 * amount)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"cannot read date rule {spec!r} (use today, -3w, -2m, +1y, -10d or YYYY-MM-DD)"
        ) from None


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None


# --------------------------------------------------------------------------- models


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class OptionSpec(_Strict):
    key: str
    label: LocalText
    # Other words a client may use for this option, per language ("Einschreiben" for "per Post").
    aliases: dict[str, list[str]] | None = None

    @field_validator("key", mode="before")
    @classmethod
    def _key_is_text(cls, value: Any) -> Any:
        # YAML reads `yes`, `1` etc. as bool/int; option keys must be stable strings.
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"option key must be a non-empty text, got {value!r} (quote it)")
        return value


class Validation(_Strict):
    min: int | float | str | None = None
    max: int | float | str | None = None
    min_date: str | None = None
    max_date: str | None = None
    min_length: int | None = PydField(default=None, ge=0)
    max_length: int | None = PydField(default=None, ge=0)
    pattern: str | None = None

    @field_validator("min_date", "max_date", mode="before")
    @classmethod
    def _date_rule(cls, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, date):  # YAML turns an unquoted 2024-01-31 into a date
            return value.isoformat()
        resolve_date(str(value), date.today())
        return str(value)

    @field_validator("min", "max")
    @classmethod
    def _number_rule(cls, value: Any) -> Any:
        if value is not None:
            _decimal(value)
        return value

    @field_validator("pattern")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {value!r}: {exc}") from None
        return value

    @model_validator(mode="after")
    def _ranges(self) -> Validation:
        if self.min is not None and self.max is not None and _decimal(self.min) > _decimal(self.max):
            raise ValueError(f"[min] min ({self.min}) is greater than max ({self.max})")
        if self.min_length is not None and self.max_length is not None and self.min_length > self.max_length:
            raise ValueError(
                f"[min_length] min_length ({self.min_length}) is greater than max_length ({self.max_length})"
            )
        if self.min_date is not None and self.max_date is not None:
            today = date.today()
            if resolve_date(self.min_date, today) > resolve_date(self.max_date, today):
                raise ValueError(
                    f"[min_date] min_date ({self.min_date}) is later than max_date ({self.max_date})"
                )
        return self

    def rules(self) -> set[str]:
        return {name for name in type(self).model_fields if getattr(self, name) is not None}


_COMPARISONS = ("equals", "not_equals", "in", "answered")


class Condition(_Strict):
    """`when:` as data. Either a comparison on one earlier field or a combination.

    Comparisons: ``equals``, ``not_equals``, ``in: [..]`` (false while the field has no answer)
    and ``answered: true|false``. For a multi_choice answer ``equals: key`` means "key was chosen"
    and ``in: [..]`` means "one of these was chosen". Combinations: ``all``, ``any``, ``not``.
    """

    field: str | None = None
    equals: Any = None
    not_equals: Any = None
    in_: list[Any] | None = PydField(default=None, alias="in")
    answered: bool | None = None
    all: list[Condition] | None = None
    any: list[Condition] | None = None
    not_: Condition | None = PydField(default=None, alias="not")

    @model_validator(mode="after")
    def _one_form(self) -> Condition:
        given = self.model_fields_set
        comparisons = [name for name in ("equals", "not_equals", "in_", "answered") if name in given]
        combinations = [name for name in ("all", "any", "not_") if name in given]
        if combinations:
            if len(combinations) > 1 or comparisons or "field" in given:
                raise ValueError("a condition is either one of all/any/not or one field comparison, not both")
            if self.all is not None and not self.all or self.any is not None and not self.any:
                raise ValueError("all/any need at least one condition")
            return self
        if "field" not in given or not self.field:
            raise ValueError("condition needs 'field' (or all/any/not)")
        if len(comparisons) != 1:
            raise ValueError("condition on a field needs exactly one of equals, not_equals, in, answered")
        return self

    @property
    def operator(self) -> str:
        """'equals', 'not_equals', 'in', 'answered', 'all', 'any' or 'not'."""
        for name in ("all", "any"):
            if name in self.model_fields_set:
                return name
        if "not_" in self.model_fields_set:
            return "not"
        for name in ("equals", "not_equals", "answered"):
            if name in self.model_fields_set:
                return name
        return "in"

    def referenced_fields(self) -> set[str]:
        if self.field is not None:
            return {self.field}
        found: set[str] = set()
        for child in self.children():
            found |= child.referenced_fields()
        return found

    def children(self) -> list[Condition]:
        if self.all is not None:
            return list(self.all)
        if self.any is not None:
            return list(self.any)
        if self.not_ is not None:
            return [self.not_]
        return []


class Field(_Strict):
    id: str
    type: str
    required: bool = False
    label: LocalText
    question: LocalText
    help: LocalText | None = None
    case_data: str | None = None
    # A case slot read from an uploaded document that may answer this field once the client confirms it
    # (``employer.name``); the linter checks the name against the case schema.
    from_document: str | None = None
    validation: Validation | None = None
    options: list[OptionSpec] | None = None
    when: Condition | None = None
    # Other names a client might use for this field ("Geburtstag", "birthday"); used by find_field_by_name.
    aliases: dict[str, list[str]] | None = None
    # Optional heading: consecutive fields with the same section are asked together by e-mail (one batch).
    section: LocalText | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not ID_PATTERN.match(value):
            raise ValueError(
                f"field id {value!r} must be lower case letters, digits and _ (starting with a letter)"
            )
        return value

    @field_validator("type")
    @classmethod
    def _type(cls, value: str) -> str:
        if value not in FIELD_TYPES:
            raise ValueError(f"unknown field type {value!r} (expected one of {', '.join(FIELD_TYPES)})")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Field:
        # "[key] message" points the linter at the YAML key the problem belongs to.
        if self.type in CHOICE_TYPES:
            if not self.options:
                raise ValueError(f"[type] field {self.id!r} of type {self.type} needs options")
            seen: set[str] = set()
            for index, option in enumerate(self.options):
                if option.key in seen:
                    raise ValueError(
                        f"[options.{index}.key] duplicate option key {option.key!r} in field {self.id!r}"
                    )
                seen.add(option.key)
        elif self.options is not None:
            raise ValueError(f"[options] field {self.id!r} of type {self.type} cannot have options")
        if self.validation is not None:
            allowed = RULES_BY_TYPE.get(self.type, frozenset())
            wrong = sorted(self.validation.rules() - allowed)
            if wrong:
                raise ValueError(
                    f"[validation.{wrong[0]}] validation rule(s) {', '.join(wrong)} "
                    f"do not apply to type {self.type}"
                    + (f" (allowed: {', '.join(sorted(allowed))})" if allowed else "")
                )
        return self

    def text(self, attr: str, lang: str) -> str:
        """label / question / help in `lang`, falling back to German; '' if the field has none."""
        return pick_text(getattr(self, attr), lang)

    def option_objects(self) -> list[Option]:
        return [
            Option(key=option.key, labels=dict(option.label),
                   aliases=tuple(a for words in (option.aliases or {}).values() for a in words))
            for option in self.options or []
        ]

    def option_keys(self) -> list[str]:
        return [option.key for option in self.options or []]


class Questionnaire(_Strict):
    id: str
    version: int = PydField(ge=1)
    title: LocalText
    intro: LocalText | None = None
    languages: list[str] = PydField(default_factory=lambda: list(DEFAULT_LANGUAGES))
    fields: list[Field] = PydField(min_length=1)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not re.match(r"^[a-z][a-z0-9_-]*$", value):
            raise ValueError(f"questionnaire id {value!r} must be lower case letters, digits, _ and -")
        return value

    @model_validator(mode="after")
    def _unique_ids(self) -> Questionnaire:
        ids = [field.id for field in self.fields]
        duplicates = sorted({fid for fid in ids if ids.count(fid) > 1})
        if duplicates:
            raise ValueError(f"duplicate field id(s): {', '.join(duplicates)}")  # the linter says where
        return self

    def field(self, field_id: str) -> Field:
        for candidate in self.fields:
            if candidate.id == field_id:
                return candidate
        raise KeyError(f"questionnaire {self.id!r} has no field {field_id!r}")

    def has_field(self, field_id: str) -> bool:
        return any(candidate.id == field_id for candidate in self.fields)

    def field_ids(self) -> list[str]:
        return [candidate.id for candidate in self.fields]

    def text(self, attr: str, lang: str) -> str:
        return pick_text(getattr(self, attr), lang)


def pick_text(texts: Mapping[str, str] | None, lang: str) -> str:
    if not texts:
        return ""
    return (texts.get(lang) or texts.get(normalise_lang(lang)) or texts.get(FALLBACK_LANGUAGE)
            or next(iter(texts.values()), ""))


# --------------------------------------------------------------------------- YAML with line numbers


def node_line(root: yaml.Node | None, loc: Iterable[Any]) -> int:
    """1-based line of the YAML node at `loc` (keys and list indexes); the deepest existing
    ancestor when the path does not exist (e.g. a missing key). For a mapping key the line of
    the key is returned, which is where a reader looks."""
    if root is None:
        return 1
    node: yaml.Node = root
    line = root.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part):
                    line = key_node.start_mark.line + 1
                    node = value_node
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is ~10x faster, same marks


def compose_yaml(text: str) -> tuple[Any, yaml.Node | None]:
    """(data, node tree) of one YAML document, parsed once; raises yaml.YAMLError."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return data, node


def yaml_error_line(exc: yaml.YAMLError) -> int:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return mark.line + 1 if mark is not None else 1


def read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """Data and node tree of a YAML file; QuestionnaireError with file:line on syntax errors."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestionnaireError(f"{path}: cannot read file: {exc}") from None
    try:
        data, node = compose_yaml(text)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        raise QuestionnaireError(f"{path}:{yaml_error_line(exc)}: YAML syntax error: {problem}") from None
    return data, node


_HINT = re.compile(r"^\[([\w.]+)\] ")


def pydantic_issues(exc: ValidationError, root: yaml.Node | None) -> list[tuple[int, str]]:
    """(line, message) for each pydantic error, worded for people who write YAML."""
    issues: list[tuple[int, str]] = []
    for error in exc.errors():
        loc = [part for part in error["loc"] if isinstance(part, int | str)]
        # pydantic adds union/validator names (e.g. 'function-after[...]') that are not YAML keys
        loc = [part for part in loc if not (isinstance(part, str) and ("[" in part or part.endswith("]")))]
        where = ".".join(str(part) for part in loc) or "top level"
        kind = error["type"]
        if kind == "extra_forbidden":
            message = f"unknown key {loc[-1]!r}" + (f" in {'.'.join(map(str, loc[:-1]))}" if loc[:-1] else "")
        elif kind == "missing":
            message = f"missing key {loc[-1]!r}" + (f" in {'.'.join(map(str, loc[:-1]))}" if loc[:-1] else "")
        else:
            msg = str(error["msg"])
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, ") :]
            hint = _HINT.match(msg)
            if hint:
                loc = loc + [int(part) if part.isdigit() else part for part in hint.group(1).split(".")]
                msg = msg[hint.end() :]
                message = msg
            else:
                message = f"{where}: {msg}"
        issues.append((node_line(root, loc), message))
    return issues


def parse_questionnaire(data: Any, root: yaml.Node | None, path: Path) -> Questionnaire:
    if not isinstance(data, dict):
        raise QuestionnaireError(f"{path}:1: a questionnaire file must be a mapping with id, version, fields")
    try:
        return Questionnaire.model_validate(data)
    except ValidationError as exc:
        lines = [f"{path}:{line}: {message}" for line, message in pydantic_issues(exc, root)]
        raise QuestionnaireError("\n".join(lines)) from None
