"""The SSRF guard: a webhook may only reach public http(s) addresses.

Mandat runs inside the firm's network; a webhook URL pointing at 127.0.0.1, 10.x, a router's
169.254.x or an internal host name would let anyone who can add a webhook probe or drive internal
services. The host is resolved and *every* address must be public; the sender then connects to the
address checked here (not a second lookup), so a DNS answer that changes in between gains nothing.
``allow_private`` (MANDAT_WEBHOOK_ALLOW_PRIVATE) lifts the address rule for receivers on the firm's own
network and for tests; the scheme rule always holds.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit


class WebhookUrlRefused(ValueError):
    """The URL may not be used as a webhook; the message says why (safe to show to staff)."""


@dataclass(frozen=True)
class Target:
    url: str  # as given
    scheme: str
    host: str  # the name, for the Host header and TLS
    port: int
    path: str  # path and query
    address: str  # the resolved address the sender connects to


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local
                                 or ip.is_private or ip.is_unspecified)


def check_url(url: str, *, allow_private: bool = False) -> Target:
    """The URL's parts and one checked address; raises WebhookUrlRefused."""
    url = (url or "").strip()
    if len(url) > 2000:
        raise WebhookUrlRefused("the URL is too long (2000 characters at most)")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise WebhookUrlRefused(f"not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise WebhookUrlRefused("only http:// and https:// URLs can receive webhooks")
    host = parts.hostname or ""
    if not host:
        raise WebhookUrlRefused("the URL has no host")
    if parts.username or parts.password:
        raise WebhookUrlRefused("credentials in the URL are not allowed; use the signature to authenticate")
    port = port or (443 if scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise WebhookUrlRefused(f"the host {host!r} cannot be resolved ({exc})") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise WebhookUrlRefused(f"the host {host!r} has no address")
    if not allow_private:
        blocked = [a for a in addresses if not _is_public(a)]
        if blocked:
            raise WebhookUrlRefused(
                f"{host} resolves to {blocked[0]}, a loopback, private or link-local address; such targets "
                "are refused unless MANDAT_WEBHOOK_ALLOW_PRIVATE is set")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(url=url, scheme=scheme, host=host, port=port, path=path, address=addresses[0])
