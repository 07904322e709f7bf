"""Parent side of the sandbox: one short-lived child process per document, killed at the time limit."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from tools.documents.model import Limits

log = logging.getLogger(__name__)

_ROOT = str(Path(__file__).resolve().parents[2])
_BOOT = f"import sys; sys.path.insert(0, {_ROOT!r}); from tools.documents.worker import main; main()"


def _child_env() -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        # one core per document: several documents in parallel scale better than threaded Tesseract
        "OMP_THREAD_LIMIT": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
    }
    for key in ("TESSDATA_PREFIX", "TMPDIR"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def run_child(content: bytes, kind: str, limits: Limits) -> dict[str, Any]:
    """Parse ``content`` in a child process; returns {"pages", "flags", "error"} and never raises."""
    opts = {
        "kind": kind,
        "max_bytes": limits.max_bytes,
        "max_pages": limits.max_pages,
        "max_pixels": limits.max_pixels,
        "max_stream_bytes": limits.max_stream_bytes,
        "timeout_s": limits.timeout_s,
        "memory_mb": limits.memory_mb,
        "ocr": limits.ocr,
    }
    try:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-c", _BOOT, json.dumps(opts)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_child_env(),
            start_new_session=True,  # own process group: Tesseract grandchildren die with it
            close_fds=True,
        )
    except OSError:
        log.exception("could not start the document worker")
        return {"pages": [], "flags": [], "error": "internal"}
    try:
        stdout, stderr = proc.communicate(content, timeout=limits.timeout_s)
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid)
        proc.communicate()
        return {"pages": [], "flags": [], "error": "timeout"}
    finally:
        _kill_group(proc.pid)
    if proc.returncode == 0:
        try:
            result = json.loads(stdout)
            if isinstance(result, dict):
                return result
        except ValueError:
            pass
    err = stderr[-2000:].decode("utf-8", "replace")
    if proc.returncode in (-signal.SIGXCPU, -signal.SIGKILL) and "MemoryError" not in err:
        return {"pages": [], "flags": [], "error": "timeout"}
    if "MemoryError" in err or "bad_alloc" in err or proc.returncode in (-signal.SIGSEGV, -signal.SIGABRT):
        # out of address space shows as MemoryError in Python, and as bad_alloc, abort() or SIGSEGV
        # in pdfium / Tesseract
        return {"pages": [], "flags": [], "error": "memory"}
    log.warning("document worker exited %s: %s", proc.returncode, err[-500:])
    return {"pages": [], "flags": [], "error": "damaged"}
