"""A real Dovecot IMAP server for tests: temp config, passwd-file user, maildir, 127.0.0.1 free port.

Use the ``dovecot`` pytest fixture (import it into a conftest) or ``running_dovecot()`` directly.
Dovecot missing is a failure, not a skip: ``apt-get install -y --no-install-recommends dovecot-imapd``.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from imapclient import IMAPClient

_START_TIMEOUT_S = 10.0
SPARE_USERS = 200


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            if s.recv(64).startswith(b"* OK"):
                return True
        time.sleep(0.05)
    return False


@dataclass
class DovecotServer:
    host: str
    port: int
    user: str
    password: str
    root: Path
    conf: Path

    def mailbox(self, n: int) -> DovecotServer:
        """The same server seen as spare user ``n`` (made at start: Dovecot may miss a passwd-file
        change within the same second, so users are not added later)."""
        if not 1 <= n <= SPARE_USERS:
            raise ValueError(f"only {SPARE_USERS} spare mailboxes")
        return replace(self, user=f"user{n}", password=f"pw{n}")

    def client(self) -> IMAPClient:
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        client.login(self.user, self.password)
        return client

    def append(self, raw: bytes, folder: str = "INBOX", flags: tuple[str, ...] = ()) -> None:
        with contextlib.closing(_Logout(self.client())) as c:
            if not c.imap.folder_exists(folder):
                c.imap.create_folder(folder)
            c.imap.append(folder, raw, flags=flags)

    def flags(self, folder: str = "INBOX") -> dict[int, tuple[bytes, ...]]:
        """UID → flags of every message in ``folder`` (read-only select: changes nothing)."""
        with contextlib.closing(_Logout(self.client())) as c:
            c.imap.select_folder(folder, readonly=True)
            uids = c.imap.search(["ALL"])
            if not uids:
                return {}
            return {uid: tuple(d[b"FLAGS"]) for uid, d in c.imap.fetch(uids, ["FLAGS"]).items()}

    def recreate_folder(self, folder: str) -> None:
        """Delete and create ``folder`` again: the server gives it a new UIDVALIDITY."""
        with contextlib.closing(_Logout(self.client())) as c:
            if c.imap.folder_exists(folder):
                c.imap.delete_folder(folder)
            c.imap.create_folder(folder)


class _Logout:
    def __init__(self, imap: IMAPClient):
        self.imap = imap

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.imap.logout()


def _require(binary: str) -> str:
    path = shutil.which(binary) or next(
        (p for p in (f"/usr/sbin/{binary}", f"/usr/bin/{binary}") if os.path.exists(p)), None
    )
    if not path:
        pytest.fail(
            f"{binary} not found: the IMAP tests need a real Dovecot. Install it with "
            "`apt-get install -y --no-install-recommends dovecot-imapd` (make test does this).",
            pytrace=False,
        )
    return path


@contextlib.contextmanager
def running_dovecot(user: str = "client", password: str = "secret") -> Iterator[DovecotServer]:
    dovecot = _require("dovecot")
    doveadm = _require("doveadm")
    # Dovecot's auth process runs as its own user: every folder above the users file must be
    # traversable (mkdtemp makes 0700), and the mail folder belongs to the mail user (nobody).
    root = Path(tempfile.mkdtemp(prefix="mandat-dovecot-"))
    root.chmod(0o755)
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir()
        (root / sub).chmod(0o755)
    nobody = pwd.getpwnam("nobody")
    os.chown(root / "mail", nobody.pw_uid, nobody.pw_gid)
    users = root / "users"
    users.write_text(f"{user}:{{PLAIN}}{password}\n"
                     + "".join(f"user{n}:{{PLAIN}}pw{n}\n" for n in range(1, SPARE_USERS + 1)))
    users.chmod(0o644)
    port = _free_port()
    conf = root / "dovecot.conf"
    conf.write_text(f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {users}
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={root}/mail/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
""")
    # The master daemonises and its children keep inherited pipes open: write to a file, not a pipe.
    with open(root / "start.log", "wb") as out:
        proc = subprocess.run([dovecot, "-c", str(conf)], stdin=subprocess.DEVNULL, stdout=out,
                              stderr=subprocess.STDOUT, timeout=20)
    if proc.returncode != 0:
        message = (root / "start.log").read_text(errors="replace").strip()
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"dovecot did not start: {message}", pytrace=False)
    try:
        if not _wait_for_port(port, _START_TIMEOUT_S):
            log = (root / "dovecot.log").read_text(errors="replace") if (root / "dovecot.log").exists() else ""
            pytest.fail(f"dovecot did not listen on 127.0.0.1:{port} within {_START_TIMEOUT_S}s\n{log[-2000:]}",
                        pytrace=False)
        yield DovecotServer("127.0.0.1", port, user, password, root, conf)
    finally:
        subprocess.run([doveadm, "-c", str(conf), "stop"], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=20)
        # Wait for the master to go away before removing its directories.
        deadline = time.monotonic() + 5
        while (root / "run" / "master.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        shutil.rmtree(root, ignore_errors=True)


_users = itertools.count(1)


@pytest.fixture(scope="session")
def dovecot_server() -> Iterator[DovecotServer]:
    """One Dovecot for the test session (stopping one takes about 2.5 s, so it is shared)."""
    with running_dovecot() as server:
        yield server


@pytest.fixture
def dovecot(dovecot_server: DovecotServer) -> DovecotServer:
    """An empty mailbox of its own for each test: host, port, user, password, append(raw, folder)."""
    return dovecot_server.mailbox(next(_users))
