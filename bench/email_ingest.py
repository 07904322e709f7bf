"""E-mail ingest benchmark: N client replies appended to a real Dovecot, processed by the wired channel
(IMAP IDLE poller → service turn → outbox → SMTP), replies captured by aiosmtpd.

    .venv/bin/python bench/email_ingest.py [-n 500] [--requests 50] [--rate 0] [--timeout 600]

A fifth of the messages carry a PDF (text layer, no OCR). Messages arrive as a burst (``--rate 0``) or at a
fixed rate. Figures: messages/s from the first arrival to the last reply captured, and arrival-to-reply
latency percentiles. Then a scripted client finishes the dismissal questionnaire by e-mail twice — one
question per mail (the behaviour before batching, ``email.batch_max`` 0) and in batches (the firm's
setting): ``mails_to_complete`` (client mails until the questionnaire is confirmed), ``fields_per_mail``
and the baseline's ``mails_to_complete_one_per_mail``. The last line is one JSON object.

``--workers N`` (N > 1): the throughput run again with N worker processes on the one database, as
``mandat serve --workers N`` runs them: every worker starts the channel, the mailbox's lease makes one of
them the poller (the others deliver the outbox). The JSON's throughput keys are then the N-worker
figures, ``one_worker`` holds the one-process figures of the same run, ``ratio_vs_one_worker`` the
messages/s ratio and ``workers`` is N.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import socket
import statistics
import sys
import tempfile
import threading
import time
from email.message import EmailMessage
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from aiosmtpd.controller import Controller  # noqa: E402
from imapclient import IMAPClient  # noqa: E402

from agent.config import load_settings  # noqa: E402
from agent.service import Mandat  # noqa: E402
from channels.email.wiring import EmailPlug  # noqa: E402
from tests.fakes.dovecot import running_dovecot  # noqa: E402

DEMO_FIRM = REPO / "examples" / "demo-firm"
ANSWERS = ["Max", "Mustermann", "3. April 1980", "Musterstraße 12, 10115 Berlin", "max@example.org",
           "0170 1234567", "ACME GmbH", "Industriestr. 5, 10117 Berlin", "Lagerist", "01.02.2015"]


class Capture:
    """aiosmtpd handler that notes when each reply (by In-Reply-To) arrived."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self.invitations: dict[str, tuple[str, str]] = {}  # client → (Message-ID, Reply-To)
        self.count = 0
        self.cond = threading.Condition()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001, N802
        import email
        import email.policy

        now = time.monotonic()
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self.cond:
            self.count += 1
            if msg["X-Mandat-Kind"] == "invitation":
                self.invitations[msg["To"].addresses[0].addr_spec] = (
                    msg["Message-ID"], msg["Reply-To"].addresses[0].addr_spec)
            elif msg["In-Reply-To"]:
                self.at.setdefault(str(msg["In-Reply-To"]), now)
            self.cond.notify_all()
        return "250 OK"

    def wait(self, check, timeout: float) -> bool:  # noqa: ANN001
        deadline = time.monotonic() + timeout
        with self.cond:
            while not check():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.cond.wait(min(remaining, 0.5))
        return True


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(72, 720, "Anlage: Arbeitsvertrag (Auszug) – Seite 1")
    c.showPage()
    c.save()
    return buf.getvalue()


