"""The real parts a fault run needs, each with the switch a fault flips: a PostgreSQL cluster of our own
(so it can be restarted without touching anyone else's), an SMTP sink that can be switched off, a data
directory on a small tmpfs that can be filled, and ``mandat serve`` as a process that can be SIGKILLed."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller

from tests.fakes.smtp_server import SmtpCapture

REPO = Path(__file__).resolve().parents[2]
PG_BIN = Path(os.environ.get("MANDAT_PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(cmd: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the postgres user then."""
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


class OwnPostgres:
    """A throw-away cluster on a free port; ``outage(s)`` stops it hard (like a crash) and starts it again."""

    def __init__(self, root: Path) -> None:
        self.dir = root / "pgdata"
        self.port = free_port()
        self.log = root / "postgres.log"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def init(self) -> None:
        self.dir.mkdir(parents=True)
        if os.geteuid() == 0:
            pg = pwd.getpwnam("postgres")
            for path in (self.dir.parent, self.dir):
                os.chown(path, pg.pw_uid, pg.pw_gid)
        subprocess.run(_as_postgres([str(PG_BIN / "initdb"), "-D", str(self.dir), "-U", "postgres", "-A", "trust",
                                     "--no-sync", "-E", "UTF8"]), check=True, capture_output=True, timeout=120)
        self.start()

    def _ctl(self, *args: str) -> None:
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.dir), "-l", str(self.log), "-o", opts,
                                     "-w", "-t", "60", *args]), check=True, capture_output=True, timeout=90)

    def start(self) -> None:
        self._ctl("start")

    def stop(self, mode: str = "immediate") -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._ctl("stop", "-m", mode)

    def outage(self, seconds: float) -> None:
        self.stop("immediate")  # no checkpoint, clients cut off: what a crash looks like to the service
        time.sleep(seconds)
        self.start()


class SwitchableSmtp:
    """aiosmtpd on a fixed port that can be stopped (connections refused) and started again."""

    def __init__(self) -> None:
        self.capture = SmtpCapture()
        self.port = free_port()
        self.capture.port = self.port
        self._controller: Controller | None = None

    def start(self) -> None:
        if self._controller is None:
            self._controller = Controller(self.capture, hostname="127.0.0.1", port=self.port)
            self._controller.start()

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()


class SmallDisk:
    """A tmpfs of ``mb`` MB (root only) for the data directory; ``fill()`` writes until ENOSPC."""

    def __init__(self, root: Path, mb: int = 128) -> None:
        self.path = root / "disk"
        self.path.mkdir()
        self.mounted = False
        if os.geteuid() == 0:
            done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={mb}m,mode=0755", "tmpfs", str(self.path)],
                                  capture_output=True, timeout=30)
            self.mounted = done.returncode == 0
        self._filler = self.path / "filler.bin"

    def fill(self) -> int:
        """Write zeros until the disk is full; returns the bytes written (0 without a tmpfs of our own)."""
        if not self.mounted:
            return 0
        written = 0
        chunk = b"\0" * (1024 * 1024)
        with open(self._filler, "ab") as fh:
            try:
                while True:
                    fh.write(chunk)
                    fh.flush()
                    written += len(chunk)
            except OSError:
                pass
        for size in (65536, 4096, 512, 1):  # the last crumbs too, so even small writes fail
            with contextlib.suppress(OSError), open(self._filler, "ab") as fh:
                while True:
                    fh.write(b"\0" * size)
                    fh.flush()
        return written

    def free(self) -> None:
        self._filler.unlink(missing_ok=True)

    def close(self) -> None:
        self.free()
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.path)], capture_output=True, timeout=30)


class MandatProcess:
    """``mandat serve`` in a subprocess: start, wait until /healthz answers, SIGKILL, start again."""

    def __init__(self, env: dict[str, str], port: int, log_path: Path) -> None:
        self.env = env
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.kills = 0

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child keeps it; closed with the process
        self.proc = subprocess.Popen([sys.executable, "-m", "agent.cli", "serve", "--host", "127.0.0.1",
                                      "--port", str(self.port)], cwd=REPO, env=self.env, stdout=log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        self.starts += 1

    def up(self) -> bool:
        if self.proc is None or self.proc.poll() is not None:
            return False
        try:
            return httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_up(self, timeout_s: float = 120.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.up():
                return
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"mandat serve exited with {self.proc.returncode}; see {self.log_path}")
            time.sleep(0.1)
        raise TimeoutError(f"mandat serve not up after {timeout_s}s; see {self.log_path}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)
            self.kills += 1

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def memory_kb(self) -> dict[str, int]:
        """``VmRSS`` and its parts ``RssAnon`` (heap, stacks: where a leak shows) and ``RssFile``
        (mapped files, e.g. the embedding model's pages as they are first read), in kB; {} when down."""
        got: dict[str, int] = {}
        if self.proc is None or self.proc.poll() is not None:
            return got
        with contextlib.suppress(OSError), open(f"/proc/{self.proc.pid}/status") as fh:
            for line in fh:
                name = line.split(":", 1)[0]
                if name in ("VmRSS", "RssAnon", "RssFile"):
                    got[name] = int(line.split()[1])
        return got


def temp_root(prefix: str = "mandat-faults-") -> Path:
    root = Path(tempfile.mkdtemp(prefix=prefix))
    root.chmod(0o755)
    return root


def remove(root: Path, *parts: Any) -> None:
    for part in parts:
        with contextlib.suppress(Exception):
            part()
    shutil.rmtree(root, ignore_errors=True)
