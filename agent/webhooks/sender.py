"""The outbox sender of channel ``webhook``: one signed POST per row.

The signature follows Stripe's scheme so receivers can use what they know::

    Mandat-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>

``t`` is the time of this attempt (a receiver rejects old timestamps against replays); the body bytes and
the event id are the same on every attempt, so a receiver dedupes by ``id``. Anything but a 2xx answer
is a failure the outbox retries with backoff; redirects are not followed (they could lead anywhere).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from dataclasses import dataclass

import httpx

from agent.messages import OutboundMessage
from agent.outbox import Undeliverable
from agent.store.db import Database
from agent.store.sync_tables import Webhook
from agent.webhooks.guard import Target, WebhookUrlRefused, check_url

SIGNATURE_HEADER = "Mandat-Signature"
USER_AGENT = "Mandat-Webhooks/1"
CACHE_S = 30.0  # how long a webhook's URL, secret and resolved address are reused


def sign(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class WebhookRejected(Exception):
    """The receiver answered, but not with 2xx; retried."""


@dataclass(frozen=True)
class _Hook:
    secret: str
    target: Target
    until: float


class WebhookSender:
    def __init__(self, db: Database, *, allow_private: bool = False, timeout_s: float = 10.0) -> None:
        self.db = db
        self.allow_private = allow_private
        self._client = httpx.Client(timeout=httpx.Timeout(timeout_s, connect=min(5.0, timeout_s)),
                                    follow_redirects=False, headers={"User-Agent": USER_AGENT})
        self._cache: dict[int, _Hook] = {}
        self._guard = threading.Lock()

    def _hook(self, webhook_id: int) -> _Hook:
        now = time.monotonic()
        with self._guard:
            cached = self._cache.get(webhook_id)
        if cached is not None and cached.until > now:
            return cached
        with self.db.read() as s:
            row = s.get(Webhook, webhook_id)
            if row is None or not row.active:
                raise Undeliverable(f"webhook {webhook_id} was removed")
            url, secret = row.url, row.secret
        try:
            target = check_url(url, allow_private=self.allow_private)  # resolved now, connected to below
        except WebhookUrlRefused as exc:
            raise WebhookRejected(f"refused: {exc}") from None  # DNS may recover; retried within the window
        hook = _Hook(secret=secret, target=target, until=now + CACHE_S)
        with self._guard:
            self._cache[webhook_id] = hook
        return hook

    def __call__(self, message: OutboundMessage) -> None:
        try:
            webhook_id = int(message.address)
        except ValueError:
            raise Undeliverable(f"not a webhook id: {message.address!r}") from None
        hook = self._hook(webhook_id)
        body = message.text.encode("utf-8")
        meta = message.meta or {}
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(hook.secret, body, int(time.time())),
                   "Mandat-Event-Id": str(meta.get("event_id", "")), "Mandat-Event": str(meta.get("type", ""))}
        url, extensions = _pinned(hook.target, headers)
        try:
            response = self._client.post(url, content=body, headers=headers, extensions=extensions)
        except httpx.HTTPError as exc:
            with self._guard:  # the address may have changed: resolve again next time
                self._cache.pop(webhook_id, None)
            raise WebhookRejected(f"{type(exc).__name__}: {exc}") from None
        if not 200 <= response.status_code < 300:
            raise WebhookRejected(f"HTTP {response.status_code}: {response.text[:200]}")

    def close(self) -> None:
        self._client.close()


def _pinned(target: Target, headers: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The URL with the checked address in place of the name; Host and TLS name stay the original."""
    address = f"[{target.address}]" if ":" in target.address else target.address
    default = 443 if target.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host
    headers["Host"] = host if target.port == default else f"{host}:{target.port}"
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    return f"{target.scheme}://{address}:{target.port}{target.path}", extensions
