"""Two real ``mandat serve --workers 2`` processes on one port, 50 web-chat conversations at once.

Checks what a client would notice: no answer lost (every POST answered, every reply in the history),
no reply twice (ids unique in the history and in every event stream), replies in order (the history
and the event streams show them in the order the POSTs returned them). The event streams are held by
whichever worker accepted them while the turns run in both, so they only get every reply when the
cross-worker relay works (LISTEN/NOTIFY on PostgreSQL, the outbox poll on SQLite).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.agent.scripts import KUENDIGUNG_DE

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[3]
STAFF = "two-workers-staff-token"
CONVERSATIONS = 50
TURNS = 8  # per conversation: 400 turns in all, spread over both workers
STREAMS = 12  # conversations whose event stream is watched


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A clean environment (no developer MANDAT_* settings) with a data dir in tmp_path and the demo firm."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANDAT_")}
    env.update(MANDAT_DATA_DIR=str(tmp_path / "data"), MANDAT_FIRM_DIR=str(REPO / "examples" / "demo-firm"),
               PYTHONPATH=str(REPO), **extra)
    return env


@contextlib.contextmanager
def _serve(tmp_path: Path, database_url: str | None = None) -> Iterator[tuple[str, Path]]:
    """``mandat serve --workers 2`` on a free port; yields its base URL and the supervisor's log."""
    port = _free_port()
    env = _env(tmp_path, MANDAT_STAFF_TOKEN=STAFF, MANDAT_PUBLIC_URL=f"http://127.0.0.1:{port}")
    if database_url:
        env["MANDAT_DATABASE_URL"] = database_url
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "agent.cli", "serve", "--workers", "2", "--port", str(port)],
                                cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield f"http://127.0.0.1:{port}", log_path
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@pytest.fixture(params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    with _serve(tmp_path, url) as running:
        yield running


async def _ready(client: httpx.AsyncClient, log_path: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        started = len(re.findall(r"Application startup complete", log_path.read_text(errors="replace")))
        if started >= 2:
            with_status = await client.get("/openapi.json")
            if with_status.status_code == 200:
                return
        await asyncio.sleep(0.3)
    raise AssertionError("two workers did not come up:\n" + log_path.read_text(errors="replace")[-3000:])


async def _create(client: httpx.AsyncClient, n: int) -> str:
    resp = await client.post("/api/requests", headers={"Authorization": f"Bearer {STAFF}"}, json={
        "client": {"name": f"Client {n}", "email": f"c{n}@example.org", "lang": "de"},
        "questionnaires": ["kuendigung"], "uploads": [], "sign": [], "send": False})
    resp.raise_for_status()
    return str(resp.json()["links"]["chat"]).split("/c/", 1)[1]


async def _converse(client: httpx.AsyncClient, token: str) -> list[str]:
    """Post the answers one after the other; a transport error is retried with the same id (processed once)."""
    replies: list[str] = []
    for text in KUENDIGUNG_DE[:TURNS]:
        body = {"text": text, "id": uuid.uuid4().hex}
        for attempt in range(3):
            try:
                resp = await client.post(f"/c/{token}/messages", json=body)
                break
            except httpx.TransportError:
                if attempt == 2:
                    raise
        assert resp.status_code == 200, resp.text
        got = [r["id"] for r in resp.json()["replies"]]
        assert got, f"turn {text!r} got no reply"
        replies.extend(got)
    return replies


async def _watch(base: str, token: str, seen: list[str], opened: asyncio.Event) -> None:
    """Hold the request's event stream on a connection of its own (some land on each worker)."""
    async with httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(10, read=None)) as own, \
            own.stream("GET", f"/c/{token}/events") as resp:
        assert resp.status_code == 200
        opened.set()
        async for line in resp.aiter_lines():
            if line.startswith("data: "):
                seen.append(json.loads(line[6:])["id"])


async def _scenario(base: str, log_path: Path) -> None:
    limits = httpx.Limits(max_connections=CONVERSATIONS + 10, max_keepalive_connections=0)  # spread over workers
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        t0 = time.monotonic()
        await _ready(client, log_path)
        print(f"ready in {time.monotonic() - t0:.1f} s")
        t0 = time.monotonic()
        sem = asyncio.Semaphore(8)

        async def create(n: int) -> str:
            async with sem:
                return await _create(client, n)

        tokens = await asyncio.gather(*(create(n) for n in range(CONVERSATIONS)))
        print(f"created in {time.monotonic() - t0:.1f} s")
        streams: dict[str, list[str]] = {t: [] for t in tokens[:STREAMS]}
        opened = [asyncio.Event() for _ in streams]
        watchers = [asyncio.create_task(_watch(base, t, seen, ev)) for (t, seen), ev in zip(streams.items(), opened,
                                                                                              strict=True)]
        await asyncio.wait_for(asyncio.gather(*(ev.wait() for ev in opened)), 20)
        await asyncio.sleep(0.5)  # the relays now know these streams
        started = time.monotonic()
        posted = await asyncio.wait_for(asyncio.gather(*(_converse(client, t) for t in tokens)), 120)
        elapsed = time.monotonic() - started
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(len(streams[t]) < len(p) for t, p in zip(tokens, posted,
                                                                                            strict=False)
                                                  if t in streams):
            await asyncio.sleep(0.2)
        for task in watchers:
            task.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)

        all_ids = [i for p in posted for i in p]
        assert len(all_ids) == len(set(all_ids)), "a reply id was given to two turns"
        for token, replies in zip(tokens, posted, strict=True):
            history = (await client.get(f"/c/{token}/history")).json()["messages"]
            agent = [m["id"] for m in history if m["from"] == "agent"]
            assert len(agent) == len(set(agent)), "a reply is in the history twice"
            assert agent[-len(replies):] == replies, "the history lost a reply or has them out of order"
            clients = [m for m in history if m["from"] != "agent"]
            assert len(clients) == TURNS, "a client message was lost or stored twice"
            if token in streams:
                seen = streams[token]
                assert seen == [i for i in replies if i in seen], "the event stream reordered replies"
                assert len(seen) == len(set(seen)), "the event stream showed a reply twice"
                assert set(replies) <= set(seen), f"the event stream missed {set(replies) - set(seen)}"
        print(f"{len(all_ids)} replies to {CONVERSATIONS * TURNS} turns in {elapsed:.1f} s")


