"""Which request a mail belongs to: a plus-address token, or our own Message-IDs in its thread headers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SAFE_RID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_OUR_MSGID = re.compile(r"^<?mandat\.([A-Za-z0-9_-]{1,120})\.([a-z0-9]{8,64})@([^<>\s]+?)>?$", re.IGNORECASE)


def _split(address: str) -> tuple[str, str]:
    address = address.strip().strip("<>")
    local, _, domain = address.rpartition("@")
    return local, domain.lower()


def plus_address(reply_address: str, token: str) -> str:
    """``kanzlei@x`` and ``abc`` → ``kanzlei+abc@x``."""
    if not _TOKEN.match(token):
        raise ValueError(f"token not usable in an address: {token!r}")
    local, domain = _split(reply_address)
    return f"{local}+{token}@{domain}"


def plus_token(addresses: Iterable[str], reply_address: str) -> str | None:
    """The token of the first recipient that is a plus address of ``reply_address``."""
    base_local, base_domain = _split(reply_address)
    prefix = base_local.lower() + "+"
    for address in addresses:
        local, domain = _split(address)
        if domain != base_domain or not local.lower().startswith(prefix):
            continue
        token = local[len(prefix):]
        if _TOKEN.match(token):
            return token
    return None


def _encode_rid(request_id: str) -> str:
    if _SAFE_RID.match(request_id):
        return request_id
    return "b32-" + base64.b32encode(request_id.encode()).decode().rstrip("=").lower()


def _decode_rid(encoded: str) -> str | None:
    if not encoded.startswith("b32-"):
        return encoded
    body = encoded[4:].upper()
    try:
        return base64.b32decode(body + "=" * (-len(body) % 8)).decode()
    except (ValueError, UnicodeDecodeError):
        return None


def message_id_for(request_id: str, kind: str, seq: int | str, *, domain: str) -> str:
    """Deterministic Message-ID for the ``seq``-th message of ``kind`` in a request."""
    return message_id_from_key(request_id, f"{kind}:{seq}", domain=domain)


def message_id_from_key(request_id: str, key: str, *, domain: str) -> str:
    """Deterministic Message-ID from any stable key (e.g. the outbox row's message_id): same key, same id,
    so a resend after a crash is recognisable as the same mail."""
    digest = hashlib.sha256(f"{request_id}\x00{key}".encode()).hexdigest()[:20]
    return f"<mandat.{_encode_rid(request_id)}.{digest}@{domain.lower()}>"


def request_id_from_message_id(message_id: str, own_domains: Iterable[str] | None = None) -> str | None:
    m = _OUR_MSGID.match(message_id.strip())
    if not m:
        return None
    if own_domains is not None and m.group(3).lower() not in {d.lower() for d in own_domains}:
        return None
    return _decode_rid(m.group(1))


def request_id_from_thread(message_ids: Iterable[str], own_domains: Iterable[str] | None = None) -> str | None:
    """First request id found in ``message_ids`` (pass In-Reply-To first, then References newest first)."""
    domains = list(own_domains) if own_domains is not None else None
    for mid in message_ids:
        rid = request_id_from_message_id(mid, domains)
        if rid:
            return rid
    return None


def reply_token(request_id: str, secret: str | bytes) -> str:
    """A stateless plus token: the request id and a MAC, so a guessed token routes nowhere."""
    key = secret.encode() if isinstance(secret, str) else secret
    mac = hmac.new(key, request_id.encode(), hashlib.sha256).digest()[:10]
    token = f"{_encode_rid(request_id)}_{base64.b32encode(mac).decode().lower()}"
    if len(token) > 64:
        raise ValueError("request id too long for a plus token")
    return token


def request_id_from_token(token: str, secret: str | bytes) -> str | None:
    encoded, sep, _mac = token.rpartition("_")
    if not sep:
        return None
    rid = _decode_rid(encoded)
    if rid is None:
        return None
    return rid if hmac.compare_digest(reply_token(rid, secret).lower(), token.lower()) else None
