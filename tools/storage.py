"""Content-addressed file storage: one file per SHA-256 under a root folder, written atomically."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path

_SHA = re.compile(r"[0-9a-f]{64}")


class BlobStore:
    """``root/ab/cd/abcd…`` per blob. A duplicate upload is recognised by its hash and not stored twice."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, sha: str) -> Path:
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
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=final.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o444)
            try:
                # link() fails if another writer got there first: exactly one caller sees "new"
                os.link(tmp, final)
            except FileExistsError:
                return sha, False
            dir_fd = os.open(final.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
            return sha, True
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)

    def get(self, sha: str, *, verify: bool = False) -> bytes:
        """The blob's bytes; KeyError if unknown; with ``verify`` a corrupted file raises ValueError."""
        try:
            data = self.path(sha).read_bytes()
        except FileNotFoundError:
            raise KeyError(sha) from None
        if verify and hashlib.sha256(data).hexdigest() != sha:
            raise ValueError(f"blob {sha} is corrupted")
        return data
