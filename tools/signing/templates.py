"""Document templates (PDF + YAML in the firm folder) and prefilling them from case data."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, ByteStringObject, NameObject, NumberObject

from agent.i18n import normalise_lang

from .errors import MissingValue, TemplateError

FieldSource = Literal["case", "client"]
FieldType = Literal["text", "date", "checkbox"]
_PDF_TYPES = {"text": "/Tx", "date": "/Tx", "checkbox": "/Btn"}
_READ_ONLY = 1


class Localised(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    de: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.en if normalise_lang(lang) == "en" else self.de


class FieldSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1, description="AcroForm field name (/T)")
    source: FieldSource
    key: str | None = Field(default=None, description="case data key (dotted), for source 'case'")
    type: FieldType = "text"
    label: Localised
    required: bool = False
    max_length: int = Field(default=200, ge=1, le=2000)

    @model_validator(mode="after")
    def _key_matches_source(self) -> FieldSpec:
        if self.source == "case" and not self.key:
            raise ValueError(f"field {self.name!r}: source 'case' needs a 'key' (e.g. client.full_name)")
        if self.source == "client" and self.key:
            raise ValueError(f"field {self.name!r}: a client field has no case data 'key'")
        return self


class SignatureBox(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    page: int = Field(ge=1, description="1-based page number")
    x: float = Field(ge=0)
    y: float = Field(ge=0)
    width: float = Field(gt=10)
    height: float = Field(gt=10)
    label: str = ""


class DocumentTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    version: int | str
    title: Localised
    legal_form: Literal["text", "written"]
    legal_note: Localised
    consent: Localised
    fields: list[FieldSpec] = Field(default_factory=list)
    signature_boxes: list[SignatureBox] = Field(min_length=1)

    _pdf: bytes = PrivateAttr(default=b"")
    _path: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _unique_names(self) -> DocumentTemplate:
        names = [f.name for f in self.fields]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate field names: {', '.join(dupes)}")
        return self

    @property
    def pdf(self) -> bytes:
        """The blank template PDF as loaded (bytes, so the exact source is what gets prefilled)."""
        return self._pdf

    @property
    def pdf_path(self) -> Path | None:
        return self._path

    @property
    def needs_original(self) -> bool:
        """Written form (e.g. § 80 ZPO): the simple electronic signature does not replace the original."""
        return self.legal_form == "written"

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def case_fields(self) -> list[FieldSpec]:
        return [f for f in self.fields if f.source == "case"]

    @property
    def client_fields(self) -> list[FieldSpec]:
        return [f for f in self.fields if f.source == "client"]

    @classmethod
    def from_files(cls, yaml_path: Path, pdf_path: Path) -> DocumentTemplate:
        try:
            raw = yaml.safe_load(yaml_path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise TemplateError(f"{yaml_path}: not valid YAML: {exc}") from exc
        if not isinstance(raw, dict):
            raise TemplateError(f"{yaml_path}: expected a mapping at the top level")
        try:
            template = cls.model_validate(raw)
        except ValidationError as exc:
            raise TemplateError(f"{yaml_path}: {exc}") from exc
        if template.id != yaml_path.stem:
            raise TemplateError(
                f"{yaml_path}: id {template.id!r} must match the file name {yaml_path.stem!r}")
        if not pdf_path.is_file():
            raise TemplateError(f"{yaml_path}: the PDF {pdf_path.name} is missing")
        template._pdf = pdf_path.read_bytes()
        template._path = pdf_path
        _check_against_pdf(template, yaml_path)
        return template


def _check_against_pdf(template: DocumentTemplate, where: Path) -> None:
    try:
        reader = PdfReader(io.BytesIO(template.pdf))
        pdf_fields = reader.get_fields() or {}
        pages = reader.pages
    except Exception as exc:  # pypdf raises many types for broken files
        raise TemplateError(f"{where}: the PDF cannot be read: {exc}") from exc
    problems: list[str] = []
    for spec in template.fields:
        found = pdf_fields.get(spec.name)
        if found is None:
            problems.append(f"field {spec.name!r} does not exist in the PDF")
        elif found.get("/FT") != _PDF_TYPES[spec.type]:
            problems.append(f"field {spec.name!r} is {found.get('/FT')} in the PDF, not a {spec.type} field")
    for box in template.signature_boxes:
        if box.page > len(pages):
            problems.append(f"signature box on page {box.page}, but the PDF has {len(pages)} pages")
            continue
        media = pages[box.page - 1].mediabox
        if box.x + box.width > float(media.right) or box.y + box.height > float(media.top):
            problems.append(f"signature box on page {box.page} lies outside the page")
    if problems:
        raise TemplateError(f"{where}: " + "; ".join(problems))


def load_templates(firm_dir: Path) -> dict[str, DocumentTemplate]:
    """Every `documents/<id>.yaml` (+ `<id>.pdf`) of a firm folder, validated against its PDF.

    A broken template raises TemplateError naming the file: a firm folder with a bad template
    should fail loudly at start, not when a client is about to sign.
    """
    folder = firm_dir / "documents"
    if not folder.is_dir():
        return {}
    out: dict[str, DocumentTemplate] = {}
    for yaml_path in sorted(folder.glob("*.yaml")):
        template = DocumentTemplate.from_files(yaml_path, yaml_path.with_suffix(".pdf"))
        out[template.id] = template
    return out


# -- values -----------------------------------------------------------------------------------------
def lookup(case_data: Mapping[str, Any], key: str) -> Any:
    """A dotted key in nested case data; a flat key containing dots wins ("client.full_name": ...)."""
    if key in case_data:
        return case_data[key]
    node: Any = case_data
    for part in key.split("."):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        else:
            return None
    return node


def format_value(value: Any, ftype: FieldType) -> str:
    """How a value is written into a PDF field (German conventions: 31.12.2025, 250,00)."""
    if ftype == "checkbox":
        return "/Yes" if _truthy(value) else "/Off"
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if ftype == "date" and isinstance(value, str):
        return _parse_date(value).strftime("%d.%m.%Y")
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, float | Decimal):
        return f"{value:,.2f}".replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
    if isinstance(value, Mapping):  # an address as a mapping
        value = ", ".join(str(v) for v in value.values() if v)
    if isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value if v)
    # Single-line fields: lines become ", "-separated, runs of spaces collapse.
    lines = [" ".join(line.split()) for line in str(value).splitlines()]
    return ", ".join(line for line in lines if line)


def _parse_date(text: str) -> date:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {text!r}")


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on", "ja", "/yes", "x"}
    return bool(value)


def case_values(template: DocumentTemplate, case_data: Mapping[str, Any]) -> dict[str, str]:
    values: dict[str, str] = {}
    missing: list[str] = []
    for spec in template.case_fields:
        assert spec.key is not None
        raw = lookup(case_data, spec.key)
        if raw is None and spec.key == "today":
            raw = date.today()
        text = format_value(raw, spec.type)
        if spec.required and text in ("", "/Off"):
            missing.append(f"{spec.name} ({spec.key})")
        values[spec.name] = text
    if missing:
        raise MissingValue(f"{template.id}: case data missing for " + ", ".join(missing))
    return values


def fill_fields(writer: PdfWriter, kinds: Mapping[str, str], values: Mapping[str, str | None], *,
                flatten: bool = False, read_only: set[str] | None = None) -> None:
    """Write values (already formatted) into AcroForm fields, generating their appearances.

    `kinds` maps field names to "checkbox" or another type; checkboxes take "/Yes" or "/Off".
    With flatten, a value of None keeps a text field's current value and bakes in its appearance.
    """
    texts = {k: v for k, v in values.items() if k in kinds and kinds[k] != "checkbox"}
    boxes = {k: v for k, v in values.items() if kinds.get(k) == "checkbox"}
    for page in writer.pages:
        if "/Annots" not in page:
            continue
        if texts:
            writer.update_page_form_field_values(page, texts, auto_regenerate=False, flatten=flatten)
        if boxes:
            writer.update_page_form_field_values(page, boxes, auto_regenerate=False, flatten=flatten)
        if read_only:
            for annot in page["/Annots"]:
                obj = annot.get_object()
                if obj.get("/T") in read_only:
                    obj[NameObject("/Ff")] = NumberObject(int(obj.get("/Ff", 0)) | _READ_ONLY)


def stable_id(writer: PdfWriter, seed: bytes) -> None:
    """A deterministic trailer /ID, so the same template and case data give byte-identical PDFs."""
    digest = hashlib.md5(seed, usedforsecurity=False).digest()
    writer._ID = ArrayObject([ByteStringObject(digest), ByteStringObject(digest)])  # noqa: SLF001 - pypdf has no setter


def prefill(template: DocumentTemplate, case_data: Mapping[str, Any]) -> bytes:
    """The exact version shown to the client: firm/case fields filled and read-only, not flattened.

    The client's own fields stay empty (they are filled on the page). Deterministic for equal
    inputs, so the same request shows the same bytes (and hash) again.
    """
    values = case_values(template, case_data)
    writer = PdfWriter(clone_from=io.BytesIO(template.pdf))
    fill_fields(writer, {f.name: f.type for f in template.fields}, values, read_only=set(values))
    seed = template.pdf + repr(sorted(values.items())).encode()
    stable_id(writer, seed)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()
