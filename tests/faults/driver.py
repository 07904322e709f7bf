"""The fault driver: real ``mandat serve`` with mixed traffic over web chat, e-mail (Dovecot + aiosmtpd) and
Telegram (the fake Bot API), while a seeded chaos schedule SIGKILLs the server, takes PostgreSQL down,
switches the SMTP relay off, cuts the IMAP connections and fills the data disk. Then it counts, from the
client's side and from the database: messages lost, replies duplicated, replies out of order, answers
blanked, and conversations neither complete nor resumable.

Clients behave like real ones: the web chat page retries a message under its own id until it gets an
answer; a mail stays in the mailbox until Mandat flags it; Telegram keeps an update until its offset is
confirmed. Used by tests/faults and bench/soak.py.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, func, select

from agent.store import models as m
from tests.agent.scripts import KUENDIGUNG_DE
from tests.channels.email.harness import reply_to
from tests.fakes.dovecot import DovecotServer
from tests.fakes.telegram_api import FakeTelegram
from tests.faults.infra import MandatProcess, OwnPostgres, SmallDisk, SwitchableSmtp, free_port

DEMO_FIRM = Path(__file__).resolve().parents[2] / "examples" / "demo-firm"
STAFF_TOKEN = "faults-staff-token-7f3a9c"
TG_TOKEN = "4242:faults"
FIRM_MAIL = "kanzlei@beispiel.example"
QUESTION = re.compile(r"(?:Frage|Question) (\d+) (?:von|of) \d+")
IBAN = "DE89 3704 0044 0532 0130 00"


@dataclass
class Plan:
    """What one run does; the defaults are the CI scale, the issue's full scale is a parameter away."""

    webchat: int = 18
    email: int = 6
    telegram: int = 6
    messages: int = 8  # client messages per conversation (the first answers of the dismissal questionnaire)
    kills: int = 20
    kills_in_traffic: int = 4  # of which this many wait until the server serves, the rest strike at any moment
    seed: int = 16
    smtp_outage_s: float = 5.0  # the 60 s, scaled down for CI
    pg_outage_s: float = 3.0
    disk_full_s: float = 4.0
    minutes: float | None = None  # soak: keep cycling conversations and kills for this long
    drain_timeout_s: float = 240.0


@dataclass
class Conversation:
    n: int
    channel: str
    request_id: str
    token: str  # chat link token (web chat), deep-link token (Telegram), "" for e-mail
    address: str = ""  # e-mail address or Telegram chat id
    script: list[str] = field(default_factory=list)
    sent: int = 0  # client messages handed over for good (2xx, appended to the mailbox, queued at Telegram)
    started: bool = False
    last_mail: EmailMessage | None = None
    seen_before_send: int = 0
    uploaded: bool = False  # web chat: a bank statement with an IBAN, sent after the script
    latencies: list[float] = field(default_factory=list)

    @property
    def wants_upload(self) -> bool:
        return self.channel == "webchat" and self.n % 3 == 0

    @property
    def done(self) -> bool:
        return self.sent >= len(self.script) and (self.uploaded or not self.wants_upload)


@dataclass
class Stack:
    root: Path
    pg: OwnPostgres
    smtp: SwitchableSmtp
    dovecot: DovecotServer
    telegram: FakeTelegram
    disk: SmallDisk
    server: MandatProcess
    log_path: Path
    events: list[str] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)  # every link token the clients used (the log test greps them)
    addresses: set[str] = field(default_factory=set)  # and every client's e-mail address

    def env(self) -> dict[str, str]:
        return self.server.env


