"""Benchmark: Telegram updates per second, from the (fake) Bot API to the reply sent back to it.

Run: .venv/bin/python bench/telegram.py [--chats 20] [--answers 20] [--timeout 300]
Starts the fake Bot API (tests/fakes/telegram_api.py) on 127.0.0.1 and a real Mandat on a temp data
dir (SQLite, offline understanding, no LLM) with the Telegram channel long-polling it. Binds one chat
per request through ``/start <token>``, then queues every chat's answers (tests/agent/scripts.py
KUENDIGUNG_DE, in order) at once and waits until every update is processed and every reply it caused
was delivered to the fake API. For comparison it also times the same number of turns through
``service.receive`` directly (the core alone). The last line is one JSON object with updates_per_s.

``--workers N`` adds the scale-out setup: ``mandat serve --workers N`` in webhook mode on one
PostgreSQL schema (MANDAT_TEST_PG, default the local server), the benchmark playing Telegram (each
chat's updates one after the other, as Telegram does; the kernel spreads the connections over the
workers), and the same with ``--workers 1`` in the same run; reported as ``webhook_workers_updates_per_s``
next to ``one_worker_updates_per_s`` and ``ratio_vs_one_worker``, with ``workers`` = N. (Long polling
does not scale out: one worker per installation polls, elected by lease.)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
# This file is called telegram.py: keep its folder off the path so ``import telegram`` finds the library.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(REPO))

from sqlalchemy import func, select  # noqa: E402

from agent.config import load_settings  # noqa: E402
from agent.messages import InboundMessage  # noqa: E402
from agent.service import Mandat  # noqa: E402
from agent.store import models as m  # noqa: E402
from bench.lean_http import LeanConnection  # noqa: E402
from channels.telegram import SECRET_HEADER, TelegramChannel, TelegramPlug, webhook_secret  # noqa: E402
from tests.agent.scripts import KUENDIGUNG_DE  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram, free_port  # noqa: E402

TOKEN = "123:bench"


def _service(data: Path, api_url: str | None) -> tuple[Mandat, TelegramChannel | None]:
    settings = load_settings(data_dir=data, firm_dir=REPO / "examples" / "demo-firm",
                             public_url="http://127.0.0.1:8000", telegram_token=TOKEN if api_url else None,
                             telegram_api_url=api_url)
    plug = TelegramPlug(settings, announce=False)
    service = Mandat(settings, ports=plug)
    service.setup()
    return service, plug.channel


def _wait(predicate, timeout_s: float, interval_s: float = 0.05) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval_s)
    return bool(predicate())


class RemoteFake:
    """The fake Bot API in its own process, like the real Telegram is: its work does not load ours."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=30)
        self.factory = FakeTelegram(TOKEN)  # only builds update dicts

    def text(self, chat_id: int, text: str) -> dict[str, Any]:
        return self.factory.text(chat_id, text)

    def queue(self, update: dict[str, Any]) -> None:
        self.queue_many([update])

    def queue_many(self, updates: list[dict[str, Any]]) -> None:
        self.http.post("/_fake/queue", json=updates).raise_for_status()

    def state(self) -> dict[str, Any]:
        return dict(self.http.get("/_fake/state").json())


@contextlib.contextmanager
def remote_fake() -> Iterator[RemoteFake]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "tests.fakes.telegram_api", "--port", str(port), "--token", TOKEN],
                            cwd=REPO)
    try:
        fake = RemoteFake(f"http://127.0.0.1:{port}")

        def up() -> bool:
            try:
                return fake.http.get("/_fake/state").status_code == 200
            except httpx.HTTPError:
                return False

        if not _wait(up, 20):
            raise SystemExit("the fake Bot API did not start")
        yield fake
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def bench_channel(chats: int, answers: list[str], timeout_s: float, concurrency: int = 8) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="mandat-bench-tg-") as tmp, remote_fake() as fake:
        service, channel = _service(Path(tmp), fake.url)
        assert channel is not None
        channel.poll_timeout_s = 1.0
        channel.concurrency = concurrency
        channel.start_background()
        service.outbox.start(interval_s=0.05)
        try:
            chat_ids = [100_000 + n for n in range(chats)]
            for n, chat in enumerate(chat_ids):
                created = service.create_request(client_name=f"Client {n}", client_email=f"c{n}@example.org",
                                                 lang="de", questionnaires=["kuendigung"],
                                                 uploads=["Kündigungsschreiben"])
                fake.queue(fake.text(chat, "/start " + created.links["telegram"].split("?start=", 1)[1]))
            if not _wait(lambda: all(fake.state()["by_chat"].get(str(c), 0) >= 4 for c in chat_ids), timeout_s):
                raise SystemExit("binding the chats timed out")
            sent_before = fake.state()["sent"]
            updates = [fake.text(chat, text) for text in answers for chat in chat_ids]

            def done() -> bool:
                if fake.state()["pending"]:
                    return False
                with service.db.read() as s:
                    processed = s.scalar(select(func.count(m.InboundRecord.id)).where(
                        m.InboundRecord.channel == "telegram", m.InboundRecord.status != "received")) or 0
                    if processed < len(updates):
                        return False
                    open_rows = s.scalar(select(func.count(m.OutboxRow.id)).where(
                        m.OutboxRow.channel == "telegram", m.OutboxRow.status.in_(("pending", "sending"))))
                    return not open_rows

            started = time.perf_counter()
            fake.queue_many(updates)
            if not _wait(done, timeout_s, 0.1):  # a coarse check: the checking itself costs the bot CPU
                raise SystemExit(f"the burst of {len(updates)} updates did not finish in {timeout_s}s")
            elapsed = time.perf_counter() - started
            replies = fake.state()["sent"] - sent_before
        finally:
            channel.stop_background()
            channel.close()
            service.close()
    return {"updates": len(updates), "seconds": elapsed, "updates_per_s": len(updates) / elapsed,
            "replies": replies}


