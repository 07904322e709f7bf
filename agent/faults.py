"""Crash points for the crash-recovery tests: ``MANDAT_CRASH_AT=<name>`` kills the process there.

Nothing happens unless that variable is set; it exists so tests can SIGKILL the service at the
exact moments that matter (after storing, before committing, after sending) and prove recovery.
"""

from __future__ import annotations

import os
import signal


def crash_point(name: str) -> None:
    wanted = os.environ.get("MANDAT_CRASH_AT")
    if wanted and wanted == name:
        counter = os.environ.get("MANDAT_CRASH_AFTER", "0")
        remaining = int(counter)
        if remaining > 0:
            os.environ["MANDAT_CRASH_AFTER"] = str(remaining - 1)
            return
        os.kill(os.getpid(), signal.SIGKILL)