def _mail(n: int, client: str, invitation: tuple[str, str], pdf: bytes | None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = client
    msg["To"] = invitation[1]
    msg["Subject"] = "Re: Ihre Unterlagen"
    msg["Message-ID"] = f"<bench-{n}@example.org>"
    msg["In-Reply-To"] = invitation[0]
    msg["References"] = invitation[0]
    msg.set_content(f"{ANSWERS[n % len(ANSWERS)]}\n\nViele Grüße\n\nAm 03.03.2025 schrieb Kanzlei:\n> Frage")
    if pdf is not None:
        msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=f"Anlage-{n}.pdf")
    return msg


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def _extra_worker(settings: dict, stop: object, ready: object) -> None:
    """Another worker process of the installation: the channel (it campaigns for the mailbox) and the outbox."""
    plug = EmailPlug(imap_timeout_s=30)
    service = Mandat(load_settings(**settings), ports=plug)
    service.setup()
    assert plug.channel is not None
    service.outbox.start(interval_s=0.5)
    plug.channel.start()
    ready.set()  # type: ignore[attr-defined]
    stop.wait()  # type: ignore[attr-defined]
    plug.channel.stop()
    service.close()


@contextlib.contextmanager
def _extra_workers(count: int, settings: dict):  # noqa: ANN202
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    readies = [ctx.Event() for _ in range(count)]
    procs = [ctx.Process(target=_extra_worker, args=(settings, stop, ready)) for ready in readies]
    for proc in procs:
        proc.start()
    try:
        for ready in readies:
            if not ready.wait(120):
                raise SystemExit("a worker process did not start")
        yield
    finally:
        stop.set()
        for proc in procs:
            proc.join(timeout=30)


def run(n: int, requests: int, rate: float, timeout: float, workers: int = 1) -> dict:
    capture = Capture()
    port = _free_port()
    controller = Controller(capture, hostname="127.0.0.1", port=port)
    controller.start()
    tmp = Path(tempfile.mkdtemp(prefix="mandat-bench-email-"))
    try:
        with running_dovecot() as dv, contextlib.ExitStack() as stack:
            values = dict(
                data_dir=tmp / "var", firm_dir=DEMO_FIRM, smtp_host="127.0.0.1", smtp_port=port, smtp_tls="none",
                mail_from="kanzlei@beispiel.example", imap_host=dv.host, imap_port=dv.port, imap_tls="none",
                imap_user=dv.user, imap_password=dv.password, reply_cap_per_hour=100_000)
            settings = load_settings(**values)
            plug = EmailPlug(imap_timeout_s=30)
            service = Mandat(settings, ports=plug)
            service.setup()
            channel = plug.channel
            assert channel is not None
            service.outbox.start(interval_s=0.5)
            clients = [f"client{i}@example.org" for i in range(requests)]
            for client in clients:
                service.create_request(client_name=f"Client {client}", client_email=client,
                                       questionnaires=["kuendigung"], send=True)
            service.outbox.wake()
            if not capture.wait(lambda: len(capture.invitations) == requests, 60):
                raise SystemExit("invitations were not all sent within 60 s")
            channel.start()  # this process polls: it campaigns first
            time.sleep(0.5)  # let the poller enter IDLE
            if workers > 1:
                stack.enter_context(_extra_workers(workers - 1, values))
            pdf = _pdf()
            raws = [(f"<bench-{i}@example.org>",
                     bytes(_mail(i, clients[i % requests], capture.invitations[clients[i % requests]],
                                 pdf if i % 5 == 4 else None))) for i in range(n)]
            arrived: dict[str, float] = {}
            imap = IMAPClient(dv.host, port=dv.port, ssl=False, timeout=30)
            imap.login(dv.user, dv.password)
            start = time.monotonic()
            try:
                for i, (mid, raw) in enumerate(raws):
                    if rate > 0:
                        delay = start + i / rate - time.monotonic()
                        if delay > 0:
                            time.sleep(delay)
                    imap.append("INBOX", raw)
                    arrived[mid] = time.monotonic()
            finally:
                with contextlib.suppress(Exception):
                    imap.logout()
            appended = time.monotonic()
            done = capture.wait(lambda: len(capture.at) >= n, timeout)
            stack.close()
            channel.stop()
            service.close()
    finally:
        controller.stop()
    got = {mid: capture.at[mid] for mid in arrived if mid in capture.at}
    latencies = [(got[mid] - arrived[mid]) * 1000 for mid in got]
    end = max(got.values()) if got else time.monotonic()
    elapsed = end - start
    return {
        "messages": n, "requests": requests, "with_pdf": sum(1 for i in range(n) if i % 5 == 4),
        "arrival": "burst" if rate <= 0 else f"{rate}/s", "replies_captured": len(got), "complete": done,
        "append_s": round(appended - start, 2), "elapsed_s": round(elapsed, 2),
        "messages_per_s": round(len(got) / elapsed, 2) if elapsed > 0 else 0.0,
        "p50_arrival_to_reply_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_arrival_to_reply_ms": round(_pct(latencies, 95), 1) if latencies else None,
        "max_arrival_to_reply_ms": round(max(latencies), 1) if latencies else None,
    }