def test_two_workers_fifty_conversations(server: tuple[str, Path]) -> None:
    base, log_path = server
    asyncio.run(_scenario(base, log_path))
    log = log_path.read_text(errors="replace")
    assert len(set(re.findall(r"Started server process \[(\d+)\]", log))) == 2, log[-2000:]
    at = log.find("Traceback")
    assert at < 0, log[max(0, at - 1500):at + 3000]


async def _after_a_crash(base: str, log_path: Path) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60,
                                 limits=httpx.Limits(max_keepalive_connections=0)) as client:
        await _ready(client, log_path)
        pids = re.findall(r"Started server process \[(\d+)\]", log_path.read_text(errors="replace"))
        os.kill(int(pids[0]), signal.SIGKILL)  # a worker dies mid-flight
        deadline = time.monotonic() + 60
        while log_path.read_text(errors="replace").count("Application startup complete") < 3:
            assert time.monotonic() < deadline, "the dead worker was not replaced:\n" + log_path.read_text()[-3000:]
            await asyncio.sleep(0.3)
        token = await _create(client, 0)
        replies = await _converse(client, token)  # every connection now lands on a live worker
        assert len(replies) >= TURNS


def test_a_killed_worker_is_replaced(tmp_path: Path) -> None:
    with _serve(tmp_path) as (base, log_path):
        asyncio.run(_after_a_crash(base, log_path))
    assert "died" in log_path.read_text(errors="replace")  # the supervisor noticed and started another


