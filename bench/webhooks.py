"""Webhook benchmark: 10,000 events to a local receiver that verifies every signature.

The receiver runs in a process of its own (as the firm's system would), on 127.0.0.1, with keep-alive.

Phase 1 (throughput): 10,000 ``message.received`` events over 50 requests are queued (the outbox is not
running yet), then one worker's webhook lane drains them; prints deliveries/s.
Phase 2 (latency): events are written one per transaction at a steady rate below capacity while the lane
runs, as in a working installation; prints p50/p95/p99 from the event's creation (its ``created_at``) to
its arrival at the receiver.

Options: --events, --requests, --paced, --rate, --database-url (default: SQLite in a temp dir).
The last line printed is one JSON object with ``deliveries_per_s`` and ``p95_ms``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from agent.config import load_settings  # noqa: E402
from agent.service import Mandat  # noqa: E402
from agent.store import models as m  # noqa: E402
from agent.webhooks import install_webhooks  # noqa: E402
from agent.webhooks.registry import add_webhook  # noqa: E402
from tests.agent.webhooks.receiver import Receiver, verify  # noqa: E402

DEMO_FIRM = REPO / "examples" / "demo-firm"


def _queue(service: Mandat, requests: list[str], count: int, *, start: int = 0, batch: int = 200) -> None:
    """``count`` client-message activities; each becomes an event row in the same flush."""
    n = start
    while n < start + count:
        with service.db.write() as s:
            for _ in range(min(batch, start + count - n)):
                rid = requests[n % len(requests)]
                s.add(m.Activity(request_id=rid, kind="message_received", summary=f"message {n}",
                                 data={"channel": "email", "n": n}))
                n += 1


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _serve(port: Any, count: Any, secret_box: Any, results: Any, stop: Any) -> None:
    """The receiver process: counts deliveries; at the end checks every signature and reports."""
    receiver = Receiver().start()
    port.value = receiver.port
    while not stop.is_set():
        count.value = len(receiver.deliveries)
        time.sleep(0.002)
    secret = secret_box.get()
    receiver.stop()
    results.put([{"id": d.event["id"], "created_at": d.event["created_at"], "at": d.at,
                  "verified": verify(secret, d.headers.get("Mandat-Signature", ""), d.body, tolerance_s=3600)}
                 for d in receiver.deliveries])


class RemoteReceiver:
    def __init__(self) -> None:
        ctx = mp.get_context("spawn")
        self.port, self.count = ctx.Value("i", 0), ctx.Value("i", 0)
        self.secret, self.results, self.stop_event = ctx.Queue(), ctx.Queue(), ctx.Event()
        self.process = ctx.Process(target=_serve, daemon=True,
                                   args=(self.port, self.count, self.secret, self.results, self.stop_event))
        self.process.start()
        while not self.port.value:
            time.sleep(0.01)
        self.url = f"http://127.0.0.1:{self.port.value}/hooks/mandat"

    def wait_for(self, n: int, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while self.count.value < n:
            if time.monotonic() > deadline:
                raise SystemExit(f"only {self.count.value} of {n} events arrived")
            time.sleep(0.002)

    def finish(self, secret: str) -> list[dict[str, Any]]:
        self.stop_event.set()
        self.secret.put(secret)
        got = self.results.get(timeout=120)
        self.process.join(timeout=30)
        return got


def _latencies_ms(deliveries: list[dict[str, Any]]) -> list[float]:
    out = []
    for d in deliveries:
        created = datetime.fromisoformat(d["created_at"].replace("Z", "+00:00")).timestamp()
        out.append((d["at"] - created) * 1000)
    return out


def _run(args: argparse.Namespace, receiver: RemoteReceiver, tmp: Path) -> tuple[str, float, str]:
    """Both phases against one service; (secret, deliveries/s, database kind)."""
    settings = load_settings(data_dir=tmp / "var", firm_dir=DEMO_FIRM, database_url=args.database_url,
                             webhook_allow_private=True)
    service = Mandat(settings)
    service.setup()
    install_webhooks(service)
    try:
        secret = add_webhook(service.db, receiver.url, ["message.received"], allow_private=True).secret or ""
        requests = [service.create_request(client_name=f"Client {n}", client_email=None,
                                           questionnaires=["kuendigung"]).id for n in range(args.requests)]
        t0 = time.perf_counter()
        _queue(service, requests, args.events)
        print(f"queued {args.events} events over {args.requests} requests in {time.perf_counter() - t0:.1f} s",
              flush=True)
        start = time.perf_counter()
        service.outbox.start(interval_s=0.2)
        receiver.wait_for(args.events, timeout_s=900)
        throughput = args.events / (time.perf_counter() - start)
        print(f"phase 1: {args.events} deliveries in {args.events / throughput:.1f} s = {throughput:.0f} "
              "deliveries/s (one worker, machine shared)", flush=True)
        gap, next_at = 1.0 / args.rate, time.perf_counter()
        for n in range(args.paced):
            _queue(service, requests, 1, start=args.events + n, batch=1)
            next_at += gap
            time.sleep(max(0.0, next_at - time.perf_counter()))
        receiver.wait_for(args.events + args.paced, timeout_s=900)
        return secret, throughput, "postgresql" if settings.is_postgres else "sqlite"
    finally:
        service.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--paced", type=int, default=2_000, help="events in the latency phase")
    parser.add_argument("--rate", type=float, default=100.0, help="events/s written in the latency phase")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    receiver = RemoteReceiver()
    with tempfile.TemporaryDirectory() as tmp:
        secret, throughput, database = _run(args, receiver, Path(tmp))
    got = receiver.finish(secret)
    lat = _latencies_ms(got[args.events:])
    p50, p95, p99 = (_percentile(lat, q) for q in (0.5, 0.95, 0.99))
    print(f"phase 2: {args.paced} events at {args.rate:.0f}/s: event-to-delivery p50 {p50:.1f} ms, "
          f"p95 {p95:.1f} ms, p99 {p99:.1f} ms, mean {statistics.mean(lat):.1f} ms", flush=True)
    unverified = sum(1 for d in got if not d["verified"])
    duplicates = len(got) - len({d["id"] for d in got})
    print(f"signatures failing: {unverified}; duplicate deliveries: {duplicates}", flush=True)
    print(json.dumps({"deliveries_per_s": round(throughput, 1), "p95_ms": round(p95, 1), "p50_ms": round(p50, 1),
                      "p99_ms": round(p99, 1), "events": args.events, "paced_events": args.paced,
                      "paced_rate": args.rate, "requests": args.requests, "unverified": unverified,
                      "duplicates": duplicates, "database": database}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
