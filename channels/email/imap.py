"""Poll one IMAP mailbox: IDLE with a polling fallback, fetch new mail with BODY.PEEK[], hand each raw
message to a callable, then flag or move it. The last handled UID per (folder, UIDVALIDITY) lives in an
injectable store; a new UIDVALIDITY means a re-scan (the core's dedupe on Message-ID prevents doubles)."""

from __future__ import annotations

import contextlib
import logging
import ssl
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.utils import parseaddr
from typing import Any, Protocol

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from agent import health
from channels.email.config import EmailSettings

log = logging.getLogger(__name__)

_FETCH_CHUNK = 20
_MAX_BACKOFF_S = 60.0


def _sender_key(raw: bytes) -> str:
    """The From address, read from the headers only (unparseable → one shared key: handled in order)."""
    try:
        headers = BytesHeaderParser().parsebytes(raw[:65536], headersonly=True)
        return parseaddr(str(headers.get("From", "")))[1].lower()
    except Exception:  # noqa: BLE001 - any oddity only costs parallelism
        return ""


@dataclass(frozen=True)
class RawMail:
    account: str
    folder: str
    uidvalidity: int
    uid: int
    raw: bytes

    @property
    def external_id(self) -> str:
        """The channel's dedupe key (the core also dedupes on Message-ID)."""
        return f"{self.account}/{self.folder}/{self.uidvalidity}/{self.uid}"


class UidStore(Protocol):
    def get_last_uid(self, account: str, folder: str, uidvalidity: int) -> int | None: ...

    def set_last_uid(self, account: str, folder: str, uidvalidity: int, uid: int) -> None: ...


class InMemoryUidStore:
    def __init__(self) -> None:
        self._last: dict[tuple[str, str, int], int] = {}
        self._lock = threading.Lock()

    def get_last_uid(self, account: str, folder: str, uidvalidity: int) -> int | None:
        with self._lock:
            return self._last.get((account, folder, uidvalidity))

    def set_last_uid(self, account: str, folder: str, uidvalidity: int, uid: int) -> None:
        with self._lock:
            key = (account, folder, uidvalidity)
            self._last[key] = max(uid, self._last.get(key, 0))


Handler = Callable[[RawMail], bool]