def bench_core(chats: int, answers: list[str]) -> float:
    """The same turns straight into ``service.receive``, one thread: what the core alone manages."""
    with tempfile.TemporaryDirectory(prefix="mandat-bench-core-") as tmp:
        service, _ = _service(Path(tmp), None)
        try:
            ids = [service.create_request(client_name=f"Client {n}", client_email=f"c{n}@example.org", lang="de",
                                          questionnaires=["kuendigung"], uploads=["Kündigungsschreiben"]).id
                   for n in range(chats)]
            started = time.perf_counter()
            count = 0
            for k, text in enumerate(answers):
                for n, request_id in enumerate(ids):
                    service.receive(InboundMessage(channel="telegram", sender=str(n), request_id=request_id,
                                                   text=text, external_id=f"core:{k}:{n}"))
                    count += 1
            return count / (time.perf_counter() - started)
        finally:
            service.close()


PG_BASE = os.environ.get("MANDAT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _start_worker(data: Path, port: int, db_url: str, fake_url: str, workers: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANDAT_")}
    env.update(MANDAT_DATA_DIR=str(data), MANDAT_FIRM_DIR=str(REPO / "examples" / "demo-firm"),
               MANDAT_DATABASE_URL=db_url, MANDAT_STAFF_TOKEN="bench", MANDAT_PUBLIC_URL=f"http://127.0.0.1:{port}",
               MANDAT_TELEGRAM_TOKEN=TOKEN, MANDAT_TELEGRAM_API_URL=fake_url,
               MANDAT_TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/webhook", PYTHONPATH=str(REPO))
    log = (data / f"worker-{port}.log").open("wb")
    return subprocess.Popen([sys.executable, "-m", "agent.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--workers", str(workers)], cwd=data, env=env, stdout=log, stderr=subprocess.STDOUT)


async def _push(port: int, secret: dict[str, str], per_chat: dict[int, list[dict[str, Any]]]) -> None:
    """Every chat's updates to the webhook, the chats at once, each chat's in order."""
    async def one_chat(updates: list[dict[str, Any]]) -> None:
        # a connection per chat, lean (bench/lean_http.py): the bench's CPU is the workers' too
        conn = LeanConnection(f"http://127.0.0.1:{port}", timeout_s=120)
        try:
            for update in updates:  # Telegram waits for the answer before the chat's next update
                resp = await conn.post_json("/telegram/webhook", update, headers=secret)
                if resp.status != 200:
                    raise SystemExit(f"the webhook answered {resp.status}: {resp.body[:300]!r}")
        finally:
            await conn.close()

    await asyncio.gather(*(one_chat(u) for u in per_chat.values()))


def bench_workers(workers: int, chats: int, answers: list[str], timeout_s: float) -> dict[str, float]:
    import psycopg
    from sqlalchemy import create_engine

    schema = f"bench_tg_{os.getpid()}_{workers}"
    plain = PG_BASE.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.execute(f'CREATE SCHEMA "{schema}"')
    db_url = f"{PG_BASE}{'&' if '?' in PG_BASE else '?'}options=-csearch_path%3D{schema}"
    engine = create_engine(db_url)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="mandat-bench-tgw-") as tmp, remote_fake() as fake:
            data = Path(tmp)
            ports = [free_port()]
            procs.append(_start_worker(data, ports[0], db_url, fake.url, workers))
            log_path = data / f"worker-{ports[0]}.log"

            def up() -> bool:
                started = log_path.read_text(errors="replace").count("Application startup complete")
                return started >= workers and _up(f"http://127.0.0.1:{ports[0]}/openapi.json")

            if not _wait(up, 120, 0.2):
                raise SystemExit(f"mandat serve --workers {workers} did not start; see its log in {data}")
            with httpx.Client(base_url=f"http://127.0.0.1:{ports[0]}", timeout=60,
                              headers={"Authorization": "Bearer bench"}) as staff:
                tokens = []
                for n in range(chats):
                    resp = staff.post("/api/requests", json={
                        "client": {"name": f"Client {n}", "email": f"w{n}@example.org", "lang": "de"},
                        "questionnaires": ["kuendigung"], "uploads": ["Kündigungsschreiben"], "sign": [],
                        "send": False})
                    resp.raise_for_status()
                    tokens.append(resp.json()["links"]["telegram"].split("?start=", 1)[1])
            chat_ids = [200_000 + n for n in range(chats)]
            factory = FakeTelegram(TOKEN)
            secret = {SECRET_HEADER: webhook_secret(TOKEN)}

            def outbox_empty() -> bool:
                with engine.connect() as conn:
                    left = conn.execute(select(func.count(m.OutboxRow.id)).where(
                        m.OutboxRow.channel == "telegram", m.OutboxRow.status.in_(("pending", "sending")))).scalar()
                return not left

            starts = {c: [factory.text(c, "/start " + tok)] for c, tok in zip(chat_ids, tokens, strict=True)}
            asyncio.run(_push(ports[0], secret, starts))
            if not _wait(lambda: all(fake.state()["by_chat"].get(str(c), 0) >= 4 for c in chat_ids), timeout_s):
                raise SystemExit("binding the chats timed out")
            per_chat = {c: [factory.text(c, text) for text in answers] for c in chat_ids}
            count = sum(len(u) for u in per_chat.values())
            started = time.perf_counter()
            asyncio.run(_push(ports[0], secret, per_chat))
            if not _wait(outbox_empty, timeout_s, 0.1):
                raise SystemExit("the replies were not all sent in time")
            elapsed = time.perf_counter() - started
            return {"updates": count, "seconds": elapsed, "updates_per_s": count / elapsed}
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        engine.dispose()
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _up(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=20)
    parser.add_argument("--answers", type=int, default=20, help="answers per chat (from KUENDIGUNG_DE)")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--concurrency", type=int, default=8, help="chats handled at the same time")
    parser.add_argument("--workers", type=int, default=0,
                        help="also run N `mandat serve` workers in webhook mode on PostgreSQL")
    parser.add_argument("--skip-core", action="store_true", help="do not time the core alone")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    answers = KUENDIGUNG_DE[: max(1, min(args.answers, len(KUENDIGUNG_DE)))]
    result = bench_channel(args.chats, answers, args.timeout, args.concurrency)
    core = None if args.skip_core else bench_core(args.chats, answers)
    scaled = bench_workers(args.workers, args.chats, answers, args.timeout) if args.workers > 0 else None
    one = bench_workers(1, args.chats, answers, args.timeout) if args.workers > 1 else scaled
    print(f"Telegram: {result['updates']} updates from {args.chats} chats in {result['seconds']:.2f} s "
          f"→ {result['updates_per_s']:.1f} updates/s ({result['replies']} messages sent back); "
          f"{os.cpu_count()} CPUs")
    if core is not None:
        print(f"Core alone (service.receive, one thread): {core:.1f} turns/s")
    if scaled is not None:
        assert one is not None
        print(f"Webhook, {args.workers} worker processes on PostgreSQL: {scaled['updates']} updates in "
              f"{scaled['seconds']:.2f} s → {scaled['updates_per_s']:.1f} updates/s; one worker "
              f"{one['updates_per_s']:.1f} updates/s (ratio {scaled['updates_per_s'] / one['updates_per_s']:.2f})")
    out = {"updates_per_s": round(result["updates_per_s"], 1), "updates": result["updates"],
           "seconds": round(result["seconds"], 2), "replies": result["replies"], "chats": args.chats}
    if core is not None:
        out["core_turns_per_s"] = round(core, 1)
    if scaled is not None:
        assert one is not None
        out["webhook_workers"] = out["workers"] = args.workers
        out["webhook_workers_updates_per_s"] = round(scaled["updates_per_s"], 1)
        out["one_worker_updates_per_s"] = round(one["updates_per_s"], 1)
        out["ratio_vs_one_worker"] = round(scaled["updates_per_s"] / one["updates_per_s"], 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
