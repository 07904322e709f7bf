"""The log formatter: one JSON object per line; e-mail addresses, IBANs and tokens never reach it."""

from __future__ import annotations

import io
import json
import logging

from agent import logs
from agent.logs import JsonFormatter, install_json_logs, scrub

TOKEN = "I9mG0dsa1iCHQhvc8apRPzPCOvzKVFAEFf4fw0IeDfo"


def test_scrub_removes_addresses_ibans_and_tokens() -> None:
    line = (f"mail from max.muster+x@example.org for anna@kanzlei.example: IBAN DE89 3704 0044 0532 0130 00 "
            f"or DE89370400440532013000, GET /c/{TOKEN}?x=1, /s/{TOKEN}, t.me/bot?start={TOKEN}, "
            f"Authorization: Bearer s3cr3t-value, /start {TOKEN[:20]} and {TOKEN}")
    out = scrub(line)
    for secret in ("max.muster", "anna@", "DE89", "370400440532013000", TOKEN, TOKEN[:20], "s3cr3t-value"):
        assert secret not in out, (secret, out)
    assert "/c/[redacted]" in out and "[email]" in out and "[iban]" in out


def test_scrub_removes_the_bot_token_from_bot_api_urls() -> None:
    line = 'HTTP Request: POST http://127.0.0.1:1/bot4242:faults/sendMessage "HTTP/1.1 200 OK"'
    assert scrub(line) == 'HTTP Request: POST http://127.0.0.1:1/bot[redacted]/sendMessage "HTTP/1.1 200 OK"'
    assert "110201543" not in scrub("GET /file/bot110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/photos/1.jpg")


def test_scrub_keeps_what_a_reader_needs() -> None:
    line = "delivery of 3f2a.reply.4 over email failed: [Errno 111] Connection refused (attempt 3 of 8)"
    assert scrub(line) == line


def test_formatter_writes_one_json_object_with_the_traceback_scrubbed() -> None:
    record = logging.LogRecord("agent.x", logging.ERROR, __file__, 1, "handler failed for %s", ("a@b.example",),
                               None)
    try:
        raise ValueError(f"bad IBAN DE89370400440532013000 from a@b.example at /c/{TOKEN}")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert "\n" not in line
    assert entry["level"] == "error" and entry["logger"] == "agent.x" and entry["msg"] == "handler failed for [email]"
    assert "ValueError" in entry["exc"] and TOKEN not in entry["exc"] and "DE89" not in entry["exc"]


def test_install_is_idempotent_and_formats_uvicorn_handlers() -> None:
    access = logging.getLogger("uvicorn.access")
    handler = logging.StreamHandler(io.StringIO())
    access.addHandler(handler)
    root = logging.getLogger()
    # An app built by an earlier test may have installed the process's JSON handler already: set it aside.
    earlier = [h for h in root.handlers if getattr(h, logs._INSTALLED, False)]
    for h in earlier:
        root.removeHandler(h)
    before = list(root.handlers)
    level = root.level
    stream = io.StringIO()
    try:
        first = install_json_logs(stream=stream)
        again = install_json_logs(stream=stream)
        assert first is again and len(root.handlers) == len(before) + 1
        assert isinstance(handler.formatter, JsonFormatter)
        logging.getLogger("agent.somewhere").warning("outbox lag for %s", "x@y.example")
        assert json.loads(stream.getvalue().splitlines()[-1])["msg"] == "outbox lag for [email]"
    finally:
        access.removeHandler(handler)
        root.removeHandler(first)
        root.setLevel(level)
        for h in earlier:
            root.addHandler(h)
