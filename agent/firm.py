"""The firm folder: branding, sender address and staff from `firm.yaml`.

Other parts of the folder (documents/, email/, faq.yaml, questionnaires/) have their own loaders.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from agent.i18n import normalise_lang
from agent.questionnaire.model import compose_yaml, node_line, pydantic_issues, yaml_error_line
from agent.reminders.config import ReminderOptions

__all__ = ["Firm", "FirmError", "Staff", "load_firm", "FIRM_FILE"]

FIRM_FILE = "firm.yaml"
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_LANG = re.compile(r"^[a-z]{2}$")


class FirmError(ValueError):
    """A firm folder that cannot be used; the message names the file (and line) and the problem."""


class Staff(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    email: EmailStr
    role: str

    @field_validator("name", "role")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()


class BatchOptions(BaseModel):
    """How many questions one message asks (``email.batch_max`` / ``chat.batch_max`` in firm.yaml).
    E-mail asks a whole batch by default; web chat and Telegram ask one at a time unless set above 1."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    batch_max: int = Field(8, ge=0, le=30)


class Firm(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    description: dict[str, str]
    logo: str | None = None
    colour: str
    sender: EmailStr
    languages: list[str] = ["de", "en"]
    default_language: str = "de"
    staff: list[Staff]
    # Optional contact details for letterheads and e-mail signatures.
    address: str | None = None
    phone: str | None = None
    website: str | None = None
    # Batched asking per channel kind: e-mail on (8), chat channels off (0 or 1 = one question at a time).
    email: BatchOptions = BatchOptions()
    chat: BatchOptions = BatchOptions(batch_max=0)
    # When and how often clients who stopped half way are reminded (agent/reminders/config.py).
    reminders: ReminderOptions = ReminderOptions()

    _root: Path | None = PrivateAttr(default=None)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not re.match(r"^[a-z0-9][a-z0-9_-]*$", value):
            raise ValueError(f"firm id {value!r} must be lower case letters, digits, _ and -")
        return value

    @field_validator("colour")
    @classmethod
    def _colour(cls, value: str) -> str:
        if not _COLOUR.match(value):
            raise ValueError(f"colour must be a hex colour like #1f4e79, got {value!r}")
        return value.lower()

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one language is needed")
        bad = [lang for lang in value if not _LANG.match(lang)]
        if bad:
            raise ValueError(f"languages are two-letter codes like de, en; got {bad[0]!r}")
        return value

    @field_validator("logo")
    @classmethod
    def _logo(cls, value: str | None) -> str | None:
        if value is not None and (Path(value).is_absolute() or ".." in Path(value).parts):
            raise ValueError("logo must be a path inside the firm folder")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Firm:
        if self.default_language not in self.languages:
            raise ValueError(
                f"default_language {self.default_language!r} is not in languages {self.languages}"
            )
        missing = [lang for lang in self.languages if not self.description.get(lang, "").strip()]
        if missing:
            raise ValueError(f"description is missing the language(s) {', '.join(missing)}")
        if not self.staff:
            raise ValueError("staff needs at least one person")
        emails = [person.email.lower() for person in self.staff]
        duplicates = sorted({email for email in emails if emails.count(email) > 1})
        if duplicates:
            raise ValueError(f"staff e-mail {duplicates[0]} appears twice")
        return self

    def staff_by_email(self, email: str) -> Staff | None:
        wanted = email.strip().lower()
        return next((person for person in self.staff if person.email.lower() == wanted), None)

    def description_in(self, lang: str) -> str:
        return self.description.get(normalise_lang(lang)) or self.description.get(self.default_language) or ""

    def logo_path(self) -> Path | None:
        """Absolute path of the logo file (None without logo or when not loaded from a folder)."""
        if self.logo is None or self._root is None:
            return None
        return self._root / self.logo

    @property
    def root(self) -> Path | None:
        return self._root


def load_firm(firm_dir: Path) -> Firm:
    """Read `<firm_dir>/firm.yaml`. Raises FirmError naming the file, line and problem."""
    firm_dir = Path(firm_dir)
    path = firm_dir / FIRM_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FirmError(f"{path}: file not found (is {firm_dir} a firm folder?)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FirmError(f"{path}: cannot read file: {exc}") from None
    try:
        data, root = compose_yaml(text)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or exc
        raise FirmError(f"{path}:{yaml_error_line(exc)}: YAML syntax error: {problem}") from None
    if not isinstance(data, dict):
        raise FirmError(
            f"{path}:1: firm.yaml must be a mapping (id, name, description, colour, sender, staff)"
        )
    try:
        firm = Firm.model_validate(data)
    except ValidationError as exc:
        problems = [f"{path}:{line}: {message}" for line, message in pydantic_issues(exc, root)]
        raise FirmError("\n".join(problems)) from None
    if firm.logo is not None and not (firm_dir / firm.logo).is_file():
        line = node_line(root, ["logo"])
        raise FirmError(f"{path}:{line}: logo file {firm.logo!r} not found in {firm_dir}")
    firm._root = firm_dir.resolve()
    return firm
