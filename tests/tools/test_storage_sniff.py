from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.tools import corpus, hostile
from tools.documents import BlobStore, sniff


def test_sniff_by_magic_bytes_only() -> None:
    assert sniff(b"%PDF-1.7\n...") == ("pdf", "application/pdf")
    assert sniff(b"\xff\xd8\xff\xe0....") == ("jpeg", "image/jpeg")
    assert sniff(b"\x89PNG\r\n\x1a\n....") == ("png", "image/png")
    assert sniff(b"II*\x00....") == ("tiff", "image/tiff")
    assert sniff(hostile.zip_as_pdf()) is None
    assert sniff(b"") is None


def test_blob_store_dedupes_and_is_atomic(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    data = corpus.text_pdf(["Hallo"])
    sha, new = store.put(data)
    assert new and sha == hashlib.sha256(data).hexdigest()
    assert store.put(data) == (sha, False)
    assert store.get(sha, verify=True) == data and store.exists(sha)
    assert store.path(sha).parent.parent.name == sha[:2]
    assert not [p for p in store.path(sha).parent.iterdir() if p.name.startswith(".tmp")]


def test_blob_store_concurrent_duplicate_stored_once(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: store.put(b"same bytes"), range(16)))
    assert sum(new for _, new in results) == 1


def test_blob_store_rejects_bad_ids(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    with pytest.raises(ValueError):
        store.path("../../etc/passwd")
    with pytest.raises(KeyError):
        store.get("0" * 64)
