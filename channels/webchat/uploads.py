"""A streaming multipart reader that enforces the per-file cap while the bytes arrive.

Starlette's ``request.form()`` spools any size to disk before we could say no; here an oversized
file is counted and dropped chunk by chunk (nothing of it is kept), the rest of the body is drained
up to a hard limit so the client still gets a clean 413 answer, and a body beyond that limit is cut off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from agent.messages import Attachment

MAX_FIELD_BYTES = 20_000
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class FormError(Exception):
    """The body is not a readable multipart form; ``code`` names the text to show."""

    def __init__(self, code: str, **values: object) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


class TooLarge(FormError):
    """A file (or the whole body) is over the cap: answer 413."""


@dataclass
class _Part:
    name: str = ""
    filename: str | None = None
    content_type: str | None = None
    data: bytearray = field(default_factory=bytearray)
    size: int = 0
    dropped: bool = False


@dataclass
class UploadForm:
    files: list[Attachment]
    fields: dict[str, str]


def clean_filename(raw: str) -> str:
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = _CONTROL.sub("", name).strip().strip(".") or "upload"
    return name[:200]


async def read_upload_form(request: Request, *, max_file_bytes: int, max_files: int) -> UploadForm:
    hard_limit = max_files * max_file_bytes + 256 * 1024  # room for the fields; beyond it the body is cut off
    boundary = _boundary(request, hard_limit=hard_limit)
    collector = _Collector(max_file_bytes=max_file_bytes, max_files=max_files)
    parser = MultipartParser(boundary, collector.callbacks())
    total = 0
    try:
        async for chunk in request.stream():
            total += len(chunk)
            if total > hard_limit:
                raise TooLarge("err_body_too_large")
            parser.write(chunk)
        parser.finalize()
    except FormError:
        raise
    except Exception as exc:  # malformed multipart: the parser's own errors
        raise FormError("err_multipart") from exc
    return collector.form()


def _boundary(request: Request, *, hard_limit: int) -> bytes:
    """The form's boundary; refused before reading when it is no form or declares too many bytes."""
    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise FormError("err_multipart")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > hard_limit:
        raise TooLarge("err_body_too_large")
    return boundary


class _Collector:
    """The parser's callbacks: collect the parts, keep only the files and fields we use, drop an
    oversized file chunk by chunk while it arrives."""

    def __init__(self, *, max_file_bytes: int, max_files: int) -> None:
        self.max_file_bytes = max_file_bytes
        self.max_files = max_files
        self.parts: list[_Part] = []
        self.current = _Part()
        self.header_field = bytearray()
        self.header_value = bytearray()
        self.headers: dict[bytes, bytes] = {}
        self.kept_files = 0

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self.on_part_begin, "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value, "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished, "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
        }

    def on_part_begin(self) -> None:
        self.current = _Part()
        self.headers.clear()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_field.extend(data[start:end])

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value.extend(data[start:end])

    def on_header_end(self) -> None:
        self.headers[bytes(self.header_field).lower()] = bytes(self.header_value)
        self.header_field.clear()
        self.header_value.clear()

    def on_headers_finished(self) -> None:
        current = self.current
        _disp, opts = parse_options_header(self.headers.get(b"content-disposition", b""))
        current.name = opts.get(b"name", b"").decode("utf-8", "replace")
        raw_name = opts.get(b"filename")
        current.filename = None if raw_name is None else raw_name.decode("utf-8", "replace")
        current.content_type = self.headers.get(b"content-type", b"").decode("latin-1")[:100] or None
        if current.filename is not None and current.name == "file":
            self.kept_files += 1
            if self.kept_files > self.max_files:
                raise FormError("err_too_many", n=self.max_files)
        elif current.name not in ("text", "id"):
            current.dropped = True  # a field we do not use: read past it

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        current = self.current
        current.size += end - start
        limit = self.max_file_bytes if current.filename is not None else MAX_FIELD_BYTES
        if current.size > limit:
            current.dropped = True
            current.data = bytearray()  # nothing of an oversized file is kept
        if not current.dropped:
            current.data.extend(data[start:end])

    def on_part_end(self) -> None:
        self.parts.append(self.current)

    def form(self) -> UploadForm:
        files: list[Attachment] = []
        fields: dict[str, str] = {}
        for part in self.parts:
            if part.filename is not None and part.name == "file":
                name = clean_filename(part.filename)
                if part.size > self.max_file_bytes:
                    raise TooLarge("err_too_large", name=name)
                if part.size == 0:
                    if not part.filename:
                        continue  # an empty file input: nothing chosen
                    raise FormError("err_empty", name=name)
                files.append(Attachment(filename=name, content=bytes(part.data), declared_type=part.content_type))
            elif part.name in ("text", "id") and not part.dropped:
                try:
                    fields[part.name] = bytes(part.data).decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise FormError("err_utf8") from exc
        return UploadForm(files=files, fields=fields)
