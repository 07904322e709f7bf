"""Parser fuzzing with hypothesis (atheris has a cp311 wheel, but the same properties in pytest run in
``make test`` and, with HYPOTHESIS_PROFILE=fuzz, for as long as ``make fuzz`` is given). Each target is
fed both structure-aware input (what a real client sends, varied) and mutated real samples.

Properties: nothing raises where the code promises it never does; where a safety net catches everything
(``parse_value``, ``parse_incoming``), the layer under the net is fuzzed too, since a swallowed crash is a
good answer lost."""

from __future__ import annotations

import tempfile
from datetime import date
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.questionnaire.loader import load_questionnaire
from agent.questionnaire.model import QuestionnaireError
from agent.understanding import parsers
from channels.email.parse import parse_incoming
from channels.email.quotes import strip_quotes
from tests.conftest import DEMO_FIRM
from tests.fuzz.conftest import examples
from tools.documents.model import Limits
from tools.documents.sandbox import run_child
from tools.documents.sniff import polyglot_reason, sniff

# --------------------------------------------------------------------------- mutation
edits = st.lists(st.tuples(st.sampled_from(["flip", "cut", "insert", "dup"]), st.floats(0, 1), st.binary(max_size=8)),
                 max_size=6)


def mutate(sample: bytes, steps: list[tuple[str, float, bytes]]) -> bytes:
    data = bytearray(sample)
    for op, where, extra in steps:
        at = int(where * len(data)) if data else 0
        if op == "flip" and data:
            data[min(at, len(data) - 1)] ^= 0xFF
        elif op == "cut":
            del data[at:]
        elif op == "insert":
            data[at:at] = extra
        elif op == "dup":
            data[at:at] = data[at:at + 64]
    return bytes(data)


# --------------------------------------------------------------------------- value parsers
ANSWERS = ["3.4.1980", "am 3. April 1980", "vor 2 Wochen", "1.234,56 €", "EUR 2.500", "zweitausend", "ja", "nein",
           "DE89 3704 0044 0532 0130 00", "max@example.org", "+49 30 1234567", "Musterstraße 1, 10115 Berlin",
           "die zweite", "A und C", "0", "-1", "1e309", "31.02.2024", "\u0000", "١٢٣", "Ⅻ"]
answer_texts = st.one_of(st.text(max_size=200), st.sampled_from(ANSWERS),
                         st.lists(st.sampled_from(ANSWERS) | st.text(max_size=10), max_size=4).map(" ".join))
OPTIONS = (parsers.Option("a", {"de": "Arbeitnehmer", "en": "Employee"}, ("angestellt",)),
           parsers.Option("b", {"de": "Arbeitgeber", "en": "Employer"}),
           parsers.Option("c", {"de": "Sonstiges", "en": "Other"}))


@settings(max_examples=examples(300), deadline=None)
@given(field_type=st.sampled_from(parsers.FIELD_TYPES), text=answer_texts, lang=st.sampled_from(["de", "en", "fr"]),
       today=st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
def test_value_parsers_never_raise_under_the_safety_net(field_type: str, text: str, lang: str, today: date) -> None:
    result = parsers._dispatch(field_type, text, lang if lang != "fr" else "de", OPTIONS, today)
    assert isinstance(result, parsers.Parsed)
    assert result.ok or result.error, "a refusal says why"
    public = parsers.parse_value(field_type, text, lang, options=OPTIONS, today=today)
    assert public.ok == result.ok


# --------------------------------------------------------------------------- e-mail
def _sample_mail(body: str, subject: str, name: str, attach: bytes | None) -> bytes:
    msg = EmailMessage()
    msg["From"] = Address(display_name=name, username="client", domain="example.org")  # quoted as a mailer would
    msg["To"] = "kanzlei@example.org"
    msg["Subject"] = subject
    msg["Message-ID"] = "<fuzz@example.org>"
    msg.set_content(body)
    if attach is not None:
        msg.add_attachment(attach, maintype="application", subtype="pdf", filename="brief.pdf")
    return bytes(msg)


header_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=60)


@settings(max_examples=examples(150), deadline=None)
@given(body=st.text(max_size=400).filter(lambda t: t.strip() != ""), subject=header_text, name=header_text,
       attach=st.none() | st.binary(min_size=1, max_size=200))
def test_email_parser_reads_back_what_a_mail_program_wrote(body: str, subject: str, name: str,
                                                          attach: bytes | None) -> None:
    try:
        raw = _sample_mail(body, subject, name, attach)
    except (ValueError, TypeError):  # the stdlib refuses to write such a header: nothing to parse
        return
    parsed = parse_incoming(raw)
    assert parsed.error is None, parsed.error
    assert parsed.from_addr == "client@example.org"
    assert " ".join(body.split())[:50] in " ".join(parsed.full_text.split())
    if attach is not None:
        assert [a.content for a in parsed.attachments] == [attach]


