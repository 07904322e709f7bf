"""Link tokens are credentials: keep them out of every log line (uvicorn's access log above all)."""

from __future__ import annotations

import logging
import re

# /c/<token> (web chat) and /s/<token> (signing): the token is whatever follows up to the next / ? # or space.
TOKEN_PATH = re.compile(r"(/[cs]/)[^/?#\s\"']{8,}")
REDACTED = r"\1[redacted]"
DEFAULT_LOGGERS = ("uvicorn.access", "uvicorn.error", "uvicorn", "fastapi", "starlette", "httpx")


def redact(text: str) -> str:
    return TOKEN_PATH.sub(REDACTED, text)


class RedactTokensFilter(logging.Filter):
    """Rewrites a record's message, arguments and traceback so no link token is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            # uvicorn's access formatter unpacks the arguments, so keep their number and order.
            # Objects are rendered first: httpx logs its request URL as an ``httpx.URL``, not a str.
            record.args = tuple(a if isinstance(a, int | float) else redact(str(a)) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: v if isinstance(v, int | float) else redact(str(v)) for k, v in record.args.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def redact_tokens_filter() -> logging.Filter:
    return RedactTokensFilter()


def install_log_redaction(loggers: tuple[str, ...] = DEFAULT_LOGGERS) -> logging.Filter:
    """Add the filter to the loggers uvicorn and friends write to (and to their handlers).

    Call it after uvicorn configured logging (``uvicorn.Config(...)`` does so in its constructor).
    """
    flt = RedactTokensFilter()
    for name in loggers:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokensFilter) for f in logger.filters):
            logger.addFilter(flt)
        for handler in logger.handlers:
            if not any(isinstance(f, RedactTokensFilter) for f in handler.filters):
                handler.addFilter(flt)
    return flt
