"""Cut a reply down to what the client wrote: quoted history, headers of earlier mails and signatures go.

Own line-based rules run first (they know the German mail programs and never touch hyphen lists or
"Hinweis:" lines a client may write on purpose); mail-parser-reply then splits at any reply header
the rules missed.
"""

from __future__ import annotations

import re

from mailparser_reply import EmailReplyParser

_SEPARATOR = re.compile(
    r"^\s*[-_=*]{2,}\s*(?:Ursprüngliche Nachricht|Original Message|Originalnachricht|"
    r"Weitergeleitete Nachricht|Forwarded message|Begin forwarded message|Anfang der weitergeleiteten"
    r" Nachricht)\s*[-_=*:]*\s*$",
    re.IGNORECASE,
)
_FORWARD_LINE = re.compile(r"^\s*(?:Begin forwarded message|Anfang der weitergeleiteten Nachricht):\s*$", re.I)
# "Am 03.03.2025 um 10:12 schrieb Kanzlei <x@y>:" / "On Mon, 3 Mar 2025 at 10:12, X <x@y> wrote:";
# Gmail wraps long ones over two lines, so the pattern is tried on a line and on a line plus the next.
_WROTE = re.compile(
    r"^\s*(?:Am\s.+\sschrieb\s.+:|Am\s.+\sschrieb:|.{0,80}\sschrieb\s.{0,120}:|On\s.+\swrote:|.{0,80}\swrote:)\s*$",
    re.IGNORECASE,
)
_WROTE_STRICT = re.compile(r"^\s*(?:Am|On)\s.+(?:schrieb|wrote)\b.*:\s*$", re.IGNORECASE)
_HEADER_FIELD = re.compile(
    r"^\s*[*>\s]*(Von|From|Gesendet|Sent|Datum|Date|An|To|Cc|Betreff|Subject|Antwort an|Reply-To)"
    r"\s*:\s*\**",
    re.IGNORECASE,
)
_HEADER_START = {"von", "from"}
_SENT_FROM = re.compile(
    r"^\s*(?:Von meinem .{1,40} gesendet|Gesendet von meinem .{1,40}|Gesendet (?:von|mit) .{1,40}|"
    r"Sent from my .{1,40}|Sent from (?:Outlook|Mail|Yahoo Mail).{0,40}|Get Outlook for .{1,40}|"
    r"Von Outlook für .{1,30} gesendet|Diese Nachricht wurde von meinem .{1,60} gesendet\.?)\s*$",
    re.IGNORECASE,
)
_SIG_DASHES = re.compile(r"^--\s?$")
# A closing formula on its own line followed by no more than a short name/contact block.
_CLOSING = re.compile(
    r"^\s*(?:Mit (?:freundlichen|besten|herzlichen|kollegialen) Gr(?:ü|ue)(?:ß|ss)en|"
    r"(?:Viele|Beste|Liebe|Herzliche|Freundliche|Schöne) Gr(?:ü|ue)(?:ß|ss)e|Gr(?:ü|ue|u)(?:ß|ss)e?|MfG|LG|VG|"
    r"(?:Best|Kind|Warm|Many thanks and)? ?regards|Best wishes|Cheers|Thanks|Thank you|Best|Sincerely|"
    r"Yours sincerely|Yours truly)[,.!]?\s*$",
    re.IGNORECASE,
)
_CLOSING_MAX_TAIL = 12
# "Gruß Max", "Viele Grüße, Anna Schmidt", "LG Jonas", "Regards, John": greeting plus a name on one line.
_CLOSING_WITH_NAME = re.compile(
    r"^\s*(?:(?:Viele|Beste|Liebe|Herzliche|Freundliche|Schöne) )?(?:Gr(?:ü|ue|u)(?:ß|ss)e?|MfG|LG|VG|"
    r"(?:Best|Kind|Warm) regards|Regards|Cheers)[,.!]?\s+(?:[A-ZÄÖÜ][\w.'-]*\s*){1,3}$",
)
_MAX_SCAN = 200_000
_MAX_LIBRARY = 50_000  # mail-parser-reply's regexes backtrack badly on long texts
_OUTLOOK_RULE = re.compile(r"^\s*_{20,}\s*$")


def _is_header_block(lines: list[str], i: int) -> bool:
    """An Outlook block: 'Von:/From:' followed within a few lines by other header fields."""
    m = _HEADER_FIELD.match(lines[i])
    if not m or m.group(1).lower() not in _HEADER_START:
        return False
    seen = 0
    for line in lines[i + 1 : i + 6]:
        if _HEADER_FIELD.match(line):
            seen += 1
        elif line.strip():
            break
    return seen >= 1


def _cut_index(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        if (
            _SEPARATOR.match(line)
            or _FORWARD_LINE.match(line)
            or _OUTLOOK_RULE.match(line)
            and i + 1 < len(lines)
            and any(_is_header_block(lines, j) for j in range(i + 1, min(i + 3, len(lines))))
            or _is_header_block(lines, i)
        ):
            return i
        if _WROTE_STRICT.match(line) and len(line) < 300:
            return i
        if i + 1 < len(lines):
            joined = f"{line.rstrip()} {lines[i + 1].strip()}"
            if _WROTE_STRICT.match(joined) and len(joined) < 300 and not lines[i + 1].startswith(">"):
                return i
        # A quote block introduced by a short "... wrote:" line of a mail program we don't know.
        if (
            _WROTE.match(line)
            and len(line) < 200
            and any(n.startswith(">") for n in lines[i + 1 : i + 3])
        ):
            return i
    return None


def _cut_signature(lines: list[str]) -> list[str]:
    for i, line in enumerate(lines):
        if _SIG_DASHES.match(line) or _SENT_FROM.match(line):
            return lines[:i]
    # Only the last few non-empty lines can start a closing block; scan them from the end.
    nonempty = [i for i, line in enumerate(lines) if line.strip()]
    for i in nonempty[-(_CLOSING_MAX_TAIL + 1):]:
        if i > 0 and (_CLOSING.match(lines[i]) or _CLOSING_WITH_NAME.match(lines[i])):
            return lines[:i]
    return lines


def _drop_quoted(lines: list[str]) -> list[str]:
    """Remove '>' lines (bottom and interleaved quoting); the client's own lines stay."""
    return [line for line in lines if not line.lstrip().startswith(">")]


def _library_cut(text: str) -> str:
    try:
        replies = EmailReplyParser(languages=["de", "en"]).read(text).replies
    except Exception:  # noqa: BLE001 - a third-party regex engine must never break reading a mail
        return text
    if not replies:
        return text
    first = replies[0].content.strip()
    return first if first else text


def _tidy(lines: list[str]) -> str:
    text = "\n".join(line.rstrip() for line in lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def strip_quotes(text: str) -> str:
    """Return only the newest reply in ``text`` (quotes, earlier headers and signatures removed)."""
    if not text:
        return ""
    # The newest reply is on top; a huge body (pasted tables, long threads) is cut to keep this linear.
    text = text[:_MAX_SCAN]
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").replace("\u200b", "")
    lines = text.split("\n")
    cut = _cut_index(lines)
    if cut is not None:
        lines = lines[:cut]
    lines = _cut_signature(lines)
    lines = _drop_quoted(lines)
    reply = _tidy(lines)
    if not reply:
        return ""
    if len(reply) > _MAX_LIBRARY:
        return reply
    return _tidy(_library_cut(reply).split("\n"))
