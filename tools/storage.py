"""Content-addressed file storage: one file per SHA-256 under a root folder, written atomically."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from tools.atomic import write_once

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
        # write_once links the file into place: of two racing writers exactly one sees "new"
        return sha, write_once(final, content, mode=0o444)

    def get(self, sha: str, *, verify: bool = False) -> bytes:
        """The blob's bytes; KeyError if unknown; with ``verify`` a corrupted file raises ValueError."""
        try:
            data = self.path(sha).read_bytes()
        except FileNotFoundError:
            raise KeyError(sha) from None
        if verify and hashlib.sha256(data).hexdigest() != sha:
            raise ValueError(f"blob {sha} is corrupted")
        return data
