from __future__ import annotations

from tools.knowledge.chunking import CHUNK_CHARS, chunk_page, chunk_pages


def test_short_page_is_one_chunk() -> None:
    assert [c.text for c in chunk_page(3, "  Kurzer   Text.  ")] == ["Kurzer Text."]
    assert chunk_page(1, "   \n ") == []


def test_long_page_splits_with_overlap_on_boundaries() -> None:
    sentences = [f"Satz Nummer {i} handelt vom Arbeitsvertrag und der Kündigung." for i in range(60)]
    text = " ".join(sentences)
    chunks = chunk_page(2, text)
    assert len(chunks) > 3
    assert all(len(c.text) <= CHUNK_CHARS for c in chunks)
    assert all(c.page == 2 for c in chunks)
    assert [c.index for c in chunks] == list(range(len(chunks)))
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert a.text.endswith(".")  # cut at a sentence end
        assert b.text.split()[0] in a.text  # overlap: the next chunk starts inside the previous one
    joined = " ".join(c.text for c in chunks)
    assert all(s in joined for s in sentences)


def test_unbroken_text_is_still_bounded() -> None:
    chunks = chunk_page(1, "x" * 5000)
    assert all(len(c.text) <= CHUNK_CHARS for c in chunks)
    assert sum(len(c.text) for c in chunks) >= 5000


def test_pages_keep_their_numbers() -> None:
    chunks = chunk_pages([(1, "Seite eins."), (2, ""), (3, "Seite drei.")])
    assert [(c.page, c.text) for c in chunks] == [(1, "Seite eins."), (3, "Seite drei.")]