@settings(max_examples=examples(200), deadline=None)
@given(steps=edits, raw=st.none() | st.binary(max_size=600))
def test_email_parser_survives_mangled_mail(steps: list[tuple[str, float, bytes]], raw: bytes | None) -> None:
    data = raw if raw is not None else mutate(_sample_mail("Hallo,\nanbei.\n\n> alt\n", "Re: Akte", "Max", b"%PDF-1"),
                                              steps)
    parsed = parse_incoming(data, max_attachment_bytes=1000)
    assert isinstance(parsed.text, str) and isinstance(parsed.full_text, str)
    assert all(len(a.content) <= 1000 for a in parsed.attachments)


QUOTE_BITS = ["> zitat", "Am 1. Mai 2024 schrieb Max <m@x.de>:", "On Mon, 1 May 2024, Max wrote:", "-- ", "--",
              "-----Original Message-----", "Von: Kanzlei", "From: x", "Gesendet von meinem iPhone", ">>>", "", "ok"]


@settings(max_examples=examples(300), deadline=None)
@given(lines=st.lists(st.sampled_from(QUOTE_BITS) | st.text(max_size=80), max_size=30))
def test_quote_stripper(lines: list[str]) -> None:
    text = "\n".join(lines)
    reply = strip_quotes(text)
    assert isinstance(reply, str)
    assert len(reply) <= len(text) + 1
    assert strip_quotes(reply) == reply or len(strip_quotes(reply)) <= len(reply)


# --------------------------------------------------------------------------- questionnaire loader
DEMO_YAML = (DEMO_FIRM / "questionnaires" / "kuendigung.yaml").read_text(encoding="utf-8")


@settings(max_examples=examples(60), deadline=None)
@given(steps=edits, drop=st.lists(st.integers(0, 400), max_size=5), junk=st.none() | st.text(max_size=300))
def test_questionnaire_loader_refuses_with_its_own_error(steps: list[tuple[str, float, bytes]], drop: list[int],
                                                         junk: str | None) -> None:
    if junk is not None:
        text = junk
    else:
        lines = DEMO_YAML.splitlines()
        for index in drop:
            if lines:
                del lines[index % len(lines)]
        text = mutate("\n".join(lines).encode(), steps).decode("utf-8", "replace")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "kuendigung.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            loaded = load_questionnaire(path)
        except QuestionnaireError as exc:
            assert str(exc), "a refusal names file and line"
            return
    assert loaded.fields, "what loads can be run"


# --------------------------------------------------------------------------- uploads
@settings(max_examples=examples(500), deadline=None)
@given(head=st.sampled_from([b"%PDF-", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*", b"PK\x03\x04",
                             b""]), body=st.binary(max_size=2000), zip_tail=st.booleans())
def test_upload_sniffer(head: bytes, body: bytes, zip_tail: bool) -> None:
    content = head + body + (b"PK\x05\x06" + b"\0" * 18 if zip_tail else b"")
    found = sniff(content)
    if found is not None:
        kind, mime = found
        assert content.startswith({"pdf": b"%PDF-", "jpeg": b"\xff\xd8\xff", "png": b"\x89PNG"}.get(kind, b""))
        reason = polyglot_reason(content, kind)
        assert reason is None or isinstance(reason, str)
        if zip_tail:
            assert reason is not None, "a ZIP directory at the end is refused"


@pytest.fixture(scope="module")
def samples() -> dict[str, bytes]:
    import io

    from PIL import Image

    from tests.tools.corpus import text_pdf

    buf = io.BytesIO()
    Image.new("RGB", (64, 32), (250, 250, 250)).save(buf, "PNG")
    return {"pdf": text_pdf(["Kündigung zum 31.03.2025", "Aktenzeichen 12 Ca 345/24"]), "png": buf.getvalue()}


LIMITS = Limits(timeout_s=15, ocr=False, max_pages=3, memory_mb=512)
RESULT_ERRORS = {None, "damaged", "memory", "timeout", "encrypted", "too_many_pages", "too_large", "internal"}


@settings(max_examples=examples(8), deadline=None)
@given(kind=st.sampled_from(["pdf", "png"]), steps=edits)
def test_document_ingest_in_the_sandbox_answers_for_any_bytes(samples: dict[str, bytes], kind: str,
                                                             steps: list[tuple[str, float, bytes]]) -> None:
    result = run_child(mutate(samples[kind], steps), kind, LIMITS)
    assert set(result) >= {"pages", "flags", "error"}, result
    assert result["error"] in RESULT_ERRORS or isinstance(result["error"], str), result
    assert result["error"] != "internal", "the worker itself must always start and answer"
