"""Benchmark: the staff list page and the bell with 10,000 requests and 200,000 activities.

Run: .venv/bin/python bench/staff.py [--requests 10000] [--activities 200000] [--rounds 200] [--only sqlite|postgres]
Fills a fresh store (SQLite file, then a fresh PostgreSQL schema) in bulk: requests with two items, five
inbound messages and five answers each, the activity log spread over 90 days (client, agent, system,
staff), and seen marks of the signed-in staff member for most requests. Then signs in through
/staff/login and times, in-process through the whole ASGI app on one event loop (middleware, session
check, queries, templates): GET /staff with a mix of filters (all, mine, open, stalled, a search, the second page),
and GET /staff/bell.json. Prints p50/p95 per engine and the bytes of the list page; the last line is
one JSON object with list_p95_ms, bell_p95_ms (the worse engine) and list_bytes, plus per-engine figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# bench/telegram.py would shadow the telegram package: this folder is not an import root.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]
sys.path.insert(0, str(REPO))

from sqlalchemy import insert, text  # noqa: E402

from agent.app import create_app  # noqa: E402
from agent.config import load_settings  # noqa: E402
from agent.service import Mandat  # noqa: E402
from agent.staff.accounts import set_password  # noqa: E402
from agent.store import models as m  # noqa: E402
from agent.store.staff_tables import StaffSeen  # noqa: E402

PG_BASE = os.environ.get("MANDAT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
EMAIL, PASSWORD = "anna.beispiel@beispiel.example", "bench password 123"
NAMES = ["Becker", "Schmidt", "Müller", "Wagner", "Hoffmann", "Schulz", "Koch", "Richter", "Klein", "Wolf"]
KINDS = [("message_received", "client"), ("upload", "client"), ("agent_reply", "agent"), ("deadline", "system"),
         ("link_reissued", "staff")]
CHUNK = 5000


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _chunks(rows: list[dict], size: int = CHUNK):  # noqa: ANN202
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def fill(service: Mandat, n_requests: int, n_activities: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    now = datetime.now(UTC)
    firm = service.firm.id
    staff_ids = [1, 2]
    clients, requests, items, inbound, answers = [], [], [], [], []
    for n in range(n_requests):
        rid, cid = f"{n:016x}", f"c{n:015x}"
        created = now - timedelta(days=90) + timedelta(seconds=n * 90 * 86400 / n_requests)
        clients.append({"id": cid, "firm_id": firm, "name": f"{rnd.choice(NAMES)} {n}", "email": f"k{n}@example.org",
                        "lang": "de", "created_at": created})
        requests.append({"id": rid, "firm_id": firm, "client_id": cid, "staff_id": rnd.choice(staff_ids),
                         "status": "complete" if n % 4 == 0 else "open", "thread_id": f"t{n:015x}", "lang": "de",
                         "case_data": {}, "state": {}, "unseen": False, "version": 1, "created_at": created,
                         "updated_at": created})
        for pos, (kind, ref) in enumerate((("questionnaire", "kuendigung"), ("upload", "Kündigungsschreiben"))):
            items.append({"id": 2 * n + pos + 1, "request_id": rid, "position": pos, "kind": kind, "ref": ref,
                          "version": 1 if kind == "questionnaire" else None,
                          "status": "complete" if n % 4 == 0 else "open", "data": {}})
        for k in range(5):
            inbound.append({"channel": rnd.choice(("webchat", "email", "telegram")), "external_id": f"{rid}:{k}",
                            "request_id": rid, "sender": "x", "text": "Antwort", "attachments": [], "meta": {},
                            "status": "processed", "result": {}, "received_at": created})
            answers.append({"request_id": rid, "item_id": 2 * n + 1, "field_id": f"f{k}", "value": "x",
                            "raw_text": "x", "source_type": "message", "source_id": "msg:1", "method": "parser",
                            "confidence": 1.0, "confirmed": True, "created_at": created})
    with service.db.engine.begin() as conn:
        for table, rows in ((m.Client, clients), (m.Request, requests), (m.RequestItem, items),
                            (m.InboundRecord, inbound), (m.Answer, answers)):
            for part in _chunks(rows):
                conn.execute(insert(table.__table__), part)
    _fill_activity(service, requests, n_activities, rnd, now)


def _fill_activity(service: Mandat, requests: list[dict], n_activities: int, rnd: random.Random,
                   now: datetime) -> None:
    rows = []
    start = now - timedelta(days=90)
    for n in range(n_activities):
        req = rnd.choice(requests)
        kind, actor = rnd.choice(KINDS)
        rows.append({"request_id": req["id"], "kind": kind, "summary": f"{kind} {n}", "data": {}, "actor": actor,
                     "important": actor != "staff", "created_at": start + timedelta(seconds=n * 90 * 86400 /
                                                                                  n_activities)})
    with service.db.engine.begin() as conn:
        for part in _chunks(rows):
            conn.execute(insert(m.Activity.__table__), part)
        # Bulk rows bypass the ORM event that keeps request_pulse; the migration's backfill does the same.
        conn.execute(text(
            "INSERT INTO request_pulse (request_id, last_activity_id, last_activity_at, news_id, news_at) "
            "SELECT a.request_id, max(a.id), max(a.created_at), "
            "coalesce(max(CASE WHEN a.actor <> 'staff' THEN a.id END), 0), "
            "max(CASE WHEN a.actor <> 'staff' THEN a.created_at END) FROM activity a GROUP BY a.request_id"))
        seen = [{"staff_id": 1, "request_id": r["id"], "activity_id": int(n_activities * rnd.random()),
                 "seen_at": now} for r in requests if rnd.random() < 0.7]
        for part in _chunks(seen):
            conn.execute(insert(StaffSeen.__table__), part)
    if service.db.is_sqlite:
        with service.db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    else:
        with service.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")


def measure(service: Mandat, rounds: int) -> dict[str, float]:
    """Times requests through the whole ASGI app on one event loop (httpx's ASGITransport): middleware,
    session check, queries in the thread pool, templates. Starlette's TestClient would add a new thread
    and event loop per request (its blocking portal), which is harness cost, not server time."""
    return asyncio.run(_measure(service, rounds))


async def _measure(service: Mandat, rounds: int) -> dict[str, float]:
    import httpx

    base = service.settings.public_url
    transport = httpx.ASGITransport(app=create_app(service))
    async with httpx.AsyncClient(transport=transport, base_url=base, headers={"Origin": base},
                                 follow_redirects=False) as client:
        page = (await client.get("/staff/login")).text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        login = await client.post("/staff/login", data={"email": EMAIL, "password": PASSWORD, "csrf": csrf})
        assert login.status_code == 303
        first = await client.get("/staff")
        assert first.status_code == 200 and first.text.count("data-unseen=") == 25, first.text[:500]
        after = re.search(r'href="/staff\?([^"]*after=[^"]+)"', first.text).group(1).replace("&amp;", "&")
        mixes = ["", "who=mine", "state=open", "state=stalled", "q=Becker", after, "who=mine&state=complete"]
        list_ms, bell_ms, list_cpu_ms, statements = [], [], [], _count_statements(service)
        for n in range(rounds):
            statements.clear()
            t0, c0 = time.perf_counter(), time.process_time()
            resp = await client.get(f"/staff?{mixes[n % len(mixes)]}")
            list_ms.append((time.perf_counter() - t0) * 1000)
            list_cpu_ms.append((time.process_time() - c0) * 1000)
            assert resp.status_code == 200
            list_statements = len(statements)
            t0 = time.perf_counter()
            assert (await client.get("/staff/bell.json")).status_code == 200
            bell_ms.append((time.perf_counter() - t0) * 1000)
    return {"list_p50_ms": round(percentile(list_ms, 0.5), 1), "list_p95_ms": round(percentile(list_ms, 0.95), 1),
            "bell_p50_ms": round(percentile(bell_ms, 0.5), 1), "bell_p95_ms": round(percentile(bell_ms, 0.95), 1),
            "list_bytes": len(first.content),
            # Less dependent on a shared machine's load: this process's CPU per list page, and SQL statements.
            "list_cpu_p50_ms": round(percentile(list_cpu_ms, 0.5), 1), "list_statements": list_statements}


def _count_statements(service: Mandat) -> list[str]:
    from sqlalchemy import event

    seen: list[str] = []
    engines = {id(e): e for e in (service.db.engine, service.db.read_engine)}
    for engine in engines.values():
        event.listen(engine, "before_cursor_execute", lambda _c, _cur, stmt, *_a: seen.append(stmt))
    return seen


def run_engine(name: str, db_url: str | None, data: Path, args: argparse.Namespace) -> dict[str, float]:
    overrides = {"database_url": db_url} if db_url else {}
    settings = load_settings(data_dir=data, firm_dir=REPO / "examples" / "demo-firm", **overrides)
    service = Mandat(settings)
    service.setup()
    try:
        set_password(service.db, EMAIL, PASSWORD)
        t0 = time.perf_counter()
        fill(service, args.requests, args.activities)
        print(f"{name}: filled {args.requests} requests / {args.activities} activities in "
              f"{time.perf_counter() - t0:.1f} s", flush=True)
        result = measure(service, args.rounds)
        print(f"{name}: list p50 {result['list_p50_ms']} ms, p95 {result['list_p95_ms']} ms; bell p50 "
              f"{result['bell_p50_ms']} ms, p95 {result['bell_p95_ms']} ms; list page {result['list_bytes']} bytes; "
              f"list CPU p50 {result['list_cpu_p50_ms']} ms, {result['list_statements']} SQL statements",
              flush=True)
        return result
    finally:
        service.close()


def postgres_schema() -> tuple[str, str]:
    import psycopg

    schema = f"bench_staff_{os.getpid()}"
    plain = PG_BASE.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return schema, f"{PG_BASE}{'&' if '?' in PG_BASE else '?'}options=-csearch_path%3D{schema}"


def drop_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(PG_BASE.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--activities", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="mandat-bench-staff-") as tmp:
        if args.only in (None, "sqlite"):
            results["sqlite"] = run_engine("SQLite", None, Path(tmp) / "sqlite", args)
        if args.only in (None, "postgres"):
            schema, url = postgres_schema()
            try:
                results["postgres"] = run_engine("PostgreSQL", url, Path(tmp) / "pg", args)
            finally:
                drop_schema(schema)
    summary = {"list_p95_ms": max(r["list_p95_ms"] for r in results.values()),
               "bell_p95_ms": max(r["bell_p95_ms"] for r in results.values()),
               "list_bytes": max(r["list_bytes"] for r in results.values()), **results}
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