# What the scripted client answers, by field (the batch client reads the numbered questions of each mail).
BATCH_ANSWERS = {
    "first_name": "Max", "last_name": "Mustermann", "birth_date": "3.4.1980",
    "address": "Musterstraße 12, 10115 Berlin", "email": "max@example.org", "phone": "0170 1234567",
    "employer_name": "ACME GmbH", "employer_address": "Industriestr. 5, 10117 Berlin", "job_title": "Lagerist",
    "employment_start": "01.02.2015", "gross_salary": "3.500,00 €", "weekly_hours": "40",
    "company_size": "21 bis 200", "works_council": "ja", "dismissal_received": "gestern",
    "dismissal_delivery": "persönlich übergeben", "dismissal_kind": "ordentliche Kündigung", "notice_end": "31.12.2026",
    "reason_given": "-", "special_protection": "nichts davon", "legal_insurance": "ja", "insurer": "ARAG",
    "policy_number": "RS-123456", "iban": "DE89 3704 0044 0532 0130 00", "goal": "eine Abfindung", "other_notes": "-",
}


class Inbox:
    """aiosmtpd handler that keeps every mail to the client (the scripted client reads them)."""

    def __init__(self) -> None:
        self.mails: list = []
        self.cond = threading.Condition()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001, N802
        import email
        import email.policy

        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        if msg["X-Mandat-Kind"] != "notification":
            with self.cond:
                self.mails.append(msg)
                self.cond.notify_all()
        return "250 OK"

    def wait_for(self, n: int, timeout: float = 30) -> bool:
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.mails) < n and time.monotonic() < deadline:
                self.cond.wait(0.5)
            return len(self.mails) >= n


def _batch_reply(text: str, q) -> str:  # noqa: ANN001
    """Answer the numbered questions of a batch mail (``passt`` to the summary)."""
    import re

    if "Bitte prüfen Sie Ihre Angaben" in text:
        return "passt"
    by_question = {f.text("question", "de"): f.id for f in q.fields}
    lines = []
    for n, question in re.findall(r"^(\d{1,2})\. (.+?)(?: \(freiwillig\))?$", text, re.MULTILINE):
        fid = by_question.get(question.strip())
        if fid:
            lines.append(f"{n}. {BATCH_ANSWERS[fid]}")
    return "\n".join(lines)


