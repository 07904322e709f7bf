"""Whether a mail's From domain is authenticated, read from the receiving server's Authentication-Results."""

from __future__ import annotations

import re
from collections.abc import Iterable

_COMMENT = re.compile(r"\([^()]*\)")
_RESULT = re.compile(r"^\s*([a-z0-9_-]+)\s*=\s*([a-z]+)\b(.*)$", re.IGNORECASE | re.DOTALL)
_PROP = re.compile(r"([a-z]+\.[a-z0-9_-]+)\s*=\s*(\"[^\"]*\"|[^\s;]+)", re.IGNORECASE)


def _split(value: str) -> tuple[str, list[tuple[str, str, dict[str, str]]]]:
    """authserv-id and [(method, result, props)] of one Authentication-Results value."""
    value = " ".join(_COMMENT.sub(" ", value).split())
    parts = [p.strip() for p in value.split(";")]
    authserv = parts[0].split()[0].lower() if parts and parts[0] else ""
    results = []
    for part in parts[1:]:
        m = _RESULT.match(part)
        if not m:
            continue
        props = {k.lower(): v.strip('"').lower() for k, v in _PROP.findall(m.group(3))}
        results.append((m.group(1).lower(), m.group(2).lower(), props))
    return authserv, results


def _domain(value: str | None) -> str | None:
    if not value:
        return None
    return value.rsplit("@", 1)[-1].strip(" <>.").lower() or None


def _aligned(a: str | None, b: str | None) -> bool:
    """Relaxed alignment: equal, or one a subdomain of the other (organisational domain, no PSL)."""
    if not a or not b:
        return False
    return a == b or a.endswith("." + b) or b.endswith("." + a)


def dmarc_pass(
    auth_results_header_values: Iterable[str], authserv_id: str, from_domain: str | None = None
) -> bool:
    """True when the topmost Authentication-Results of ``authserv_id`` shows dmarc=pass, or an SPF or
    DKIM pass aligned with the From domain. Headers of other ids (which a sender can forge) are ignored."""
    wanted = authserv_id.strip().lower()
    for value in auth_results_header_values:
        authserv, results = _split(value)
        if authserv != wanted:
            continue
        header_from = _domain(from_domain)
        for method, result, props in results:
            if method == "dmarc":
                if result == "pass":
                    return True
                header_from = header_from or _domain(props.get("header.from"))
        for method, result, props in results:
            if result != "pass":
                continue
            if method == "spf" and _aligned(_domain(props.get("smtp.mailfrom")), header_from):
                return True
            if method == "dkim" and _aligned(_domain(props.get("header.d") or props.get("header.i")), header_from):
                return True
        return False  # only the topmost header of our own server counts
    return False
