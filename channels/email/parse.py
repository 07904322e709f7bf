"""Read a raw e-mail into what the channel needs: addresses, threading ids, the reply text, documents.

``parse_incoming`` never raises: a broken message comes back with ``error`` set and whatever could
be read, so the raw bytes can be stored and staff told.
"""

from __future__ import annotations

import email
import email.policy
import html
import re
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr

import html2text

from agent.messages import Attachment
from channels.email.quotes import strip_quotes

# Headers the noise and trust checks read (lower-case names).
NOISE_HEADERS = (
    "auto-submitted", "precedence", "list-id", "list-unsubscribe", "list-post", "x-autoreply",
    "x-autorespond", "x-auto-response-suppress", "return-path", "x-failed-recipients",
    "x-loop", "feedback-id",
)
# Above this size html2text gets slow (about 1.4 s/MB here); a plain tag strip is good enough then.
_HTML2TEXT_LIMIT = 400_000
_SMALL_INLINE_IMAGE = 16 * 1024  # logos and spacer gifs in signatures are smaller than any photo
_SIGNATURE_TYPES = {"application/pkcs7-signature", "application/x-pkcs7-signature", "application/pgp-signature"}
_SERIOUS_DEFECTS = {
    "NoBoundaryInMultipartDefect", "StartBoundaryNotFoundDefect", "MultipartInvariantViolationDefect",
    "MissingHeaderBodySeparatorDefect", "InvalidBase64CharactersDefect", "InvalidBase64PaddingDefect",
    "InvalidBase64LengthDefect",
}


@dataclass(frozen=True)
class SkippedPart:
    filename: str | None
    content_type: str
    size: int
    reason: str  # inline_image | too_large | signature | report | unsupported | unreadable


@dataclass
class ParsedMail:
    message_id: str | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    from_addr: str = ""
    from_name: str = ""
    to_addrs: list[str] = field(default_factory=list)  # To, Cc and Delivered-To/X-Original-To
    subject: str = ""
    date: str | None = None
    text: str = ""  # the newest reply only
    full_text: str = ""  # the whole body as text (quotes included)
    html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    skipped: list[SkippedPart] = field(default_factory=list)
    auth_results: list[str] = field(default_factory=list)  # topmost first
    headers: dict[str, str] = field(default_factory=dict)  # NOISE_HEADERS that are present
    content_type: str = ""  # of the top-level part
    report_type: str | None = None
    defects: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def message_ids_referenced(self) -> list[str]:
        """In-Reply-To first, then References newest first."""
        out: list[str] = []
        for mid in ([self.in_reply_to] if self.in_reply_to else []) + list(reversed(self.references)):
            if mid not in out:
                out.append(mid)
        return out


_MSGID = re.compile(r"<[^<>\s]+>")


def _msgids(value: str) -> list[str]:
    found = _MSGID.findall(value or "")
    if not found and value and value.strip():
        found = [value.strip()]
    return found


def _header(msg: Message, name: str) -> str:
    """A decoded header value; never raises (malformed encoded words fall back to raw text)."""
    try:
        value = msg.get(name)
        return "" if value is None else str(value)
    except Exception:  # noqa: BLE001 - header parser errors on hostile input
        pass
    try:
        raw = Message.get(msg, name)  # compat32 accessor: the raw string
        return str(make_header(decode_header(str(raw)))) if raw is not None else ""
    except Exception:  # noqa: BLE001
        return ""


def _header_all(msg: Message, name: str) -> list[str]:
    try:
        return [str(v) for v in (msg.get_all(name) or [])]
    except Exception:  # noqa: BLE001
        return []


def _addresses(values: list[str]) -> list[str]:
    out = []
    for _name, addr in getaddresses(values):
        addr = addr.strip().lower()
        if addr and "@" in addr and addr not in out:
            out.append(addr)
    return out


def html_to_text(markup: str) -> str:
    if len(markup) <= _HTML2TEXT_LIMIT:
        try:
            conv = html2text.HTML2Text()
            conv.body_width = 0
            conv.ignore_images = True
            conv.ignore_emphasis = True
            conv.ignore_links = False
            conv.inline_links = False
            return conv.handle(markup).strip()
        except Exception:  # noqa: BLE001 - fall through to the plain strip
            pass
    return _strip_tags(markup)


