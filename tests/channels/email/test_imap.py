import socket
import threading
import time

import pytest

from channels.email.config import EmailSettings
from channels.email.imap import ImapPoller, InMemoryUidStore, RawMail
from channels.email.parse import parse_incoming
from tests.channels.email import mails

pytestmark = pytest.mark.slow


def settings_for(server, **kw) -> EmailSettings:
    values = dict(imap_host=server.host, imap_port=server.port, imap_tls="none", imap_user=server.user,
                  imap_password=server.password, mail_from="kanzlei@beispiel.example", poll_interval_s=0.5,
                  imap_timeout_s=10)
    values.update(kw)
    return EmailSettings(**values)


class Recorder:
    def __init__(self, server, result: bool = True):
        self.server = server
        self.result = result
        self.mails: list[RawMail] = []
        self.flags_at_handling: list[tuple[bytes, ...]] = []
        self.event = threading.Event()

    def __call__(self, mail: RawMail) -> bool:
        self.flags_at_handling.append(self.server.flags(mail.folder).get(mail.uid, ()))
        self.mails.append(mail)
        self.event.set()
        return self.result


def test_new_mail_is_handled_with_peek_then_flagged(dovecot) -> None:
    dovecot.append(bytes(mails.plain("Erste Antwort", message_id="<a1@example.org>")))
    rec = Recorder(dovecot)
    poller = ImapPoller(settings_for(dovecot), rec)
    try:
        assert poller.run_once() == 1
    finally:
        poller.close()
    [mail] = rec.mails
    assert parse_incoming(mail.raw).message_id == "<a1@example.org>"
    assert mail.external_id == f"{dovecot.user}@{dovecot.host}/INBOX/{mail.uidvalidity}/{mail.uid}"
    assert b"\\Seen" not in rec.flags_at_handling[0]  # BODY.PEEK[] left it unread while handled
    flags = dovecot.flags()[mail.uid]
    assert b"$MandatProcessed" in flags and b"\\Seen" not in flags


def test_same_message_is_not_handled_twice_and_failures_are_retried(dovecot) -> None:
    store = InMemoryUidStore()
    rec = Recorder(dovecot, result=False)
    poller = ImapPoller(settings_for(dovecot), rec, store=store)
    dovecot.append(bytes(mails.plain("eins")))
    dovecot.append(bytes(mails.plain("zwei")))
    try:
        assert poller.run_once() == 0  # handler could not store it: offered again
        rec.result = True
        assert poller.run_once() == 2
        assert poller.run_once() == 0
        dovecot.append(bytes(mails.plain("drei")))
        assert poller.run_once() == 1
    finally:
        poller.close()
    assert [m.uid for m in rec.mails] == [1, 1, 2, 3]
    # A new process with an empty UID store still skips what is flagged processed.
    fresh = Recorder(dovecot)
    again = ImapPoller(settings_for(dovecot), fresh, store=InMemoryUidStore())
    try:
        assert again.run_once() == 0
    finally:
        again.close()


def test_move_after_handling(dovecot) -> None:
    rec = Recorder(dovecot)
    poller = ImapPoller(settings_for(dovecot, processed_action="move", processed_folder="Mandat/Erledigt"), rec)
    dovecot.append(bytes(mails.plain("verschieben")))
    try:
        assert poller.run_once() == 1
    finally:
        poller.close()
    assert dovecot.flags("INBOX") == {}
    assert len(dovecot.flags("Mandat.Erledigt")) == 1  # Dovecot's maildir uses '.' as separator


def test_uidvalidity_change_rescans_the_folder(dovecot) -> None:
    folder = "Kanzlei"
    dovecot.append(bytes(mails.plain("alt")), folder=folder)
    dovecot.append(bytes(mails.plain("alt 2")), folder=folder)
    rec = Recorder(dovecot)
    store = InMemoryUidStore()
    poller = ImapPoller(settings_for(dovecot, imap_folder=folder), rec, store=store)
    try:
        assert poller.run_once() == 2
        first_validity = rec.mails[0].uidvalidity
        poller.close()
        dovecot.recreate_folder(folder)
        dovecot.append(bytes(mails.plain("neu nach Neuanlage", message_id="<neu@example.org>")), folder=folder)
        assert poller.run_once() == 1  # UID 1 again, but under a new UIDVALIDITY
    finally:
        poller.close()
    assert rec.mails[-1].uid == 1 and rec.mails[-1].uidvalidity != first_validity
    assert parse_incoming(rec.mails[-1].raw).message_id == "<neu@example.org>"


