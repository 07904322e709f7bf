"""Hostile files: each ends with a clear error (or flag) within the limits; others keep being served."""

from __future__ import annotations

import threading
import time

import pytest

from tests.tools import corpus, hostile
from tools.documents import Limits, analyse_document


@pytest.fixture(scope="module")
def letter_pdf() -> bytes:
    return corpus.text_pdf(corpus.COURT.lines)


def timed(content: bytes, **kw):
    started = time.monotonic()
    a = analyse_document(content, **kw)
    return a, time.monotonic() - started


def test_flate_bomb_pdf() -> None:
    a, took = timed(hostile.flate_bomb_pdf())
    assert a.error == "bomb" and took < 15
    assert a.error_text("de") and a.error_text("en") != a.error_text("de")


def test_huge_png() -> None:
    a, took = timed(hostile.huge_png())
    assert a.kind == "png" and a.error == "too_many_pixels" and took < 10


def test_javascript_and_open_action_flagged_but_read(letter_pdf: bytes) -> None:
    a, _ = timed(hostile.javascript_pdf(letter_pdf))
    assert a.error is None and {"javascript", "open_action"} <= set(a.flags)
    assert ("court_file_number", "3 Ca 1234/25") in {(f.name, f.value) for f in a.facts}


def test_encrypted_pdf(letter_pdf: bytes) -> None:
    a, _ = timed(hostile.encrypted_pdf(letter_pdf))
    assert a.error == "encrypted" and "Passwort" in a.error_text("de") and "password" in a.error_text("en")


def test_truncated_pdf(letter_pdf: bytes) -> None:
    a, _ = timed(hostile.truncated_pdf(letter_pdf))
    assert a.error == "damaged" or "truncated" in a.flags


def test_zip_renamed_pdf() -> None:
    a, took = timed(hostile.zip_as_pdf(), filename="Rechnung.pdf")
    assert a.error == "type.unsupported" and a.kind is None and took < 0.5


def test_polyglots(letter_pdf: bytes, samples) -> None:
    photo = next(s for s in samples if s.variant == "photo").content
    for content in (hostile.polyglot_pdf_zip(letter_pdf), hostile.polyglot_jpeg_pdf(photo, letter_pdf)):
        a, took = timed(content)
        assert a.error == "type.polyglot" and took < 0.5


def test_size_and_page_caps(letter_pdf: bytes) -> None:
    assert analyse_document(letter_pdf, limits=Limits(max_bytes=1000)).error == "too_large"
    many = corpus.text_pdf(["Seite"], pages=5)
    a = analyse_document(many, limits=Limits(max_pages=3))
    assert a.error == "too_many_pages" and "3" in a.error_text("de")
    assert analyse_document(b"").error == "empty"


def test_garbage_after_pdf_magic() -> None:
    a, _ = timed(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    assert a.error == "damaged"


def test_time_limit_kills_the_child(samples) -> None:
    scan = next(s for s in samples if s.variant == "photo")
    a, took = timed(scan.content, limits=Limits(timeout_s=0.3))
    assert a.error in ("timeout",) and took < 2


def test_memory_limit() -> None:
    # with the stream cap lifted, the child's address-space limit stops pdfium, not the host
    a, took = timed(hostile.flate_bomb_pdf(400 * 1024 * 1024), limits=Limits(memory_mb=150, max_stream_bytes=10**12))
    assert a.error == "memory" and took < 10


def test_hostile_file_does_not_stall_other_clients(letter_pdf: bytes) -> None:
    done = threading.Event()
    hostile_result = {}

    def attack() -> None:
        hostile_result["a"] = analyse_document(hostile.flate_bomb_pdf(), limits=Limits(max_stream_bytes=10**12,
                                                                                      timeout_s=4))
        done.set()

    t = threading.Thread(target=attack)
    t.start()
    time.sleep(0.3)
    a, took = timed(letter_pdf)
    assert a.error is None and took < 5
    t.join(20)
    assert done.is_set() and hostile_result["a"].error in ("memory", "timeout", "damaged")
