"""CPU cost of one conversation turn: scripted clients complete the German dismissal questionnaire
through the one entry point (``Mandat.receive``) on SQLite in a temp dir, one turn at a time.

Each turn is timed with ``time.process_time`` (CPU of this process, background threads such as
LangGraph's checkpoint saver included; fsync waits and other processes on the shared cores do not count);
the wall time is printed next to it. ``--profile out.prof`` writes a cProfile of the measured turns
(read it with ``python -m pstats out.prof`` or ``snakeviz``).

The last line printed is one JSON object:
``{"turn_cpu_ms_median": …, "turn_cpu_ms_p95": …, "turns": …}`` (plus wall-clock figures).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from agent.config import load_settings  # noqa: E402
from agent.messages import InboundMessage  # noqa: E402
from agent.service import Mandat  # noqa: E402
from tests.agent.scripts import KUENDIGUNG_DE  # noqa: E402

DEMO_FIRM = REPO / "examples" / "demo-firm"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def converse(service: Mandat, n: int, cpu: list[float], wall: list[float],
             profiler: cProfile.Profile | None = None) -> None:
    """One client completes the questionnaire; every turn's CPU and wall time is appended."""
    rid = service.create_request(client_name=f"Client {n}", client_email=None, lang="de",
                                 questionnaires=["kuendigung"]).id
    status = "open"
    for k, text in enumerate(KUENDIGUNG_DE):
        msg = InboundMessage(channel="api", sender="bench", text=text, request_id=rid,
                             external_id=f"cpu-{rid}-{k}")
        if profiler is not None:
            profiler.enable()
        c0, w0 = time.process_time(), time.perf_counter()
        result = service.receive(msg)
        c1, w1 = time.process_time(), time.perf_counter()
        if profiler is not None:
            profiler.disable()
        cpu.append((c1 - c0) * 1000)
        wall.append((w1 - w0) * 1000)
        status = result.status
    if status != "complete":
        raise RuntimeError(f"client {n} did not complete (status {status})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2, help="conversations run first and not measured")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the measured turns here")
    parser.add_argument("--db-url", help="another database (default: SQLite in a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp) / "var", firm_dir=DEMO_FIRM)
        if args.db_url:
            settings = load_settings(data_dir=Path(tmp) / "var", firm_dir=DEMO_FIRM, database_url=args.db_url)
        service = Mandat(settings)
        service.setup()
        try:
            for n in range(args.warmup):  # imports, parser tables, statement caches
                converse(service, -1 - n, [], [])
            cpu: list[float] = []
            wall: list[float] = []
            profiler = cProfile.Profile() if args.profile else None
            for n in range(args.conversations):
                converse(service, n, cpu, wall, profiler)
            if profiler is not None:
                profiler.dump_stats(str(args.profile))
        finally:
            service.close()
    med, p95 = statistics.median(cpu), percentile(cpu, 95)
    print(f"{len(cpu)} turns ({args.conversations} conversations × {len(KUENDIGUNG_DE)} messages), "
          f"{settings.db_url.split(':', 1)[0]}: CPU per turn median {med:.2f} ms, p95 {p95:.2f} ms; "
          f"wall median {statistics.median(wall):.2f} ms, p95 {percentile(wall, 95):.2f} ms")
    print(json.dumps({"turn_cpu_ms_median": round(med, 3), "turn_cpu_ms_p95": round(p95, 3), "turns": len(cpu),
                      "turn_wall_ms_median": round(statistics.median(wall), 3),
                      "turn_wall_ms_p95": round(percentile(wall, 95), 3)}))


if __name__ == "__main__":
    main()
