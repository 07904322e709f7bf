"""Pieces of the HTTP edge without a server: file names, token comparison, headers on a crash."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from agent.api.auth import token_matches
from agent.api.files import content_disposition, safe_filename
from agent.app import CSP, MandatApp


@pytest.mark.parametrize(("original", "kind", "expected"), [
    ("brief.pdf", "pdf", "brief.pdf"),
    ("../../etc/passwd", "pdf", "passwd.pdf"),
    ("C:\\Users\\x\\scan.PNG", "png", "scan.PNG"),
    ('a"b;c\r\nd.jpg', "jpeg", "abcd.jpg"),
    ("photo.png", "jpeg", "photo.png.jpg"),
    ("", None, "document"),
    ("...", "pdf", "document.pdf"),
    ("Kündigung.pdf", "pdf", "Kündigung.pdf"),
])
def test_safe_filename(original: str, kind: str | None, expected: str) -> None:
    assert safe_filename(original, kind) == expected


def test_content_disposition_has_an_ascii_fallback_and_the_utf8_name() -> None:
    header = content_disposition("Kündigung März.pdf")
    assert header == "attachment; filename=\"Kundigung Marz.pdf\"; filename*=UTF-8''K%C3%BCndigung%20M%C3%A4rz.pdf"


def test_token_comparison() -> None:
    assert token_matches("s3cret", "s3cret")
    assert not token_matches("s3cre", "s3cret")
    assert not token_matches(None, "s3cret")
    assert not token_matches("", "s3cret")


@pytest.mark.anyio
async def test_even_an_unhandled_error_carries_the_security_headers() -> None:
    app: FastAPI = MandatApp()

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        resp = await client.get("/boom")
    assert resp.status_code == 500
    assert resp.headers["content-security-policy"] == CSP
    assert resp.headers["cache-control"] == "no-store"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
