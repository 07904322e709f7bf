"""Benchmark: N concurrent web-chat clients complete the German dismissal questionnaire over HTTP.

Run: .venv/bin/python bench/webchat.py [--clients 100] [--timeout 600]
Starts `mandat serve` as a subprocess on 127.0.0.1 (temp data dir, SQLite, no LLM), creates one
request per client through the staff API, then every client posts the answers of
tests/agent/scripts.py KUENDIGUNG_DE to ``POST /c/{token}/messages``, one after the other, all clients
at once. Prints turns/s, p50/p95/p99 latency of a turn, and the bytes of the chat page's first load
(HTML plus the stylesheets, scripts and images it references). The last line is one JSON object with
turns_per_s, p50_ms, p95_ms, p99_ms and first_load_bytes.

``--think-ms T``: each client pauses about T ms between its messages (a person reading and typing:
0.5–1.5 × T, seeded, and a random start within the first T, so clients do not post in lockstep); 0 is the
closed loop. ``--workers N`` (N > 1): the same run against ``mandat serve --workers N`` too; the JSON's
figures are then the N-worker ones, ``one_worker`` holds the one-process figures of the same run,
``ratio_vs_one_worker`` the throughput ratio and ``workers`` is N.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.lean_http import LeanConnection, ProtocolError  # noqa: E402
from tests.agent.scripts import KUENDIGUNG_DE  # noqa: E402

STAFF_TOKEN = "bench-staff-token"
ASSET = re.compile(r"<(?:link[^>]+rel=\"stylesheet\"[^>]+href|script[^>]+src|img[^>]+src)=\"([^\"]+)\"")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * pct
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def cpu_s(pid: int) -> dict[int, float]:
    """CPU seconds (user + system) of ``pid`` and of its children alive now (the workers), per process: a
    figure that, unlike turns/s, holds when something else runs on the machine, and shows how evenly
    the kernel spread the connections over the workers."""
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    with contextlib.suppress(OSError):
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    used: dict[int, float] = {}
    for each in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            used[each] = (int(fields[11]) + int(fields[12])) / tick
    return used


def start_server(data_dir: Path, port: int, log_path: Path, workers: int = 1) -> subprocess.Popen[bytes]:
    # A clean environment: no developer .env (cwd is the temp dir), no LLM, SQLite in the temp dir.
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANDAT_")}
    env.update(MANDAT_DATA_DIR=str(data_dir), MANDAT_FIRM_DIR=str(REPO / "examples" / "demo-firm"),
               MANDAT_STAFF_TOKEN=STAFF_TOKEN, MANDAT_PUBLIC_URL=f"http://127.0.0.1:{port}", PYTHONPATH=str(REPO))
    log = log_path.open("wb")
    return subprocess.Popen([sys.executable, "-m", "agent.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--workers", str(workers)], cwd=data_dir, env=env, stdout=log, stderr=subprocess.STDOUT)


async def wait_ready(client: httpx.AsyncClient, proc: subprocess.Popen[bytes], deadline: float,
                     log_path: Path, workers: int) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"mandat serve exited with {proc.returncode}")
        try:
            log = log_path.read_text(errors="replace")
            # Measured from when every worker has started and indexed the FAQ (once per installation;
            # a restart finds it indexed), not while the embedding runs beside the first turns.
            up = min(log.count("Application startup complete"),
                     log.count("FAQ index ready") + log.count("indexing the FAQ failed")
                     + log.count("side questions go to staff")) >= workers
            if up and (await client.get("/openapi.json")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    raise RuntimeError("mandat serve did not come up in time; its log ends:\n"
                       + log_path.read_text(errors="replace")[-3000:])


async def create_request(client: httpx.AsyncClient, n: int) -> str:
    resp = await client.post("/api/requests", headers={"Authorization": f"Bearer {STAFF_TOKEN}"}, json={
        "client": {"name": f"Bench Client {n}", "email": f"bench{n}@example.org", "lang": "de"},
        "questionnaires": ["kuendigung"], "uploads": [], "sign": [], "send": False})
    resp.raise_for_status()
    return str(resp.json()["links"]["chat"])


async def first_load(client: httpx.AsyncClient, url: str) -> dict[str, int]:
    page = await client.get(url)
    page.raise_for_status()
    sizes = {"html": len(page.content)}
    for ref in dict.fromkeys(ASSET.findall(page.text)):
        asset = await client.get(urljoin(url, ref))
        asset.raise_for_status()
        sizes[ref.rsplit("/", 1)[-1]] = len(asset.content)
    history = await client.get(url + "/history")  # the page's script asks for the conversation so far
    history.raise_for_status()
    sizes["history.json"] = len(history.content)
    return sizes


async def converse(url: str, latencies: list[float], errors: list[str], think_s: float = 0.0,
                   rng: random.Random | None = None, retried: list[str] | None = None) -> str:
    """One client: its own connection (each is a browser of its own), the questionnaire's answers in turn."""
    rng = rng or random.Random(0)
    retried = [] if retried is None else retried
    parts = urlsplit(url)
    conn = LeanConnection(f"{parts.scheme}://{parts.netloc}")
    status = "open"
    try:
        if think_s:
            # People do not arrive in lockstep: each client starts somewhere in the first think time and
            # pauses 0.5–1.5 × think between messages (mean think), else all would post in the same instant.
            await asyncio.sleep(rng.uniform(0, think_s))
        for n, text in enumerate(KUENDIGUNG_DE):
            if think_s and n:
                await asyncio.sleep(think_s * rng.uniform(0.5, 1.5))  # a person reading the question and typing
            started = time.perf_counter()
            body = {"text": text, "id": f"{rng.getrandbits(64):016x}"}
            for tries_left in (2, 1, 0):  # as the page does: the same id again, so the server takes it once
                try:
                    resp = await conn.post_json(parts.path + "/messages", body)
                    break
                except ProtocolError as exc:  # e.g. a kept-alive connection the server just closed
                    if not tries_left:
                        errors.append(str(exc))
                        return "error"
                    retried.append(str(exc))
            latencies.append((time.perf_counter() - started) * 1000)
            if resp.status != 200:
                errors.append(str(resp.status))
                return "error"
            status = resp.json().get("status", "?")
    finally:
        await conn.close()
    return status


