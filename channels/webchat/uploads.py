"""A streaming multipart reader that enforces the per-file cap while the bytes arrive.

Starlette's ``request.form()`` spools any size to disk before we could say no; here an oversized
file is counted and dropped chunk by chunk (nothing of it is kept), the rest of the body is drained
up to a hard limit so the client still gets a clean 413 answer, and a body beyond that limit is cut off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

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
    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise FormError("err_multipart")
    hard_limit = max_files * max_file_bytes + 256 * 1024
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > hard_limit:
        raise TooLarge("err_body_too_large")

    parts: list[_Part] = []
    current = _Part()
    header_field = bytearray()
    header_value = bytearray()
    headers: dict[bytes, bytes] = {}
    kept_files = 0

    def on_part_begin() -> None:
        nonlocal current
        current = _Part()
        headers.clear()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_field.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        headers[bytes(header_field).lower()] = bytes(header_value)
        header_field.clear()
        header_value.clear()

    def on_headers_finished() -> None:
        nonlocal kept_files
        _disp, opts = parse_options_header(headers.get(b"content-disposition", b""))
        current.name = opts.get(b"name", b"").decode("utf-8", "replace")
        raw_name = opts.get(b"filename")
        current.filename = None if raw_name is None else raw_name.decode("utf-8", "replace")
        current.content_type = headers.get(b"content-type", b"").decode("latin-1")[:100] or None
        if current.filename is not None and current.name == "file":
            kept_files += 1
            if kept_files > max_files:
                raise FormError("err_too_many", n=max_files)
        elif current.name not in ("text", "id"):
            current.dropped = True  # a field we do not use: read past it

    def on_part_data(data: bytes, start: int, end: int) -> None:
        current.size += end - start
        limit = max_file_bytes if current.filename is not None else MAX_FIELD_BYTES
        if current.size > limit:
            current.dropped = True
            current.data = bytearray()  # nothing of an oversized file is kept
        if not current.dropped:
            current.data.extend(data[start:end])

    def on_part_end() -> None:
        parts.append(current)

    parser = MultipartParser(boundary, {
        "on_part_begin": on_part_begin, "on_header_field": on_header_field, "on_header_value": on_header_value,
        "on_header_end": on_header_end, "on_headers_finished": on_headers_finished,
        "on_part_data": on_part_data, "on_part_end": on_part_end,
    })
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

    files: list[Attachment] = []
    fields: dict[str, str] = {}
    for part in parts:
        if part.filename is not None and part.name == "file":
            name = clean_filename(part.filename)
            if part.size > max_file_bytes:
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