def completion(batch_max: int | None, timeout: float = 60) -> dict:
    """Client mails until the dismissal questionnaire is complete; None keeps the firm's batch setting."""
    from agent.firm import BatchOptions
    from tests.agent.scripts import KUENDIGUNG_DE

    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    tmp = Path(tempfile.mkdtemp(prefix="mandat-bench-complete-"))
    try:
        with running_dovecot() as dv:
            plug = EmailPlug(imap_timeout_s=30, poll_interval_s=1.0)
            service = Mandat(load_settings(
                data_dir=tmp / "var", firm_dir=DEMO_FIRM, smtp_host="127.0.0.1", smtp_port=port, smtp_tls="none",
                mail_from="kanzlei@beispiel.example", imap_host=dv.host, imap_port=dv.port, imap_tls="none",
                imap_user=dv.user, imap_password=dv.password, reply_cap_per_hour=100_000), ports=plug)
            if batch_max is not None:
                service.firm = service.firm.model_copy(update={"email": BatchOptions(batch_max=batch_max)})
            service.setup()
            channel = plug.channel
            assert channel is not None
            service.outbox.start(interval_s=0.2)
            created = service.create_request(client_name="Max Mustermann", client_email="max@example.org",
                                             questionnaires=["kuendigung"], send=True)
            channel.start()
            q = service.questionnaire("kuendigung")
            sent = 0
            script = iter(KUENDIGUNG_DE)
            while inbox.wait_for(sent + 1, timeout) and sent < 60:
                summary = service.request_summary(created.id)
                if summary["status"] == "complete":
                    break
                last = inbox.mails[-1]
                text = last.get_body(("plain",)).get_content()
                reply = next(script) if batch_max == 0 else _batch_reply(text, q)
                msg = EmailMessage()
                msg["From"] = "max@example.org"
                msg["To"] = last["Reply-To"].addresses[0].addr_spec
                msg["Subject"] = "Re: Ihre Angaben"
                msg["Message-ID"] = f"<complete-{batch_max}-{sent}@example.org>"
                msg["In-Reply-To"] = last["Message-ID"]
                quoted = "\n".join("> " + line for line in text.splitlines())
                msg.set_content(f"{reply}\n\nViele Grüße\nMax\n\nAm 03.03.2025 schrieb Kanzlei:\n{quoted}")
                dv.append(bytes(msg))
                sent += 1
            summary = service.request_summary(created.id)
            fields = len({a["field"] for a in summary["answers"]})
            channel.stop()
            service.close()
    finally:
        controller.stop()
    return {"mails": sent, "fields": fields, "complete": summary["status"] == "complete"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=500, help="messages (default 500)")
    parser.add_argument("--requests", type=int, default=50, help="requests (clients) the messages spread over")
    parser.add_argument("--rate", type=float, default=0.0, help="arrivals per second (0 = burst)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for the replies")
    parser.add_argument("--no-throughput", action="store_true", help="only the scripted completion figures")
    parser.add_argument("--workers", type=int, default=1, help="also run the throughput part with N workers")
    args = parser.parse_args()
    if not (1 <= args.n <= 10_000 and 1 <= args.requests <= args.n):
        parser.error("need 1 <= requests <= n <= 10000")
    logging.basicConfig(level=logging.WARNING)
    result = {} if args.no_throughput else run(args.n, args.requests, args.rate, args.timeout)
    if args.workers > 1 and not args.no_throughput:
        one = result
        result = run(args.n, args.requests, args.rate, args.timeout, args.workers)
        ratio = result["messages_per_s"] / one["messages_per_s"] if one["messages_per_s"] else 0.0
        print(f"{args.workers} workers: {result['messages_per_s']} messages/s; one worker: {one['messages_per_s']} "
              f"messages/s; ratio {ratio:.2f}")
        result = {**result, "workers": args.workers, "one_worker": one, "ratio_vs_one_worker": round(ratio, 2)}
    baseline = completion(0)
    batched = completion(None)
    result.update({
        "mails_to_complete": batched["mails"],
        "fields_per_mail": round(batched["fields"] / batched["mails"], 2) if batched["mails"] else 0.0,
        "mails_to_complete_one_per_mail": baseline["mails"],
        "fields_per_mail_one_per_mail": round(baseline["fields"] / baseline["mails"], 2) if baseline["mails"] else 0.0,
        "completion_ok": batched["complete"] and baseline["complete"],
    })
    if args.no_throughput:
        result["complete"] = result["completion_ok"]
    for key, value in result.items():
        if key not in ("messages_per_s", "p95_arrival_to_reply_ms"):
            print(f"{key}: {value}")
    print(json.dumps(result))
    return 0 if result["complete"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
