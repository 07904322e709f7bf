"""Staff authentication: one bearer token from ``MANDAT_STAFF_TOKEN``; without it the staff API is off."""

from __future__ import annotations

import hashlib
import hmac

from fastapi import HTTPException, Request, status

OFF_MESSAGE = "The staff API is off: set MANDAT_STAFF_TOKEN to turn it on."


def _digest(value: str) -> bytes:
    # Equal-length digests keep compare_digest from leaking the token's length.
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest()


def token_matches(given: str | None, expected: str) -> bool:
    return hmac.compare_digest(_digest(given or ""), _digest(expected)) and given is not None


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


class StaffGuard:
    """FastAPI dependency: 503 when the API is off, 401 for a missing or wrong token (before any work)."""

    def __init__(self, token: str | None) -> None:
        self.token = token or None

    @property
    def enabled(self) -> bool:
        return self.token is not None

    def __call__(self, request: Request) -> None:
        if self.token is None:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, OFF_MESSAGE)
        if not token_matches(bearer(request), self.token):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "A valid staff token is required.",
                                headers={"WWW-Authenticate": "Bearer"})