_BLOCK_END = re.compile(r"(?i)<\s*(?:br|/p|/div|/tr|/li|/h[1-6]|/blockquote|/table)\b[^>]*>")
_DROP = re.compile(r"(?is)<(script|style|head)\b.*?</\1\s*>")
_TAG = re.compile(r"(?s)<[^>]*>")


def _strip_tags(markup: str) -> str:
    text = _DROP.sub("", markup)
    text = re.sub(r"(?i)<\s*blockquote\b[^>]*>", "\n> ", text)
    text = _BLOCK_END.sub("\n", text)
    text = html.unescape(_TAG.sub("", text))
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    return re.sub(r"\n\s*\n+", "\n\n", text).strip()


def _decode_text(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return content
    except Exception:  # noqa: BLE001 - unknown charset, broken transfer encoding
        pass
    payload = part.get_payload(decode=True) or b""
    if not isinstance(payload, bytes):
        return str(payload)
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("latin-1", errors="replace")


def _payload_bytes(part: Message) -> bytes:
    try:
        if part.get_content_maintype() == "message":
            inner = part.get_payload()
            if isinstance(inner, list):
                return b"".join(m.as_bytes(policy=email.policy.SMTP) for m in inner if isinstance(m, Message))
        data = part.get_payload(decode=True)
        return data if isinstance(data, bytes) else b""
    except Exception:  # noqa: BLE001
        return b""


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:  # noqa: BLE001
        name = None
    if name:
        name = str(make_header(decode_header(name))) if "=?" in name else name
        name = name.replace("/", "_").replace("\\", "_").strip() or None
    return name


def _cids_in(markup: str | None) -> set[str]:
    if not markup:
        return set()
    return {m.lower() for m in re.findall(r"(?i)cid:([^\"'\s>)]+)", markup)}


def _walk_leaves(msg: Message) -> list[tuple[Message, str | None]]:
    """Leaf parts with the content type of their parent multipart (related/alternative/mixed)."""
    out: list[tuple[Message, str | None]] = []

    def visit(part: Message, parent: str | None, depth: int) -> None:
        if depth > 20:  # nesting bomb
            raise ValueError("MIME nesting deeper than 20 levels")
        if part.get_content_maintype() == "multipart":
            payload = part.get_payload()
            for sub in payload if isinstance(payload, list) else []:
                visit(sub, part.get_content_type(), depth + 1)
        else:
            out.append((part, parent))

    visit(msg, None, 0)
    return out


def parse_incoming(raw: bytes, *, max_attachment_bytes: int | None = None) -> ParsedMail:
    parsed = ParsedMail()
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
    except Exception as exc:  # noqa: BLE001
        parsed.error = f"unreadable message: {exc}"
        parsed.full_text = raw[:100_000].decode("utf-8", errors="replace")
        return parsed
    try:
        _read_headers(msg, parsed)
    except Exception as exc:  # noqa: BLE001
        parsed.error = f"unreadable headers: {exc}"
    try:
        _read_body(msg, parsed, max_attachment_bytes)
    except Exception as exc:  # noqa: BLE001
        parsed.error = parsed.error or f"unreadable body: {exc}"
    defects = _collect_defects(msg)
    parsed.defects = defects
    serious = [d for d in defects if d.split(":", 1)[0] in _SERIOUS_DEFECTS]
    if serious and not parsed.error:
        parsed.error = "malformed MIME: " + ", ".join(serious)
    if not parsed.error and not parsed.from_addr and not msg.keys():
        parsed.error = "no headers"
    return parsed


def _collect_defects(msg: Message) -> list[str]:
    found: list[str] = []
    try:
        for part in msg.walk():
            for defect in getattr(part, "defects", []):
                found.append(f"{type(defect).__name__}: {defect}" if str(defect) else type(defect).__name__)
    except Exception as exc:  # noqa: BLE001
        found.append(f"walk failed: {exc}")
    return found


def _read_headers(msg: Message, parsed: ParsedMail) -> None:
    parsed.message_id = (_msgids(_header(msg, "Message-ID")) or [None])[0]
    parsed.in_reply_to = (_msgids(_header(msg, "In-Reply-To")) or [None])[0]
    parsed.references = _msgids(_header(msg, "References"))
    name, addr = parseaddr(_header(msg, "From"))
    parsed.from_addr, parsed.from_name = addr.strip().lower(), name.strip()
    recipients: list[str] = []
    for h in ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To"):
        recipients += _header_all(msg, h) or ([_header(msg, h)] if _header(msg, h) else [])
    parsed.to_addrs = _addresses(recipients)
    parsed.subject = " ".join(_header(msg, "Subject").split())
    parsed.date = _header(msg, "Date") or None
    parsed.auth_results = _header_all(msg, "Authentication-Results")
    for name_ in NOISE_HEADERS:
        value = _header(msg, name_)
        if value or (name_ == "return-path" and msg.get(name_) is not None):
            parsed.headers[name_] = value.strip()
    parsed.content_type = msg.get_content_type()
    if parsed.content_type == "multipart/report":
        parsed.report_type = msg.get_param("report-type")  # type: ignore[assignment]


def _read_body(msg: Message, parsed: ParsedMail, max_bytes: int | None) -> None:
    leaves = _walk_leaves(msg)
    plain: list[str] = []
    htmls: list[str] = []
    candidates: list[tuple[Message, str | None]] = []
    for part, parent in leaves:
        ctype = part.get_content_type()
        disposition = part.get_content_disposition()
        has_name = _filename(part) is not None
        if ctype in ("text/plain", "text/html") and disposition != "attachment" and not has_name:
            (plain if ctype == "text/plain" else htmls).append(_decode_text(part))
        else:
            candidates.append((part, parent))
    parsed.html = "\n".join(htmls) if htmls else None
    body = "\n".join(plain) if plain else (html_to_text(parsed.html) if parsed.html else "")
    parsed.full_text = body.strip()
    parsed.text = strip_quotes(body)
    referenced = _cids_in(parsed.html)
    for index, (part, parent) in enumerate(candidates, start=1):
        _classify_part(part, parent, referenced, parsed, max_bytes, index)


def _classify_part(
    part: Message, parent: str | None, referenced: set[str], parsed: ParsedMail, max_bytes: int | None,
    index: int,
) -> None:
    ctype = part.get_content_type()
    name = _filename(part)
    data = _payload_bytes(part)
    size = len(data)
    disposition = part.get_content_disposition()

    def skip(reason: str) -> None:
        parsed.skipped.append(SkippedPart(name, ctype, size, reason))

    if ctype in _SIGNATURE_TYPES:
        return skip("signature")
    if ctype in ("message/delivery-status", "message/disposition-notification", "text/rfc822-headers") or (
        parent == "multipart/report" and ctype != "message/rfc822" and not name
    ):
        return skip("report")
    if ctype == "application/ms-tnef" or (name or "").lower() == "winmail.dat":
        return skip("unsupported")
    if size == 0:
        return skip("unreadable")
    if ctype.startswith("image/"):
        cid = (_header(part, "Content-ID") or "").strip().strip("<>").lower()
        in_html = bool(cid) and cid in referenced
        inline = disposition == "inline" or (disposition is None and parent == "multipart/related")
        if in_html or (inline and size < _SMALL_INLINE_IMAGE) or (not name and size < _SMALL_INLINE_IMAGE):
            return skip("inline_image")
    if max_bytes is not None and size > max_bytes:
        return skip("too_large")
    if not name:
        ext = {"message/rfc822": "eml", "application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png",
               "text/plain": "txt", "text/html": "html"}.get(ctype, "bin")
        name = f"anhang-{index}.{ext}"
    parsed.attachments.append(
        Attachment(filename=name, content=data, declared_type=ctype, inline=disposition == "inline")
    )


def as_email_message(raw: bytes) -> EmailMessage:
    """The raw bytes as an EmailMessage (for staff forwarding of quarantined mail)."""
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]
