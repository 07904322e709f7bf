"""Soak: mixed traffic with SIGKILLs for a while, then the same count as tests/faults, plus memory growth.

Run: .venv/bin/python bench/soak.py [--minutes 3] [--seed 16] [--kill-every 40]   (the real run: --minutes 30)
Starts what tests/faults uses (a PostgreSQL cluster of its own, Dovecot, aiosmtpd, the fake Bot API,
the data dir on a tmpfs when run as root) and a real ``mandat serve``. New conversations (web chat,
e-mail, Telegram; 3:1:1) keep arriving so that about ``--active`` are open at any time. For the first
half the server is SIGKILLed at seeded random intervals around ``--kill-every`` seconds; the second half
runs without kills, and the server's RSS is sampled then for the growth per hour.

RSS growth: the calm half starts with a process that was just restarted, and its first minutes are
warm-up, not leak (imports done on first use, the FAQ index, SQLAlchemy's statement cache, malloc
taking its arenas). So the samples of the first third of the calm half (at least a minute) are left
out, and the slope is the least-squares fit over the rest: a 30-minute run fits the last 10 minutes, a
10-minute run the last ~3.3. A short run gives a rough figure; --minutes 30 a usable one. Besides
VmRSS (``rss_growth_mb_per_h``) it fits its two parts: RssAnon (heap and stacks: where a leak shows)
and RssFile (mapped files: the embedding model is an mmapped 70 MB file whose pages count once a query
first reads them, so that part climbs for a long while and stops at the file's size).

Every minute a progress line (elapsed, client messages, kills, current RSS, the slope so far) is
printed and flushed, so a run that is cut still shows its figures. SIGTERM and SIGINT stop it the same
way as the end of the run does: the server, the PostgreSQL cluster, Dovecot and the temp dir are
cleaned up. At the end it prints messages/s, kills, lost, duplicated, p95 and RSS growth; the last line
is one JSON object with ``lost``, ``duplicated``, ``kills`` and ``rss_growth_mb_per_h``.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fakes.dovecot import running_dovecot  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram  # noqa: E402
from tests.faults import driver  # noqa: E402
from tests.faults.infra import remove, temp_root  # noqa: E402

RSS_WARMUP_S = 60.0  # at least this much of the calm half is warm-up (imports, the FAQ index, first turns)
RSS_WARMUP_SHARE = 1 / 3  # and at least this share of it (see the module docstring)
PROGRESS_S = 60.0


def rss_warmup_s(calm_s: float) -> float:
    """How much of the calm half is left out of the RSS fit."""
    return max(RSS_WARMUP_S, calm_s * RSS_WARMUP_SHARE)


def _stop_on_signal(signum: int, _frame: Any) -> None:
    """SIGTERM/SIGINT: leave through SystemExit so every ``finally`` (server, PostgreSQL, Dovecot, temp
    dir) runs; a second signal during that clean-up is ignored rather than cutting it short."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_IGN)
    print(f"soak: stopped by signal {signum}; cleaning up", flush=True)
    raise SystemExit(128 + signum)


def _slope_mb_per_h(samples: list[tuple[float, int]]) -> float:
    """Least-squares slope of RSS (kB) over time (s), in MB per hour."""
    if len(samples) < 3:
        return 0.0
    n = len(samples)
    mt = sum(t for t, _ in samples) / n
    mr = sum(r for _, r in samples) / n
    var = sum((t - mt) ** 2 for t, _ in samples)
    if var == 0:
        return 0.0
    slope_kb_per_s = sum((t - mt) * (r - mr) for t, r in samples) / var
    return slope_kb_per_s * 3600 / 1024


def _feed(stack: driver.Stack, clients: driver.Clients, plan: driver.Plan, active: int, counter: list[int]) -> None:
    open_now = sum(1 for c in clients.convs if not c.done)
    if open_now >= active:
        return
    batch = driver.Plan(webchat=3, email=1, telegram=1, messages=plan.messages)
    try:
        convs = driver.create_conversations(stack.server.base, batch, offset=counter[0])
    except Exception:  # noqa: BLE001 - the server may be down right now: next round
        return
    counter[0] += len(convs)
    stack.tokens |= {c.token for c in convs}
    stack.addresses |= {driver.client_email(c) for c in convs}
    clients.convs.extend(convs)


def _series(rss: list[tuple[float, dict[str, int]]], part: str) -> list[tuple[float, int]]:
    return [(t, parts.get(part, 0)) for t, parts in rss]


def _progress(stack: driver.Stack, clients: driver.Clients, elapsed_s: float,
              rss: list[tuple[float, dict[str, int]]]) -> None:
    now = stack.server.memory_kb()
    fit = (f"; slope so far {_slope_mb_per_h(_series(rss, 'VmRSS')):.1f} MB/h "
           f"(anon {_slope_mb_per_h(_series(rss, 'RssAnon')):.1f}) over {len(rss)} samples") if rss else ""
    print(f"soak: {elapsed_s / 60:.1f} min, {sum(c.sent for c in clients.convs)} client messages, "
          f"{stack.server.kills} kills, RSS {now.get('VmRSS', 0) / 1024:.1f} MB "
          f"(anon {now.get('RssAnon', 0) / 1024:.1f}, file {now.get('RssFile', 0) / 1024:.1f}){fit}", flush=True)


