"""The signing page's posts read into one shape: JSON (signature as a base64 data URL) or multipart
(signature as a file part); the body has already been read within its cap."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from fastapi import Request


async def parse(request: Request, raw: bytes) -> dict[str, Any]:
    """JSON (signature as a base64 data URL) or multipart (signature as a file part) into one shape."""
    ctype = request.headers.get("content-type", "").lower()
    if ctype.startswith("application/json"):
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ValueError("not JSON") from exc
        if not isinstance(data, dict):
            raise ValueError("not an object")
        sig = data.get("signature")
        if not isinstance(sig, str):
            raise ValueError("no signature")
        if sig.startswith("data:"):
            sig = sig.partition(",")[2]
        try:
            png = base64.b64decode(sig, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("signature not base64") from exc
        values = data.get("values") or {}
    elif ctype.startswith("multipart/form-data"):
        async def replay() -> dict[str, Any]:
            return {"type": "http.request", "body": raw, "more_body": False}

        try:
            form = await Request(request.scope, replay).form(max_files=2, max_fields=100)
        except Exception as exc:  # starlette raises its own types (and HTTPException) for broken forms
            raise ValueError("unreadable form") from exc
        upload = form.get("signature")
        if upload is None or isinstance(upload, str):
            raise ValueError("no signature")
        png = await upload.read()
        data = {k: v for k, v in form.items() if isinstance(v, str)}
        try:
            values = json.loads(data.get("values") or "{}")
        except ValueError as exc:
            raise ValueError("values not JSON") from exc
    else:
        raise ValueError("unsupported content type")
    if not isinstance(values, dict) or len(values) > 50:
        raise ValueError("values must be an object")
    return {**data, "png": png, "values": values}


def field(raw: bytes, request: Request, name: str) -> str | None:
    if request.headers.get("content-type", "").lower().startswith("application/json"):
        try:
            data = json.loads(raw.decode("utf-8") or "{}")
        except (UnicodeDecodeError, ValueError):
            return None
        value = data.get(name) if isinstance(data, dict) else None
        return value if isinstance(value, str) else None
    return None


def truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in {"1", "true", "yes", "on", "ja"}


def text_value(value: Any) -> str | None:
    return value[:500] if isinstance(value, str) and value.strip() else None
