"""Encryption at rest of stored files (MANDAT_FILES_KEY): sealed on disk, transparent to readers, old plain
files still readable, a wrong or missing key a clear error."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import zipfile
from pathlib import Path

import httpx
import pytest

from agent.app import build_service, create_app
from agent.config import ConfigError
from agent.messages import Attachment
from tests.agent.api.server import free_port, running
from tests.agent.privacy.conftest import IBAN_SPACED, letter_pdf, make_settings, say
from tools.storage import MAGIC, BlobKeyError, BlobStore

KEY = os.urandom(32)


def test_sealed_on_disk_and_read_back_plain(tmp_path: Path) -> None:
    store = BlobStore(tmp_path, key=KEY)
    pdf = letter_pdf()
    sha, new = store.put(pdf)
    assert new and sha == hashlib.sha256(pdf).hexdigest(), "the id stays the hash of the plain bytes"
    on_disk = store.path(sha).read_bytes()
    assert on_disk.startswith(MAGIC) and b"%PDF" not in on_disk and pdf[40:80] not in on_disk
    assert store.get(sha, verify=True) == pdf
    assert store.put(pdf) == (sha, False), "deduplication still works"
    other = BlobStore(tmp_path / "other", key=KEY)
    other.put(pdf)
    assert other.path(sha).read_bytes() != on_disk, "a random nonce per file"


def test_files_from_before_the_key_stay_readable(tmp_path: Path) -> None:
    plain_sha, _ = BlobStore(tmp_path).put(b"%PDF-1.4 written before encryption was turned on")
    store = BlobStore(tmp_path, key=KEY)
    assert store.get(plain_sha, verify=True).startswith(b"%PDF-1.4")
    new_sha, _ = store.put(b"%PDF-1.4 written after")
    assert store.path(new_sha).read_bytes().startswith(MAGIC)


def test_a_wrong_or_missing_key_is_a_clear_error(tmp_path: Path) -> None:
    sha, _ = BlobStore(tmp_path, key=KEY).put(b"secret letter")
    with pytest.raises(BlobKeyError, match="not the key it was stored with"):
        BlobStore(tmp_path, key=os.urandom(32)).get(sha)
    with pytest.raises(BlobKeyError, match="MANDAT_FILES_KEY is not set"):
        BlobStore(tmp_path).get(sha)
    with pytest.raises(ValueError, match="32 bytes"):
        BlobStore(tmp_path, key=b"short")


def test_a_sealed_file_moved_under_another_id_does_not_open(tmp_path: Path) -> None:
    store = BlobStore(tmp_path, key=KEY)
    sha, _ = store.put(b"letter of client A")
    fake = hashlib.sha256(b"letter of client B").hexdigest()
    store.path(fake).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(store.path(sha), store.path(fake))
    with pytest.raises(BlobKeyError):
        store.get(fake)


def test_the_setting_is_checked(tmp_path: Path) -> None:
    good = base64.b64encode(KEY).decode()
    assert make_settings(tmp_path, files_key=good).files_key_bytes == KEY
    assert make_settings(tmp_path).files_key_bytes is None
    for bad in ("not base64!", base64.b64encode(b"x" * 16).decode()):
        with pytest.raises(ConfigError, match="MANDAT_FILES_KEY"):
            make_settings(tmp_path, files_key=bad)


def test_uploads_are_sealed_and_staff_downloads_are_plain(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "var", files_key=base64.b64encode(KEY).decode(), staff_token="tok")
    service = build_service(settings)
    port = free_port()
    try:
        rid = service.create_request(client_name="Erika Mustermann", client_email="erika@example.org",
                                     questionnaires=["kuendigung"], uploads=["Kündigungsschreiben"]).id
        pdf = letter_pdf()
        say(service, rid, "", attachments=(Attachment("brief.pdf", pdf, "application/pdf"),))
        doc = service.request_summary(rid)["documents"][0]
        assert doc["sha256"] == hashlib.sha256(pdf).hexdigest(), "the letter was read (decrypted) and filed"
        for path in settings.files_dir.rglob("*"):
            if path.is_file():
                assert path.read_bytes().startswith(MAGIC), path
        with running(create_app(service), port) as base, \
                httpx.Client(base_url=base, headers={"Authorization": "Bearer tok"}, timeout=60) as http:
            got = http.get(f"/api/files/{doc['id']}")
            assert got.status_code == 200 and got.content == pdf
            assert got.headers["content-type"] == "application/pdf"
            export = http.get(f"/api/requests/{rid}/export")
            z = zipfile.ZipFile(io.BytesIO(export.content))
            assert z.read(next(n for n in z.namelist() if n.startswith("files/"))) == pdf
        assert IBAN_SPACED.encode() not in b"".join(p.read_bytes() for p in settings.files_dir.rglob("*")
                                                    if p.is_file())
    finally:
        service.close()