def test_idle_wakes_the_poller_within_two_seconds(dovecot) -> None:
    rec = Recorder(dovecot)
    poller = ImapPoller(settings_for(dovecot, poll_interval_s=30), rec)
    stop = threading.Event()
    thread = threading.Thread(target=poller.run_forever, args=(stop,), daemon=True)
    thread.start()
    try:
        time.sleep(0.5)  # let it finish the first pass and enter IDLE
        assert rec.mails == []
        appended = time.monotonic()
        dovecot.append(bytes(mails.plain("per IDLE")))
        assert rec.event.wait(2.0), "IDLE did not wake the poller within 2 s"
        assert time.monotonic() - appended < 2.0
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()
    assert len(rec.mails) == 1


def test_polling_fallback_without_idle(dovecot) -> None:
    rec = Recorder(dovecot)
    poller = ImapPoller(settings_for(dovecot, poll_interval_s=0.3), rec)
    poller._idle_supported = False  # as if the server lacked IDLE
    stop = threading.Event()
    thread = threading.Thread(target=poller.run_forever, args=(stop,), daemon=True)
    thread.start()
    try:
        time.sleep(0.2)
        dovecot.append(bytes(mails.plain("per Abfrage")))
        assert rec.event.wait(3.0)
    finally:
        stop.set()
        thread.join(5)
    assert len(rec.mails) == 1


def test_run_forever_backs_off_while_the_server_is_unreachable_and_stops(dovecot) -> None:
    # A refused connection rather than a wrong password: Dovecot would delay every later login
    # from 127.0.0.1 (auth penalty) and slow the other tests down.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    rec = Recorder(dovecot)
    poller = ImapPoller(settings_for(dovecot, imap_port=closed_port), rec)
    stop = threading.Event()
    thread = threading.Thread(target=poller.run_forever, args=(stop,), daemon=True)
    thread.start()
    time.sleep(0.5)
    stop.set()
    thread.join(5)
    assert not thread.is_alive() and rec.mails == []


def test_malformed_mail_from_the_server_is_handed_over_and_parsed_without_crash(dovecot) -> None:
    dovecot.append(mails.MALFORMED)
    seen = []

    def handle(mail: RawMail) -> bool:
        seen.append(parse_incoming(mail.raw))
        return True

    poller = ImapPoller(settings_for(dovecot), handle)
    try:
        assert poller.run_once() == 1
    finally:
        poller.close()
    assert seen[0].error and seen[0].from_addr == "max@example.org"


def test_correspondents_are_handled_side_by_side_each_in_order(dovecot) -> None:
    senders = ["a@example.org", "b@example.org", "c@example.org"]
    for n in range(3):
        for sender in senders:
            msg = mails.plain(f"{sender} {n}")
            del msg["From"]
            msg["From"] = sender
            dovecot.append(bytes(msg))
    seen: dict[str, list[int]] = {s: [] for s in senders}
    threads: set[int] = set()
    lock = threading.Lock()

    def handle(mail: RawMail) -> bool:
        parsed = parse_incoming(mail.raw)
        time.sleep(0.05)  # long enough for the other correspondents' mails to run meanwhile
        with lock:
            seen[parsed.from_addr].append(mail.uid)
            threads.add(threading.get_ident())
        return True

    poller = ImapPoller(settings_for(dovecot, workers=3), handle)
    try:
        assert poller.run_once() == 9
    finally:
        poller.close()
    assert all(uids == sorted(uids) and len(uids) == 3 for uids in seen.values()), seen
    assert len(threads) > 1
    assert all(b"$MandatProcessed" in f for f in dovecot.flags().values())