def _established_by_pid(port: int, pids: list[int]) -> dict[int, int]:
    """How many established connections to ``port`` each process holds (from /proc, as ``ss -tnp`` does)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError), open(table) as rows:
            for row in list(rows)[1:]:
                cols = row.split()
                if int(cols[1].rsplit(":", 1)[1], 16) == port and cols[3] == "01":
                    inodes.add(cols[9])
    counts = {}
    for pid in pids:
        held = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
        counts[pid] = sum(f"socket:[{inode}]" in held for inode in inodes)
    return counts


async def _open_while_one_is_busy(base: str, log_path: Path, n: int) -> dict[int, int]:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        await _ready(client, log_path)
    port = int(base.rsplit(":", 1)[1])
    pids = [int(p) for p in set(re.findall(r"Started server process \[(\d+)\]", log_path.read_text()))]
    # A burst of browsers arrives while one worker is busy (held still here, as a long turn holds it).
    os.kill(pids[0], signal.SIGSTOP)
    try:
        opened = await asyncio.gather(*(asyncio.open_connection("127.0.0.1", port) for _ in range(n)))
        for _, writer in opened:
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        await asyncio.sleep(0.5)
    finally:
        os.kill(pids[0], signal.SIGCONT)
    try:
        heads = await asyncio.wait_for(asyncio.gather(*(r.readuntil(b"\r\n\r\n") for r, _ in opened)), 30)
        assert all(h.startswith(b"HTTP/1.1 200") for h in heads)
        return _established_by_pid(port, pids)  # each connection is kept alive by the worker that took it
    finally:
        for _, writer in opened:
            writer.close()


def test_a_burst_of_connections_is_spread_over_the_workers(tmp_path: Path) -> None:
    # On one shared socket the worker that is free took the whole burst and kept it for the connections'
    # keep-alive life (measured 80 % / 20 % in the closed-loop bench); with a socket for each worker the
    # kernel splits connections by address hash, so the busy one answers its share once it is free.
    with _serve(tmp_path) as (base, log_path):
        counts = asyncio.run(_open_while_one_is_busy(base, log_path, 40))
    assert sum(counts.values()) == 40, counts
    assert min(counts.values()) >= 8, counts  # fewer than 8 of 40 by address hash has odds of about 1e-5


def test_a_port_in_use_stops_the_supervisor_before_any_worker(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "agent.cli", "serve", "--workers", "2", "--port", str(port)],
                              cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert f"Cannot listen on 127.0.0.1:{port}" in done.stdout
    assert "Started server process" not in done.stdout + done.stderr


async def _rolling_restart(base: str, log_path: Path) -> tuple[int, list[str]]:
    async with httpx.AsyncClient(base_url=base, timeout=10, limits=httpx.Limits(max_keepalive_connections=0)) as client:
        await _ready(client, log_path)
        parent = int(re.findall(r"Started parent process \[(\d+)\]", log_path.read_text())[0])
        answered, failed = 0, []
        os.kill(parent, signal.SIGHUP)  # each worker replaced by a new one, one after the other
        deadline = time.monotonic() + 90
        while log_path.read_text(errors="replace").count("Finished server process") < 2:
            assert time.monotonic() < deadline, "the rolling restart did not finish:\n" + log_path.read_text()[-3000:]
            try:  # a new connection each time, so every one is accepted by whichever worker listens now
                resp = await client.get("/healthz")
                answered += resp.status_code == 200
                if resp.status_code != 200:
                    failed.append(str(resp.status_code))
            except httpx.TransportError as exc:
                failed.append(type(exc).__name__)
            await asyncio.sleep(0.02)
        return answered, failed


def test_a_rolling_restart_drops_no_request(tmp_path: Path) -> None:
    with _serve(tmp_path) as (base, log_path):
        answered, failed = asyncio.run(_rolling_restart(base, log_path))
        log = log_path.read_text(errors="replace")
    assert failed == [] and answered > 20, (answered, failed)
    assert len(set(re.findall(r"Started server process \[(\d+)\]", log))) == 4, log[-2000:]