def build_env(root: Path, pg: OwnPostgres, smtp: SwitchableSmtp, dovecot: DovecotServer, tg: FakeTelegram,
              disk: SmallDisk, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANDAT_")}
    env.update(
        PYTHONPATH=str(Path(__file__).resolve().parents[2]), MANDAT_DATA_DIR=str(disk.path / "var"),
        MANDAT_FIRM_DIR=str(DEMO_FIRM), MANDAT_DATABASE_URL=pg.url, MANDAT_PUBLIC_URL=f"http://127.0.0.1:{port}",
        MANDAT_STAFF_TOKEN=STAFF_TOKEN, MANDAT_SMTP_HOST="127.0.0.1", MANDAT_SMTP_PORT=str(smtp.port),
        MANDAT_SMTP_TLS="none", MANDAT_MAIL_FROM=FIRM_MAIL, MANDAT_IMAP_HOST=dovecot.host,
        MANDAT_IMAP_PORT=str(dovecot.port), MANDAT_IMAP_TLS="none", MANDAT_IMAP_USER=dovecot.user,
        MANDAT_IMAP_PASSWORD=dovecot.password, MANDAT_NOTIFY_DIGEST_MINUTES="0", MANDAT_REPLY_CAP_PER_HOUR="1000",
        MANDAT_TELEGRAM_TOKEN=TG_TOKEN, MANDAT_TELEGRAM_API_URL=tg.url, MANDAT_RATE_LIMIT_PER_MINUTE="100000",
        MANDAT_FAILED_LOOKUPS_PER_MINUTE="100000", MANDAT_LINK_DAYS="30",
    )
    return env


# --------------------------------------------------------------------------- creating the conversations
def client_email(conv: Conversation) -> str:
    return f"client{conv.n}.{conv.channel}@example.org"


def _create(http: httpx.Client, n: int, channel: str, plan: Plan) -> Conversation:
    email = f"client{n}.{channel}@example.org"
    body = {"client": {"name": f"Klient{n} Fehlerfest", "email": email, "lang": "de"},
            "questionnaires": ["kuendigung"], "uploads": [], "sign": [], "send": channel == "email"}
    resp = http.post("/api/requests", json=body, headers={"Authorization": f"Bearer {STAFF_TOKEN}"})
    resp.raise_for_status()
    created = resp.json()
    token = created["links"]["chat"].rsplit("/", 1)[1]
    if channel == "telegram":
        token = created["links"]["telegram"].split("?start=", 1)[1]
    script = list(KUENDIGUNG_DE[: plan.messages])
    if len(script) > 4:
        script[4] = email  # the e-mail question: personal data the logs must not keep
    address = email if channel == "email" else str(700000 + n) if channel == "telegram" else ""
    return Conversation(n, channel, created["id"], token, address, script)


def create_conversations(base: str, plan: Plan, offset: int = 0) -> list[Conversation]:
    convs = []
    with httpx.Client(base_url=base, timeout=60) as http:
        n = offset
        for channel, count in (("webchat", plan.webchat), ("email", plan.email), ("telegram", plan.telegram)):
            for _ in range(count):
                n += 1
                convs.append(_retrying(lambda c=channel, k=n: _create(http, k, c, plan)))
    return convs


def _retrying(fn: Callable[[], Any], timeout_s: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return fn()
        except (httpx.HTTPError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


# --------------------------------------------------------------------------- the clients
class Clients:
    """One thread per channel, stepping its conversations round robin until every script is sent."""

    def __init__(self, stack: Stack, convs: list[Conversation]) -> None:
        self.stack = stack
        self.convs = convs
        self.stop = threading.Event()
        self.errors: dict[str, int] = {"webchat": 0, "email": 0, "telegram": 0}
        self._threads = [threading.Thread(target=self._loop, args=(ch, fn), daemon=True, name=f"client-{ch}")
                         for ch, fn in (("webchat", self._step_web), ("email", self._step_mail),
                                        ("telegram", self._step_tg))]
        self._http = httpx.Client(base_url=stack.server.base, timeout=45)

    def start(self) -> None:
        for t in self._threads:
            t.start()

    def join(self) -> None:
        self.stop.set()
        for t in self._threads:
            t.join(timeout=60)
        self._http.close()

    def all_sent(self) -> bool:
        return all(c.done for c in self.convs)

    def _loop(self, channel: str, step: Callable[[Conversation], None]) -> None:
        while not self.stop.is_set():
            pending = [c for c in list(self.convs) if c.channel == channel and not c.done]  # the soak adds more
            if not pending:
                self.stop.wait(0.2)
                continue
            for conv in pending:
                try:
                    step(conv)
                except (httpx.HTTPError, OSError, RuntimeError):
                    self.errors[channel] += 1
                    self.stop.wait(0.3)
            self.stop.wait(0.05)

    # web chat: post, and on anything but an answer post the same message under the same id again
    def _step_web(self, conv: Conversation) -> None:
        if conv.sent >= len(conv.script):
            self._upload(conv)
            return
        started = time.monotonic()
        resp = self._http.post(f"/c/{conv.token}/messages",
                               json={"text": conv.script[conv.sent], "id": f"f{conv.n}-{conv.sent}"})
        if resp.status_code == 200:
            conv.latencies.append(time.monotonic() - started)
            conv.sent += 1
        else:
            self.errors["webchat"] += 1
            time.sleep(0.3)

    def _upload(self, conv: Conversation) -> None:
        from tests.tools.corpus import text_pdf

        pdf = text_pdf(["Kontoauszug", f"Kontoinhaber Klient{conv.n} Fehlerfest", f"IBAN {IBAN}", conv.address])
        resp = self._http.post(f"/c/{conv.token}/uploads", data={"text": f"Anbei, IBAN {IBAN}", "id": f"f{conv.n}-up"},
                               files=[("file", ("kontoauszug.pdf", pdf, "application/pdf"))])
        if resp.status_code == 200:
            conv.uploaded = True
        else:
            self.errors["webchat"] += 1
            time.sleep(0.3)

    # e-mail: answer the newest mail once it is the answer to our last message (or the invitation)
    def _step_mail(self, conv: Conversation) -> None:
        wanted = f"<f{conv.n}-{conv.sent - 1}@client.example>" if conv.sent else None
        mails = [msg for msg in list(self.stack.smtp.capture.messages)
                 if msg["To"] and msg["To"].addresses[0].addr_spec == conv.address]
        answer = next((msg for msg in mails if (wanted is None and msg["Auto-Submitted"] == "auto-generated")
                       or (wanted is not None and msg["In-Reply-To"] == wanted)), None)
        if answer is None:
            return
        mail = reply_to(answer, conv.script[conv.sent], sender=conv.address,
                        message_id=f"<f{conv.n}-{conv.sent}@client.example>")
        self.stack.dovecot.append(bytes(mail))
        conv.sent += 1

    # Telegram: /start first, then one text each time the bot has said something new
    def _step_tg(self, conv: Conversation) -> None:
        fake = self.stack.telegram
        chat = int(conv.address)
        seen = len(fake.messages_to(chat))
        if not conv.started:
            fake.queue(fake.text(chat, f"/start {conv.token}"))
            conv.started, conv.seen_before_send = True, seen
            return
        texts = fake.texts_to(chat)
        asked = [int(q) for t in texts for q in QUESTION.findall(t)]
        if len(asked) < conv.sent + 1:  # the question for the next answer has not come yet
            return
        fake.queue(fake.text(chat, conv.script[conv.sent]))
        conv.sent += 1


# --------------------------------------------------------------------------- the chaos
class Chaos:
    """The seeded schedule: kills at random moments, with the other faults between them."""

    def __init__(self, stack: Stack, plan: Plan) -> None:
        self.stack, self.plan = stack, plan
        self.rng = random.Random(plan.seed)
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="chaos")
        self.failure: BaseException | None = None
        self.faults: dict[str, Any] = {}

    def start(self) -> None:
        self.thread.start()

    def _note(self, what: str) -> None:
        self.stack.events.append(f"{time.strftime('%H:%M:%S')} {what}")

    def _run(self) -> None:
        try:
            self._schedule()
        except BaseException as exc:  # noqa: BLE001 - reported by the driver
            self.failure = exc
        finally:
            self.done.set()

    def _schedule(self) -> None:
        """Kills in traffic wait until the server serves and strike 0.5–3 s later; each is followed by one
        of the other faults while the restarted server serves. The rest strike 0.05–2.5 s after a start,
        whatever the process is doing then (importing, migrating, recovering or serving)."""
        plan, server = self.plan, self.stack.server
        extras = [self._smtp_outage, self._imap_drop, self._pg_outage, self._disk_full]
        in_traffic = sorted(self.rng.sample(range(plan.kills), min(max(plan.kills_in_traffic, len(extras)),
                                                                   plan.kills)))
        after = dict(zip(in_traffic, extras, strict=False))
        for k in range(plan.kills):
            if k in in_traffic:
                server.wait_up()
                time.sleep(self.rng.uniform(0.5, 3.0))
            else:
                time.sleep(self.rng.uniform(0.05, 2.5))
            serving = server.up()
            server.kill()
            self._note(f"SIGKILL #{k + 1} ({'serving' if serving else 'starting'})")
            server.start()
            if k in after:
                server.wait_up()
                after[k]()
        server.wait_up()

    def _smtp_outage(self) -> None:
        self._note(f"SMTP sink stopped for {self.plan.smtp_outage_s}s")
        self.stack.smtp.stop()
        time.sleep(self.plan.smtp_outage_s)
        self.stack.smtp.start()
        self.faults["smtp_outage_s"] = self.plan.smtp_outage_s

    def _imap_drop(self) -> None:
        d = self.stack.dovecot
        subprocess.run(["doveadm", "-c", str(d.conf), "kick", d.user], capture_output=True, timeout=30)
        self._note("IMAP connections dropped (doveadm kick)")
        self.faults["imap_drops"] = self.faults.get("imap_drops", 0) + 1

    def _pg_outage(self) -> None:
        self._note(f"PostgreSQL down for {self.plan.pg_outage_s}s (immediate stop)")
        self.stack.pg.outage(self.plan.pg_outage_s)
        self.faults["pg_restarts"] = self.faults.get("pg_restarts", 0) + 1

    def _disk_full(self) -> None:
        written = self.stack.disk.fill()
        self._note(f"data disk full ({written // 1024 // 1024} MB filler) for {self.plan.disk_full_s}s")
        ready = _readyz(self.stack.server.base)
        time.sleep(self.plan.disk_full_s)
        self.stack.disk.free()
        self.faults["disk_full"] = bool(written)
        self.faults["readyz_when_full"] = ready


def _readyz(base: str) -> dict[str, Any]:
    with contextlib.suppress(httpx.HTTPError, ValueError):
        resp = httpx.get(f"{base}/readyz", timeout=10)
        return {"status": resp.status_code, "failing": resp.json().get("failing")}
    return {"status": None}


# --------------------------------------------------------------------------- the verdict
def _client_view(stack: Stack, conv: Conversation, http: httpx.Client) -> list[tuple[str, str]]:
    """What the client saw, as (message id, text) in arrival order."""
    if conv.channel == "webchat":
        resp = http.get(f"/c/{conv.token}/history")
        resp.raise_for_status()
        return [(str(msg.get("id")), str(msg.get("text", ""))) for msg in resp.json()["messages"]
                if msg.get("role", msg.get("from")) in ("agent", "assistant", "bot", None)]
    if conv.channel == "email":
        mails = [msg for msg in list(stack.smtp.capture.messages)
                 if msg["To"] and msg["To"].addresses[0].addr_spec == conv.address]
        return [(str(msg["Message-ID"]), msg.get_body(("plain",)).get_content()) for msg in mails]
    return [(f"tg{i}", text) for i, text in enumerate(stack.telegram.texts_to(int(conv.address)))]


def verdict(stack: Stack, convs: list[Conversation]) -> dict[str, Any]:
    figures = {"conversations": len(convs), "messages_sent": sum(c.sent for c in convs),
               "messages_planned": sum(len(c.script) for c in convs), "lost": 0,
               "duplicated": 0, "redelivered_same_id": 0, "out_of_order": 0, "blanked": 0, "unfinished": 0,
               "inbound_duplicated": 0}
    problems: list[str] = []
    engine = create_engine(stack.pg.url)
    try:
        with engine.connect() as db, httpx.Client(base_url=stack.server.base, timeout=60) as http:
            for conv in convs:
                _judge(stack, conv, db, http, figures, problems)
    finally:
        engine.dispose()
    figures["problems"] = problems[:40]
    return figures


def _judge(stack: Stack, conv: Conversation, db: Any, http: httpx.Client, figures: dict[str, Any],
           problems: list[str]) -> None:
    stored = list(db.execute(select(m.InboundRecord.text).where(m.InboundRecord.request_id == conv.request_id)
                             .order_by(m.InboundRecord.id)).scalars())
    sent = conv.script[: conv.sent]
    for text in set(sent):
        got, want = stored.count(text), sent.count(text)
        if got < want:
            figures["lost"] += want - got
            problems.append(f"{conv.channel} #{conv.n}: {text!r} stored {got}× of {want}")
        elif got > want:
            figures["inbound_duplicated"] += got - want
    if conv.channel == "email":
        asked = _judge_mail(stack, conv, figures, problems)
    else:
        asked = _judge_questions(stack, conv, http, figures, problems, db)
    answers = list(db.execute(select(m.Answer.field_id, m.Answer.value)
                              .where(m.Answer.request_id == conv.request_id)).all())
    blank = [f for f, v in answers if v in (None, "", [], {})]
    figures["blanked"] += len(blank)
    if blank:
        problems.append(f"{conv.channel} #{conv.n}: blank answers {blank}")
    status = db.execute(select(m.Request.status).where(m.Request.id == conv.request_id)).scalar()
    resumable = status == "complete" or (max(asked, default=0) >= conv.sent and len(answers) >= conv.sent)
    if not resumable:
        figures["unfinished"] += 1
        problems.append(f"{conv.channel} #{conv.n}: status {status}, asked {asked[-3:]}, answers {len(answers)}"
                        f" of {conv.sent} sent")


def _judge_mail(stack: Stack, conv: Conversation, figures: dict[str, Any], problems: list[str]) -> list[int]:
    """E-mail asks in batches, not "Frage n von": each of our mails must get exactly one answer, in order."""
    mails = [msg for msg in list(stack.smtp.capture.messages)
             if msg["To"] and msg["To"].addresses[0].addr_spec == conv.address]
    ids = [str(msg["Message-ID"]) for msg in mails]
    figures["redelivered_same_id"] += len(ids) - len(set(ids))
    first: dict[str, EmailMessage] = {}
    for msg in mails:  # a copy under a known Message-ID is the same mail to a mail program: count it once
        first.setdefault(str(msg["Message-ID"]), msg)
    mails = list(first.values())
    answered: dict[str, set[str]] = {}
    order: list[int] = []
    for msg in mails:
        found = re.match(rf"<f{conv.n}-(\d+)@client\.example>", str(msg["In-Reply-To"] or ""))
        if found:
            answered.setdefault(found.group(1), set()).add(str(msg["Message-ID"]))
            order.append(int(found.group(1)) + 1)
    for ref, got in answered.items():
        if len(got) > 1:
            figures["duplicated"] += len(got) - 1
            problems.append(f"email #{conv.n}: message {ref} answered {len(got)}×")
    late = sum(1 for a, b in zip(order, order[1:], strict=False) if b < a)
    figures["out_of_order"] += late
    if late:
        problems.append(f"email #{conv.n}: answers arrived in the order {order}")
    return order  # "asked" up to n: the n-th message was answered


def _judge_questions(stack: Stack, conv: Conversation, http: httpx.Client, figures: dict[str, Any],
                     problems: list[str], db: Any) -> list[int]:
    view = _client_view(stack, conv, http)
    ids = [i for i, _ in view]
    figures["redelivered_same_id"] += len(ids) - len(set(ids))
    unique: dict[str, str] = {}
    for msg_id, text in view:
        unique.setdefault(msg_id, text)
    asked = [int(q) for text in unique.values() for q in QUESTION.findall(text)]
    # After the upload the current question is asked again, on purpose: count repeats up to the last answer.
    counted = [q for q in asked if q <= conv.sent] if conv.uploaded else asked
    rows = [str((body or {}).get("text", "")) for body in db.execute(
        select(m.OutboxRow.body).where(m.OutboxRow.request_id == conv.request_id)).scalars()]
    for q in set(counted):
        copies = sum(1 for text in rows if q in [int(x) for x in QUESTION.findall(text)])
        if conv.channel == "telegram" and copies == 1 and counted.count(q) == 2:
            # One outbox row delivered twice: the crash fell between the Bot API's answer and "sent".
            # Telegram has no message ids to recognise it by; this is the outbox's at-least-once gap.
            figures["redelivered_same_id"] += 1
            problems.append(f"telegram #{conv.n}: question {q} redelivered (one outbox row)")
            late = len(asked) - 1 - asked[::-1].index(q)
            asked = asked[:late] + asked[late + 1:]  # the copy, like a mail under a known id, counts once
            continue
        if counted.count(q) > 1:
            figures["duplicated"] += counted.count(q) - 1
            problems.append(f"{conv.channel} #{conv.n}: question {q} asked {counted.count(q)}×")
    late = sum(1 for a, b in zip(asked, asked[1:], strict=False) if b < a)
    figures["out_of_order"] += late
    if late:
        problems.append(f"{conv.channel} #{conv.n}: questions arrived in the order {asked}")
    return asked


def outbox_empty(stack: Stack) -> bool:
    engine = create_engine(stack.pg.url)
    try:
        with engine.connect() as db:
            waiting = db.execute(select(func.count(m.OutboxRow.id))
                                 .where(m.OutboxRow.status.in_(("pending", "sending")))).scalar()
            unhandled = db.execute(select(func.count(m.InboundRecord.id))
                                   .where(m.InboundRecord.status == "received")).scalar()
        return not waiting and not unhandled
    except Exception:  # noqa: BLE001 - the database may be restarting
        return False
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- one run
def open_stack(root: Path, dovecot: DovecotServer, telegram: FakeTelegram, *, disk_mb: int = 160) -> Stack:
    pg = OwnPostgres(root)
    smtp = SwitchableSmtp()
    disk: SmallDisk | None = None
    try:
        pg.init()
        smtp.start()
        disk = SmallDisk(root, mb=disk_mb)
    except BaseException:  # a SIGTERM during start-up (the soak) must not leave a cluster running
        for step in (smtp.stop, lambda: pg.stop("immediate"), disk.close if disk else None):
            with contextlib.suppress(Exception):
                if step is not None:
                    step()
        raise
    port = free_port()
    log_path = root / "mandat.log"
    server = MandatProcess(build_env(root, pg, smtp, dovecot, telegram, disk, port), port, log_path)
    return Stack(root, pg, smtp, dovecot, telegram, disk, server, log_path)


def close_stack(stack: Stack) -> None:
    for step in (stack.server.stop, stack.smtp.stop, lambda: stack.pg.stop("fast"), stack.disk.close):
        with contextlib.suppress(Exception):
            step()


def run(stack: Stack, plan: Plan) -> dict[str, Any]:
    """Traffic with faults, then drain, then count. Returns the figures."""
    started = time.monotonic()
    stack.server.start()
    stack.server.wait_up(180)
    convs = create_conversations(stack.server.base, plan)
    stack.tokens |= {c.token for c in convs}
    stack.addresses |= {client_email(c) for c in convs}
    clients = Clients(stack, convs)
    chaos = Chaos(stack, plan)
    clients.start()
    chaos.start()
    chaos.done.wait()
    if chaos.failure is not None:
        clients.join()
        raise chaos.failure
    deadline = time.monotonic() + plan.drain_timeout_s
    while time.monotonic() < deadline and not (clients.all_sent() and outbox_empty(stack)):
        if not stack.server.up() and stack.server.proc is not None and stack.server.proc.poll() is not None:
            stack.server.start()  # it died on its own (it must not, but recovering is the client's way)
            stack.events.append("server exited by itself; restarted")
        time.sleep(0.5)
    time.sleep(1.0)  # the last replies' SMTP and Bot API calls
    clients.join()
    figures = verdict(stack, convs)
    latencies = sorted(x for c in convs for x in c.latencies)
    figures.update(
        kills=stack.server.kills, starts=stack.server.starts, faults=chaos.faults, events=stack.events,
        client_errors=clients.errors, seconds=round(time.monotonic() - started, 1),
        drained=clients.all_sent() and outbox_empty(stack),
        p95_s=round(latencies[int(0.95 * (len(latencies) - 1))], 3) if latencies else None)
    return figures