class ImapPoller:
    """One poller per mailbox. ``handle`` returns True once the raw mail is safely stored; False (or an
    exception) leaves the message and stops this pass, so it is offered again next time."""

    def __init__(
        self,
        settings: EmailSettings,
        handle: Handler,
        *,
        store: UidStore | None = None,
        folder: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        client_factory: Callable[[], IMAPClient] | None = None,
    ):
        if not settings.imap_host or not settings.imap_user:
            raise ValueError("IMAP is not configured (MANDAT_IMAP_HOST / MANDAT_IMAP_USER)")
        self.settings = settings
        self.handle = handle
        self.store: UidStore = store if store is not None else InMemoryUidStore()
        self.folder = folder or settings.imap_folder
        self.account = settings.imap_account
        self.ssl_context = ssl_context or ssl.create_default_context()
        self._client_factory = client_factory
        self._client: IMAPClient | None = None
        self._idle_supported: bool | None = None
        self._flag: str = settings.processed_flag
        self._target_folder: str | None = None
        self.handled_count = 0

    # connection ---------------------------------------------------------------------------------
    def _connect(self) -> IMAPClient:
        s = self.settings
        if self._client_factory:
            client = self._client_factory()
        else:
            client = IMAPClient(s.imap_host or "", port=s.imap_port, ssl=s.imap_tls == "ssl",
                                ssl_context=self.ssl_context, timeout=s.imap_timeout_s)
            if s.imap_tls == "starttls":
                client.starttls(self.ssl_context)
            client.login(s.imap_user or "", s.imap_password or "")
        caps = client.capabilities()
        if self._idle_supported is None:
            self._idle_supported = b"IDLE" in caps
        if s.processed_action == "move":
            self._target_folder = self._server_name(client, s.processed_folder)
            if not client.folder_exists(self._target_folder):
                client.create_folder(self._target_folder)
        return client

    @staticmethod
    def _server_name(client: IMAPClient, name: str) -> str:
        """Settings write nested folders with '/'; the server may use another delimiter."""
        try:
            listing = client.list_folders(directory="", pattern="")
            delimiter = listing[0][1] if listing else None
        except IMAPClientError:
            delimiter = None
        if isinstance(delimiter, bytes):
            delimiter = delimiter.decode()
        return name.replace("/", delimiter) if delimiter and delimiter != "/" else name

    def _ensure(self) -> IMAPClient:
        if self._client is None:
            self._client = self._connect()
        return self._client

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.logout()
        except Exception:  # noqa: BLE001 - the connection may already be gone
            with contextlib.suppress(Exception):
                client.shutdown()

    # one pass -------------------------------------------------------------------------------------
    def run_once(self) -> int:
        """Handle every new message in the folder (at most ``batch_size``); returns how many."""
        client = self._ensure()
        info = client.select_folder(self.folder)
        uidvalidity = int(info[b"UIDVALIDITY"])
        flag = self._flag
        if self.settings.processed_action == "flag" and not flag.startswith("\\"):
            permanent = info.get(b"PERMANENTFLAGS", ())
            if b"\\*" not in permanent and flag.encode() not in permanent:
                flag = "\\Seen"  # server refuses custom keywords
        last = self.store.get_last_uid(self.account, self.folder, uidvalidity) or 0
        criteria: list[Any] = ["UID", f"{last + 1}:*"]
        if self.settings.processed_action == "flag" and flag != "\\Seen":
            criteria += ["NOT", "KEYWORD", flag]
        uids = sorted(u for u in client.search(criteria) if u > last)[: self.settings.batch_size]
        handled = 0
        for start in range(0, len(uids), _FETCH_CHUNK):
            chunk = uids[start : start + _FETCH_CHUNK]
            fetched = client.fetch(chunk, ["BODY.PEEK[]"])
            mails = []
            for uid in chunk:
                item = fetched.get(uid)
                raw = item.get(b"BODY[]") if item else None
                if raw is not None:  # else expunged meanwhile
                    mails.append(RawMail(self.account, self.folder, uidvalidity, uid, bytes(raw)))
            results = self._handle_all(mails)
            for mail in mails:  # flag in UID order and stop at the first failure: it is offered again
                if not results.get(mail.uid):
                    return handled
                self._mark(client, mail.uid, flag)
                self.store.set_last_uid(self.account, self.folder, uidvalidity, mail.uid)
                handled += 1
                self.handled_count += 1
        return handled

    def _handle_one(self, mail: RawMail) -> bool:
        try:
            return bool(self.handle(mail))
        except Exception:  # noqa: BLE001 - a handler bug must not kill the poller
            log.exception("handler failed for %s", mail.external_id)
            return False

    def _handle_all(self, mails: list[RawMail]) -> dict[int, bool]:
        """Handle a fetched chunk: one correspondent's mails in order, different correspondents side by
        side (their documents are read in child processes, so the second core gets work too)."""
        by_sender: dict[str, list[RawMail]] = {}
        for mail in mails:
            by_sender.setdefault(_sender_key(mail.raw), []).append(mail)
        def run(queue: list[RawMail]) -> dict[int, bool]:
            done: dict[int, bool] = {}
            for mail in queue:
                done[mail.uid] = ok = self._handle_one(mail)
                if not ok:
                    break  # keep this correspondent's order: the rest waits for the next pass
            return done

        if self.settings.workers <= 1 or len(by_sender) <= 1:
            return run(mails)
        results: dict[int, bool] = {}
        with ThreadPoolExecutor(max_workers=min(self.settings.workers, len(by_sender))) as pool:
            for done in pool.map(run, by_sender.values()):
                results.update(done)
        return results

    def _mark(self, client: IMAPClient, uid: int, flag: str) -> None:
        if self.settings.processed_action == "flag":
            client.add_flags([uid], [flag])
            return
        target = self._target_folder or self.settings.processed_folder
        if b"MOVE" in client.capabilities():
            client.move([uid], target)
        else:
            client.copy([uid], target)
            client.add_flags([uid], [b"\\Deleted"])
            if client.has_capability("UIDPLUS"):
                client.uid_expunge([uid])
            else:
                client.expunge()

    # waiting --------------------------------------------------------------------------------------
    def wait_for_mail(self, stop_event: threading.Event, timeout: float | None = None) -> bool:
        """Block until the server reports new mail (IDLE) or the poll interval passes; True on news."""
        client = self._ensure()
        if not self._idle_supported:
            stop_event.wait(timeout if timeout is not None else self.settings.poll_interval_s)
            return False
        # Never idle longer than the poll interval: a new message announced in the gap between the last
        # SEARCH and IDLE is then picked up by the next pass at the latest.
        limit = min(timeout if timeout is not None else self.settings.poll_interval_s, self.settings.idle_renew_s)
        try:
            client.idle()
        except IMAPClientError as exc:
            log.warning("IDLE refused by %s (%s); polling every %ss instead", self.account, exc,
                        self.settings.poll_interval_s)
            self._idle_supported = False
            self.close()
            return False
        news = False
        deadline = time.monotonic() + limit
        try:
            while not stop_event.is_set() and not news:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                # Short slices so a stop request is seen within a second.
                self._beat()  # an idling connection is a live poller
                for response in client.idle_check(timeout=min(1.0, remaining)):
                    if len(response) > 1 and response[1] in (b"EXISTS", b"RECENT"):
                        news = True
        finally:
            client.idle_done()
        return news

    def run_forever(self, stop_event: threading.Event, *, max_cycles: int | None = None) -> None:
        """Handle mail until ``stop_event`` is set; reconnects with exponential backoff on errors."""
        backoff = 1.0
        cycles = 0
        self._beat()  # from now on /readyz expects beats: a mailbox that never connects shows up there
        while not stop_event.is_set() and (max_cycles is None or cycles < max_cycles):
            cycles += 1
            try:
                handled = self.run_once()
                backoff = 1.0
                self._beat()
                # Mail that arrived during a pass was announced while we were busy (and not idling):
                # pass again until one finds nothing, only then IDLE.
                if handled == 0 and not stop_event.is_set():
                    self.wait_for_mail(stop_event)
            except Exception as exc:  # noqa: BLE001 - network, server and login errors alike: retry
                log.warning("IMAP %s/%s: %s; reconnecting in %.0fs", self.account, self.folder, exc, backoff)
                self.close()
                stop_event.wait(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF_S)
        self.close()
        health.stopped(self.heartbeat_name)

    @property
    def heartbeat_name(self) -> str:
        return f"imap:{self.account}/{self.folder}"

    def _beat(self) -> None:
        # /readyz: a pass may wait out a poll interval and a slow server before the next beat
        health.beat(self.heartbeat_name, max_age_s=self.settings.poll_interval_s + self.settings.imap_timeout_s + 60)