async def run(clients: int, timeout_s: float, workers: int = 1, think_s: float = 0.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout_s
    data_dir = Path(tempfile.mkdtemp(prefix="mandat-bench-"))
    port = free_port()
    proc = start_server(data_dir, port, data_dir / "server.log", workers)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            await wait_ready(client, proc, min(deadline, time.monotonic() + 120), data_dir / "server.log", workers)
            sem = asyncio.Semaphore(8)  # staff create requests at a sane pace; it is not what we measure

            async def create(n: int) -> str:
                async with sem:
                    return await create_request(client, n)

            urls = await asyncio.wait_for(asyncio.gather(*(create(n) for n in range(clients))),
                                          max(1.0, deadline - time.monotonic()))
            sizes = await first_load(client, urls[0])
            latencies: list[float] = []
            errors: list[str] = []
            retried: list[str] = []
            started = time.perf_counter()
            cpu_before = cpu_s(proc.pid)
            bench_cpu_before = time.process_time()
            statuses = await asyncio.wait_for(
                asyncio.gather(*(converse(url, latencies, errors, think_s, random.Random(i), retried)
                               for i, url in enumerate(urls))),
                max(1.0, deadline - time.monotonic()))
            elapsed = time.perf_counter() - started
            cpu_after = cpu_s(proc.pid)
            bench_cpu_ms = (time.process_time() - bench_cpu_before) * 1000
            per_process = {p: (t - cpu_before.get(p, 0.0)) * 1000 for p, t in cpu_after.items()}
            server_cpu_ms = sum(per_process.values())
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        if proc.returncode not in (0, -15):
            print((data_dir / "server.log").read_text(errors="replace")[-3000:], file=sys.stderr)
        shutil.rmtree(data_dir, ignore_errors=True)
    first_load_bytes = sum(v for k, v in sizes.items() if k != "history.json")
    print(f"workers: {workers}, think time: {think_s * 1000:g} ms, clients: {clients}, "
          f"turns: {len(latencies)} in {elapsed:.1f} s, "
          f"complete: {statuses.count('complete')}/{clients}, errors: {len(errors)} {sorted(set(errors))}, "
          f"retried as the page does: {len(retried)}")
    print(f"turns/s: {len(latencies) / elapsed:.1f}; server CPU per turn: "
          f"{server_cpu_ms / max(len(latencies), 1):.2f} ms (by process: "
          f"{', '.join(f'{ms / max(server_cpu_ms, 1e-9):.0%}' for ms in per_process.values())}); "
          f"this bench's own CPU per turn: {bench_cpu_ms / max(len(latencies), 1):.2f} ms")
    print(f"latency ms: p50 {percentile(latencies, 0.5):.1f}  p95 {percentile(latencies, 0.95):.1f}  "
          f"p99 {percentile(latencies, 0.99):.1f}  max {max(latencies, default=0):.1f}")
    print(f"first load: {first_load_bytes} bytes ({', '.join(f'{k} {v}' for k, v in sizes.items())}; "
          f"history.json not counted)")
    return {"turns_per_s": round(len(latencies) / elapsed, 1), "p50_ms": round(percentile(latencies, 0.5), 1),
            "p95_ms": round(percentile(latencies, 0.95), 1), "p99_ms": round(percentile(latencies, 0.99), 1),
            "first_load_bytes": first_load_bytes,
            "server_cpu_ms_per_turn": round(server_cpu_ms / max(len(latencies), 1), 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=600.0, help="global limit in seconds")
    parser.add_argument("--think-ms", type=float, default=0.0,
                        help="pause between a client's messages (0: closed loop)")
    parser.add_argument("--workers", type=int, default=1, help="also run against `mandat serve --workers N`")
    args = parser.parse_args()
    if not 1 <= args.clients <= 2000:
        parser.error("--clients must be between 1 and 2000")
    think_s = args.think_ms / 1000
    result = asyncio.run(run(args.clients, args.timeout, 1, think_s))
    if args.workers > 1:
        one = result
        result = asyncio.run(run(args.clients, args.timeout, args.workers, think_s))
        ratio = float(result["turns_per_s"]) / float(one["turns_per_s"])  # type: ignore[arg-type]
        print(f"{args.workers} workers: {result['turns_per_s']} turns/s, p95 {result['p95_ms']} ms; one worker: "
              f"{one['turns_per_s']} turns/s, p95 {one['p95_ms']} ms; ratio {ratio:.2f}")
        result = {**result, "workers": args.workers, "think_ms": args.think_ms, "one_worker": one,
                  "ratio_vs_one_worker": round(ratio, 2)}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