def soak(stack: driver.Stack, minutes: float, seed: int, kill_every: float, active: int) -> dict[str, Any]:
    rng = random.Random(seed)
    plan = driver.Plan(seed=seed)
    started = time.monotonic()
    stack.server.start()
    stack.server.wait_up(180)
    counter = [0]
    clients = driver.Clients(stack, [])
    _feed(stack, clients, plan, active, counter)
    clients.start()
    end = started + minutes * 60
    calm_from = started + minutes * 60 / 2
    next_kill = time.monotonic() + rng.uniform(0.5, 1.5) * kill_every
    warmup_s = rss_warmup_s(minutes * 60 / 2)
    rss: list[tuple[float, dict[str, int]]] = []  # (time, VmRSS / RssAnon / RssFile in kB)
    calm_started: float | None = None
    next_progress = started + PROGRESS_S
    while time.monotonic() < end:
        now = time.monotonic()
        if now >= next_progress:
            next_progress += PROGRESS_S
            _progress(stack, clients, now - started, rss)
        _feed(stack, clients, plan, active, counter)
        if now < calm_from and now >= next_kill:
            stack.server.kill()
            stack.events.append(f"SIGKILL #{stack.server.kills}")
            stack.server.start()
            next_kill = now + rng.uniform(0.5, 1.5) * kill_every
        elif now >= calm_from:
            if calm_started is None and stack.server.up():
                calm_started = now
            if calm_started is not None and now - calm_started >= warmup_s:
                parts = stack.server.memory_kb()
                if parts:
                    rss.append((now, parts))
        time.sleep(1.0)
    duration = time.monotonic() - started
    deadline = time.monotonic() + plan.drain_timeout_s
    while time.monotonic() < deadline and not (clients.all_sent() and driver.outbox_empty(stack)):
        time.sleep(0.5)
    time.sleep(1.0)
    clients.join()
    figures = driver.verdict(stack, clients.convs)
    latencies = sorted(x for c in clients.convs for x in c.latencies)
    figures.update(
        minutes=minutes, kills=stack.server.kills, messages_per_s=round(figures["messages_sent"] / duration, 2),
        p95_s=round(latencies[int(0.95 * (len(latencies) - 1))], 3) if latencies else None,
        rss_mb_end=round(rss[-1][1]["VmRSS"] / 1024, 1) if rss else None, rss_samples=len(rss),
        rss_growth_mb_per_h=round(_slope_mb_per_h(_series(rss, "VmRSS")), 1),
        rss_anon_growth_mb_per_h=round(_slope_mb_per_h(_series(rss, "RssAnon")), 1),
        rss_file_growth_mb_per_h=round(_slope_mb_per_h(_series(rss, "RssFile")), 1),
        drained=clients.all_sent() and driver.outbox_empty(stack),
        not_done={ch: sum(1 for c in clients.convs if c.channel == ch and not c.done)
                  for ch in ("webchat", "email", "telegram")})
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--kill-every", type=float, default=40.0, help="mean seconds between kills")
    parser.add_argument("--active", type=int, default=10, help="conversations open at any time")
    args = parser.parse_args()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _stop_on_signal)
    root = temp_root("mandat-soak-")
    try:
        with running_dovecot() as dovecot, FakeTelegram(driver.TG_TOKEN) as telegram:
            stack = driver.open_stack(root, dovecot, telegram)
            try:
                figures = soak(stack, args.minutes, args.seed, args.kill_every, args.active)
            finally:
                driver.close_stack(stack)
    finally:
        remove(root)
    print(f"soak: {args.minutes:g} min, {figures['conversations']} conversations, "
          f"{figures['messages_sent']} client messages ({figures['messages_per_s']}/s), {figures['kills']} kills")
    print(f"lost {figures['lost']}, duplicated {figures['duplicated']}, out of order {figures['out_of_order']}, "
          f"blanked {figures['blanked']}, unfinished {figures['unfinished']}, drained {figures['drained']} "
          f"(scripts not finished: {figures['not_done']})")
    print(f"p95 web chat turn {figures['p95_s']} s; RSS {figures['rss_mb_end']} MB, growth "
          f"{figures['rss_growth_mb_per_h']} MB/h ({figures['rss_samples']} samples in the calm half; "
          f"anonymous {figures['rss_anon_growth_mb_per_h']} MB/h, "
          f"mapped files {figures['rss_file_growth_mb_per_h']} MB/h)")
    if figures["problems"]:
        print("problems:", *figures["problems"][:10], sep="\n  ")
    keys = ("lost", "duplicated", "kills", "rss_growth_mb_per_h", "rss_anon_growth_mb_per_h",
            "rss_file_growth_mb_per_h", "messages_per_s", "p95_s", "out_of_order",
            "blanked", "unfinished", "conversations", "messages_sent", "minutes")
    print(json.dumps({k: figures[k] for k in keys}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
