"""Signing documents: templates (PDF + YAML), prefill, page images, fill/stamp/audit/seal, verify.

Sync functions are safe from worker threads (and from inside a running event loop); async
variants exist for code that runs in the loop itself.
"""

from .errors import (
    ForbiddenField,
    HashMismatch,
    InvalidSignatureImage,
    InvalidValue,
    MissingValue,
    SigningError,
    TemplateError,
)
from .finalise import (
    SignatureInput,
    SignedResult,
    check_client_values,
    document_hash,
    finalise,
    finalise_async,
)
from .image import validate_signature_png
from .keys import FirmKey, ensure_firm_key
from .render import render_pages
from .templates import DocumentTemplate, FieldSpec, Localised, SignatureBox, load_templates, prefill
from .verify import VerifyReport, verify_command, verify_pdf, verify_pdf_async

__all__ = [
    "DocumentTemplate", "FieldSpec", "FirmKey", "ForbiddenField", "HashMismatch", "InvalidSignatureImage",
    "InvalidValue", "Localised", "MissingValue", "SignatureBox", "SignatureInput", "SignedResult",
    "SigningError", "TemplateError", "VerifyReport", "check_client_values", "document_hash",
    "ensure_firm_key", "finalise", "finalise_async", "load_templates", "prefill", "render_pages",
    "validate_signature_png", "verify_command", "verify_pdf", "verify_pdf_async",
]
