"""The firm's e-mail templates (``<firm_dir>/email/``): a YAML spec per template plus Jinja2 bodies.

    invitation.yaml        subject: {de: ..., en: ...}; items: {questionnaires, uploads, sign}
    invitation.de.txt.j2   plain text body        invitation.de.html.j2  HTML body (autoescaped)
    invitation.en.txt.j2 / invitation.en.html.j2

Templates run in a sandbox: a firm's template can format values but never reach Python internals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jinja2 import FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.i18n import LANGS, normalise_lang

# Every template may use these; they are always defined (None when unknown) so `{% if x %}` works
# under StrictUndefined, which still catches misspelt names.
MERGE_FIELDS = (
    "client_name", "firm_name", "staff_name", "first_question", "chat_link", "telegram_link",
    "request_id", "items", "brand_color", "logo_url", "lang", "request_link",
)
STAFF_TEMPLATES = (
    "notify_upload", "notify_questionnaire_completed", "notify_document_signed", "notify_needs_person",
    "notify_quarantined", "notify_digest",
)


class TemplateProblem(Exception):
    """A template file is missing or broken; the message names the file."""


class UploadItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: dict[str, str] | str
    required: bool = True


class DefaultItems(BaseModel):
    model_config = ConfigDict(extra="forbid")
    questionnaires: list[str] = Field(default_factory=list)
    uploads: list[UploadItem] = Field(default_factory=list)
    sign: list[str] = Field(default_factory=list)

    def upload_labels(self, lang: str) -> list[str]:
        out = []
        for item in self.uploads:
            label = item.label
            out.append(label if isinstance(label, str) else label.get(lang) or label.get("de") or
                       next(iter(label.values()), ""))
        return out


class TemplateSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject: dict[str, str]
    description: str | None = None
    items: DefaultItems = Field(default_factory=DefaultItems)
    audience: str = "client"  # client | staff


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str | None
    lang: str


class EmailTemplates:
    def __init__(self, firm_dir: Path | str):
        self.dir = Path(firm_dir) / "email"
        self._files = SandboxedEnvironment(
            loader=FileSystemLoader(str(self.dir)),
            autoescape=lambda name: bool(name) and name.endswith((".html.j2", ".html")),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self._strings = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined)

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.dir.glob("*.yaml")) if self.dir.is_dir() else []

    def spec(self, name: str) -> TemplateSpec:
        path = self.dir / f"{name}.yaml"
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            return TemplateSpec.model_validate(data)
        except FileNotFoundError:
            raise TemplateProblem(f"{path}: no such template") from None
        except (yaml.YAMLError, ValidationError) as exc:
            raise TemplateProblem(f"{path}: {exc}") from None

    def languages(self, name: str) -> list[str]:
        return [lang for lang in LANGS if (self.dir / f"{name}.{lang}.txt.j2").is_file()]

    def render(self, name: str, lang: str, context: Mapping[str, Any]) -> RenderedEmail:
        """Render subject, text and (when present) HTML in ``lang``, falling back to German, then English."""
        spec = self.spec(name)
        available = self.languages(name)
        if not available:
            raise TemplateProblem(f"{self.dir}/{name}.<lang>.txt.j2: no text body")
        lang = normalise_lang(lang)
        chosen = lang if lang in available else ("de" if "de" in available else available[0])
        values: dict[str, Any] = dict.fromkeys(MERGE_FIELDS)
        values.update({"items": [], "brand_color": "#1f3a5f", "lang": chosen})
        values.update(context)
        subject_src = spec.subject.get(chosen) or spec.subject.get("de") or next(iter(spec.subject.values()))
        try:
            subject = " ".join(self._strings.from_string(subject_src).render(values).split())
            text = self._files.get_template(f"{name}.{chosen}.txt.j2").render(values)
            html: str | None
            try:
                html = self._files.get_template(f"{name}.{chosen}.html.j2").render(values)
            except TemplateNotFound:
                html = None
        except TemplateError as exc:
            raise TemplateProblem(f"{self.dir}/{name} ({chosen}): {exc}") from exc
        return RenderedEmail(subject=subject, text=text.strip() + "\n", html=html, lang=chosen)

    def check(self) -> list[str]:
        """Problems in every template (for a lint command): unreadable specs, missing bodies, syntax."""
        problems = []
        for name in self.names():
            try:
                self.spec(name)
            except TemplateProblem as exc:
                problems.append(str(exc))
            if not self.languages(name):
                problems.append(f"{name}: no text body in any language")
            for lang in LANGS:
                for kind in ("txt", "html"):
                    fname = f"{name}.{lang}.{kind}.j2"
                    if (self.dir / fname).is_file():
                        try:
                            self._files.get_template(fname)
                        except TemplateError as exc:
                            problems.append(f"{fname}: {exc}")
        return problems
