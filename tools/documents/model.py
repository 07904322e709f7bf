"""Data types of the document pipeline (plain dataclasses; the core maps them to its tables)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from agent.i18n import normalise_lang

if TYPE_CHECKING:
    from tools.documents.slots import SlotValue


@dataclass(frozen=True)
class Limits:
    """Caps for one document. The defaults suit phone photos and scanned letters of up to 200 pages."""

    max_bytes: int = 20 * 1024 * 1024
    max_pages: int = 200
    max_pixels: int = 40_000_000
    max_stream_bytes: int = 200 * 1024 * 1024
    timeout_s: float = 60.0
    memory_mb: int = 1024
    ocr: bool = True


@dataclass(frozen=True)
class PageText:
    page: int  # 1-based
    text: str
    method: str  # "text" (PDF text layer) | "ocr"


@dataclass(frozen=True)
class Fact:
    """One value read from a document, with its provenance."""

    name: str
    value: str
    page: int
    evidence: str
    confidence: float
    method: str = "rules"  # "rules" | "llm"


@dataclass(frozen=True)
class Deadline:
    kind: str  # "kschg_claim" | "owig_objection" | "stated"
    due_date: date
    basis: str  # German explanation with the legal basis
    evidence: str
    page: int
    needs_confirmation: bool


ERROR_TEXTS: dict[str, tuple[str, str]] = {
    "type.unsupported": (
        "Dieses Dateiformat kann ich nicht lesen. Bitte senden Sie ein PDF oder ein Foto (JPEG, PNG).",
        "I cannot read this file format. Please send a PDF or a photo (JPEG, PNG).",
    ),
    "type.polyglot": (
        "Die Datei ist nicht eindeutig ein PDF oder Bild und wurde aus Sicherheitsgründen nicht geöffnet.",
        "The file is not clearly a PDF or an image and was not opened for security reasons.",
    ),
    "too_large": (
        "Die Datei ist zu groß. Bitte senden Sie eine kleinere Datei (höchstens {mb} MB).",
        "The file is too large. Please send a smaller file (at most {mb} MB).",
    ),
    "too_many_pages": (
        "Das Dokument hat zu viele Seiten (höchstens {pages}). Bitte senden Sie nur die wichtigen Seiten.",
        "The document has too many pages (at most {pages}). Please send only the relevant pages.",
    ),
    "too_many_pixels": (
        "Das Bild ist zu groß. Bitte senden Sie ein Foto mit geringerer Auflösung.",
        "The image is too large. Please send a photo with a lower resolution.",
    ),
    "bomb": (
        "Die Datei enthält ungewöhnlich stark komprimierte Daten und wurde aus Sicherheitsgründen nicht geöffnet.",
        "The file contains unusually highly compressed data and was not opened for security reasons.",
    ),
    "memory": (
        "Die Datei braucht zu viel Speicher zum Öffnen. Bitte senden Sie eine kleinere Datei.",
        "Opening the file needs too much memory. Please send a smaller file.",
    ),
    "timeout": (
        "Das Lesen der Datei hat zu lange gedauert. Bitte senden Sie sie als kleinere Datei erneut.",
        "Reading the file took too long. Please send it again as a smaller file.",
    ),
    "encrypted": (
        "Das PDF ist passwortgeschützt. Bitte senden Sie es ohne Passwort.",
        "The PDF is password-protected. Please send it without a password.",
    ),
    "damaged": (
        "Die Datei ist beschädigt und kann nicht gelesen werden. Bitte senden Sie sie erneut.",
        "The file is damaged and cannot be read. Please send it again.",
    ),
    "empty": (
        "Die Datei ist leer.",
        "The file is empty.",
    ),
    "internal": (
        "Die Datei konnte nicht verarbeitet werden. Ihre Kanzlei sieht sie sich an.",
        "The file could not be processed. Your law firm will look at it.",
    ),
}


@dataclass
class DocumentAnalysis:
    kind: str | None  # "pdf" | "jpeg" | "png" | "tiff"
    mime: str | None
    sha256: str
    pages: list[PageText] = field(default_factory=list)
    doc_type: str = "other"
    doc_type_confidence: float = 0.0
    facts: list[Fact] = field(default_factory=list)
    deadlines: list[Deadline] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    error: str | None = None
    # case-schema slots by role (employer.name, letter_date, …); empty when the rules found none or failed
    slots: dict[str, SlotValue] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits, repr=False)

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.pages)

    def error_text(self, lang: str = "de") -> str:
        """Client-facing message for ``error`` in German ("de") or English; "" when there is none."""
        if self.error is None:
            return ""
        de, en = ERROR_TEXTS.get(self.error, ERROR_TEXTS["internal"])
        template = en if normalise_lang(lang) == "en" else de
        return template.format(mb=self.limits.max_bytes // (1024 * 1024), pages=self.limits.max_pages)
