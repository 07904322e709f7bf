"""Errors of the signing tools; all are ValueErrors so a web layer can map them to a clear 4xx message."""

from __future__ import annotations


class SigningError(ValueError):
    """Base class; `code` is a stable machine-readable reason."""

    code = "signing_error"


class TemplateError(SigningError):
    code = "bad_template"


class MissingValue(SigningError):
    """Case data for a required firm field, or a required client field, is missing."""

    code = "missing_value"


class HashMismatch(SigningError):
    """The document changed after it was shown: the client signed something else."""

    code = "hash_mismatch"


class ForbiddenField(SigningError):
    """The client tried to set a field that is not theirs (firm/case field or an unknown name)."""

    code = "forbidden_field"


class InvalidValue(SigningError):
    code = "invalid_value"


class InvalidSignatureImage(SigningError):
    def __init__(self, code: str) -> None:
        super().__init__(f"signature image refused: {code}")
        self.code = code
