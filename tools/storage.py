"""Content-addressed file storage: one file per SHA-256 under a root folder, written atomically.

With a key (``MANDAT_FILES_KEY``, 32 bytes) every new file is sealed with AES-256-GCM: a random nonce
per file and the file's id (the SHA-256 of the plain bytes) as associated data, so a sealed file moved
under another id fails to open instead of handing out the wrong document. Files stored before the key
was set stay readable as they are; a sealed file without the key, or with a wrong key, raises
``BlobKeyError`` naming the file — never garbage bytes.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

from tools.atomic import write_once

_SHA = re.compile(r"[0-9a-f]{64}")
_DERIVED = re.compile(r"[a-z0-9][a-z0-9.-]{0,39}")
# A sealed file starts with this marker (no PDF, JPEG or PNG does), then the 12-byte nonce, then
# ciphertext and tag. The version byte leaves room for another scheme later.
MAGIC = b"MANDAT-AESGCM\x01"
_NONCE = 12
KEY_BYTES = 32


class BlobKeyError(Exception):
    """A sealed file cannot be opened: no key configured, or the key is not the one it was sealed with."""


class BlobStore:
    """``root/ab/cd/abcd…`` per blob. A duplicate upload is recognised by its hash and not stored twice."""

    def __init__(self, root: Path, *, key: bytes | None = None) -> None:
        if key is not None and len(key) != KEY_BYTES:
            raise ValueError("the files key must be 32 bytes")
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._key = key

    @property
    def encrypted(self) -> bool:
        return self._key is not None

    def path(self, sha: str) -> Path:
        """Where the blob lives on disk (sealed when a key is set: read it with ``get``, never directly)."""
        if not _SHA.fullmatch(sha):  # also keeps "../" out of the path
            raise ValueError("not a SHA-256 hex digest")
        return self.root / sha[:2] / sha[2:4] / sha

    def exists(self, sha: str) -> bool:
        return self.path(sha).is_file()

    def put(self, content: bytes) -> tuple[str, bool]:
        """Store ``content``; (sha256, True) if newly stored, (sha256, False) if it was already there."""
        sha = hashlib.sha256(content).hexdigest()
        final = self.path(sha)
        if final.is_file():
            return sha, False
        data = self._seal(sha, content) if self._key is not None else content
        # write_once links the file into place: of two racing writers exactly one sees "new"
        return sha, write_once(final, data, mode=0o444)

    def get(self, sha: str, *, verify: bool = False) -> bytes:
        """The blob's plain bytes; KeyError if unknown; BlobKeyError if sealed and the key does not open it;
        with ``verify`` a corrupted file raises ValueError."""
        try:
            data = self.path(sha).read_bytes()
        except FileNotFoundError:
            raise KeyError(sha) from None
        if data.startswith(MAGIC):
            data = self._open(sha, data)
        if verify and hashlib.sha256(data).hexdigest() != sha:
            raise ValueError(f"blob {sha} is corrupted")
        return data

    def put_derived(self, sha: str, name: str, content: bytes) -> None:
        """Keep something made from a blob (a page rendering) beside it: sealed like the blob, and gone
        with it on ``delete``, so erasure and retention never leave a copy of a client's letter behind."""
        path = self._derived_path(sha, name)
        label = f"{sha}.{name}"
        write_once(path, self._seal(label, content) if self._key is not None else content, mode=0o444)

    def get_derived(self, sha: str, name: str) -> bytes | None:
        try:
            data = self._derived_path(sha, name).read_bytes()
        except FileNotFoundError:
            return None
        return self._open(f"{sha}.{name}", data) if data.startswith(MAGIC) else data

    def delete(self, sha: str) -> bool:
        """Remove one blob and what was made from it (erasure, retention); True if the blob was there."""
        path = self.path(sha)
        for derived in path.parent.glob(f"{sha}.*"):
            derived.unlink(missing_ok=True)
        try:
            os.unlink(path)
        except FileNotFoundError:
            return False
        return True

    def _derived_path(self, sha: str, name: str) -> Path:
        if not _DERIVED.fullmatch(name):
            raise ValueError("not a derived file name")
        return self.path(sha).with_name(f"{sha}.{name}")

    def shas(self) -> Iterator[str]:
        """Every stored blob id (for purges and audits)."""
        for path in self.root.glob("??/??/*"):
            if _SHA.fullmatch(path.name) and path.is_file():
                yield path.name

    def _seal(self, sha: str, content: bytes) -> bytes:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        assert self._key is not None
        nonce = os.urandom(_NONCE)
        return MAGIC + nonce + AESGCM(self._key).encrypt(nonce, content, sha.encode("ascii"))

    def _open(self, sha: str, data: bytes) -> bytes:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if self._key is None:
            raise BlobKeyError(f"file {sha} is encrypted but MANDAT_FILES_KEY is not set")
        nonce = data[len(MAGIC):len(MAGIC) + _NONCE]
        try:
            return AESGCM(self._key).decrypt(nonce, data[len(MAGIC) + _NONCE:], sha.encode("ascii"))
        except InvalidTag:
            raise BlobKeyError(f"file {sha} cannot be decrypted: MANDAT_FILES_KEY is not the key it was "
                               "stored with (or the file was altered)") from None
