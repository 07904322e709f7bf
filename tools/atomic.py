"""Write a file once, atomically: readers never see half a file, and of two racing writers exactly one wins.

The bytes go to a temporary file beside the target, are flushed to disk, get their final mode, and are
hard-linked into place. ``link()`` (unlike ``rename()``) refuses to replace an existing file, so the
loser of a race learns it lost and can read the winner's file instead of overwriting it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_once(path: Path, data: bytes, *, mode: int, prefix: str = ".tmp-") -> bool:
    """Create ``path`` holding ``data`` with permissions ``mode``. True if this call created it,
    False if the file already existed (then it is left untouched)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        _fsync_dir(path.parent)  # the new directory entry survives a crash, too
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _fsync_dir(folder: Path) -> None:
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
