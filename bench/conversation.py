"""Conversation benchmark: scripted clients complete the demo questionnaire through the entry point.

Part 1 (offline understanding): N concurrent clients (default 50) each complete the German dismissal
questionnaire; prints turns/s and p50/p95/p99 turn latency.

Part 2 (LLM path, fake OpenAI-compatible server on 127.0.0.1): clients answer in free-form German
sentences; prints LLM calls per free-form message and prompt+completion tokens per completed
questionnaire — next to a baseline in the same process that sends the whole transcript to the LLM
every turn (a plain tool-calling loop), and the ratio.

``--workers N`` (N > 1): the offline runs are repeated with N worker processes sharing the one SQLite
database (each serves clients/N of the clients, all start together), the way ``mandat serve --workers N``
shares it. The JSON's turns_per_s / p50_ms / p95_ms / p99_ms / paced_* are then the N-worker figures,
``one_worker`` holds the same keys for one process of the same run, ``ratio_vs_one_worker`` is the
closed-loop throughput ratio and ``workers`` is N.

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from openai import OpenAI

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from agent.config import load_settings  # noqa: E402
from agent.llm import LLMClient, load_prompt  # noqa: E402
from agent.messages import InboundMessage  # noqa: E402
from agent.service import Mandat  # noqa: E402
from agent.store import models as m  # noqa: E402
from tests.agent.scripts import KUENDIGUNG_DE  # noqa: E402
from tests.fakes.llm_server import FakeLLMServer  # noqa: E402

DEMO_FIRM = REPO / "examples" / "demo-firm"
DEADLINE_S = 600

# What a client writes in their own words, and what each sentence answers (field id -> parser text).
FREEFORM: list[tuple[str, dict[str, str]]] = [
    ("Hallo, ich heiße Max Mustermann und bin am 3. April 1980 geboren.",
     {"first_name": "Max", "last_name": "Mustermann", "birth_date": "1980-04-03"}),
    ("Ich wohne in der Musterstraße 12 in 10115 Berlin, erreichbar unter max@example.org oder 0170 1234567.",
     {"address": "Musterstraße 12, 10115 Berlin", "email": "max@example.org", "phone": "0170 1234567"}),
    ("Seit dem 1.2.2015 arbeite ich als Lagerist bei der ACME GmbH in der Industriestraße 5, 10117 Berlin.",
     {"employment_start": "2015-02-01", "job_title": "Lagerist", "employer_name": "ACME GmbH",
      "employer_address": "Industriestraße 5, 10117 Berlin"}),
    ("Ich verdiene 3.500 Euro brutto im Monat und arbeite 40 Stunden in der Woche.",
     {"gross_salary": "3500.00 EUR", "weekly_hours": "40"}),
    ("Wir sind so um die 15 Leute im Betrieb und es gibt einen Betriebsrat.",
     {"company_size": "from_11_to_20", "works_council": "ja"}),
    ("Die ordentliche Kündigung zum 31.12.2026 lag gestern in meinem Briefkasten.",
     {"dismissal_received": "gestern", "dismissal_delivery": "letterbox", "dismissal_kind": "ordinary",
      "notice_end": "2026-12-31"}),
    ("Einen Grund hat man mir nicht genannt und besonderen Kündigungsschutz habe ich nicht.",
     {"special_protection": "none"}),
    ("Ja, ich bin bei der ARAG rechtsschutzversichert, die Nummer ist RS-123456.",
     {"legal_insurance": "ja", "insurer": "ARAG", "policy_number": "RS-123456"}),
    ("Erstattungen gerne auf DE89 3704 0044 0532 0130 00, am liebsten hätte ich eine Abfindung.",
     {"iban": "DE89370400440532013000", "goal": "severance"}),
]
# Answers by field for whatever is still asked after the free-form part (typed input, no LLM needed).
BY_FIELD = {
    "first_name": "Max", "last_name": "Mustermann", "birth_date": "3.4.1980",
    "address": "Musterstraße 12, 10115 Berlin",
    "email": "max@example.org", "phone": "0170 1234567", "employer_name": "ACME GmbH", "job_title": "Lagerist",
    "employment_start": "1.2.2015", "gross_salary": "3500 €", "weekly_hours": "40", "company_size": "2",
    "works_council": "ja", "dismissal_received": "gestern", "dismissal_delivery": "1", "dismissal_kind": "1",
    "special_protection": "nichts davon", "legal_insurance": "nein", "insurer": "ARAG", "policy_number": "RS-1",
    "goal": "2", "dismissal_delivery_other": "per Bote", "disability_degree": "50",
}
_MESSAGE = re.compile(r"<client_message>\n?(.*?)\n?</client_message>", re.S)


def understand(body: dict[str, Any]) -> dict[str, Any]:
    """The fake LLM's 'understanding': look the client's sentence up in FREEFORM."""
    if body.get("tools"):
        return baseline_understand(body)
    user = body["messages"][-1]["content"]
    match = _MESSAGE.search(user)
    said = match.group(1).strip() if match else ""
    offered = set(re.findall(r"^- (\w+) ", user, re.M))
    answers = next((a for text, a in FREEFORM if text == said), {})
    items = [{"field_id": f, "text": v, "quote": said[:60], "confidence": 0.9}
             for f, v in answers.items() if f in offered]
    return {"parsed": {"answers": items, "corrections": [], "side_question": None, "wants": "answer"}}


def _next_question(body: dict[str, Any]) -> str:
    """What a tool-calling agent would say next: thanks plus the first question not yet answered."""
    from agent.questionnaire.loader import QuestionnaireRegistry

    q = QuestionnaireRegistry(DEMO_FIRM).get("kuendigung")
    saved = set()
    for message in body["messages"]:
        for call in message.get("tool_calls") or []:
            saved.add(json.loads(call["function"]["arguments"]).get("field_id"))
    for f in q.fields:
        if f.id not in saved:
            return f"Vielen Dank, das habe ich notiert. {f.text('question', 'de')}"
    return "Vielen Dank! Bitte prüfen Sie Ihre Angaben: " + "; ".join(sorted(s for s in saved if s))


def baseline_understand(body: dict[str, Any]) -> dict[str, Any]:
    last = body["messages"][-1]
    if last["role"] == "tool":
        return {"content": _next_question(body)}
    said = last["content"]
    answers = next((a for text, a in FREEFORM if text == said), None)
    if answers is None:
        return {"content": _next_question(body)}
    return {"tool_calls": [{"name": "save_answer", "arguments": {"field_id": f, "value": v}}
                           for f, v in answers.items()]}


def current_field(service: Mandat, request_id: str) -> tuple[str | None, str | None]:
    with service.db.read() as s:
        req = s.get(m.Request, request_id)
        return req.state.get("phase"), req.state.get("field")


def complete_one(service: Mandat, n: int, lines: list[str] | None, latencies: list[float],
                 lock: threading.Lock, *, freeform: bool = False, think_s: float = 0.0) -> tuple[int, int]:
    """One client; returns (messages sent, free-form messages sent)."""
    rid = service.create_request(client_name=f"Client {n}", client_email=None, lang="de",
                                 questionnaires=["kuendigung"]).id
    sent = free = 0
    script = iter(lines or [])
    pending_free = list(FREEFORM) if freeform else []
    status = "open"
    deadline = time.monotonic() + 120
    while status != "complete" and time.monotonic() < deadline and sent < 80:
        if pending_free:
            text = pending_free.pop(0)[0]
            free += 1
        elif lines is not None:
            text = next(script, "ja")
        else:
            phase, field = current_field(service, rid)
            text = "ja" if phase == "confirming" or field is None else BY_FIELD.get(field, "überspringen")
        start = time.perf_counter()
        result = service.receive(InboundMessage(channel="api", sender="bench", text=text, request_id=rid,
                                                external_id=f"bench-{rid}-{sent}"))
        elapsed = (time.perf_counter() - start) * 1000
        with lock:
            latencies.append(elapsed)
        sent += 1
        status = result.status
        if think_s:
            time.sleep(think_s)  # a person reading and typing
    if status != "complete":
        raise RuntimeError(f"client {n} did not complete (status {status})")
    return sent, free


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def offline_run(clients: int, data_dir: Path, think_s: float = 0.0) -> dict[str, float]:
    service = Mandat(load_settings(data_dir=data_dir, firm_dir=DEMO_FIRM))
    service.setup()
    latencies: list[float] = []
    lock = threading.Lock()
    complete_one(service, -1, KUENDIGUNG_DE, [], lock)  # warm-up: imports, parser data, first checkpoint
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        futures = [pool.submit(complete_one, service, n, KUENDIGUNG_DE, latencies, lock, think_s=think_s)
                   for n in range(clients)]
        for f in futures:
            f.result(timeout=DEADLINE_S)
    wall = time.perf_counter() - start
    service.close()
    return _figures(latencies, wall)


def _figures(latencies: list[float], wall: float) -> dict[str, float]:
    return {
        "turns_per_s": round(len(latencies) / wall, 1),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "turns": len(latencies),
    }


def _worker(idx: int, clients: int, data_dir: Path, think_s: float, barrier: Any, results: Any) -> None:
    """One worker process: its own service on the shared database, its share of the clients."""
    service = Mandat(load_settings(data_dir=data_dir, firm_dir=DEMO_FIRM))
    service.setup()
    latencies: list[float] = []
    lock = threading.Lock()
    complete_one(service, -1 - idx, KUENDIGUNG_DE, [], lock)  # warm-up, as in offline_run
    barrier.wait(timeout=DEADLINE_S)
    start = time.time()
    with ThreadPoolExecutor(max_workers=max(1, clients)) as pool:
        futures = [pool.submit(complete_one, service, idx * 10_000 + n, KUENDIGUNG_DE, latencies, lock,
                               think_s=think_s) for n in range(clients)]
        for f in futures:
            f.result(timeout=DEADLINE_S)
    results.put((start, time.time(), latencies))
    service.close()


def workers_run(workers: int, clients: int, data_dir: Path, think_s: float = 0.0) -> dict[str, float]:
    """``offline_run`` spread over ``workers`` processes on one SQLite database."""
    import multiprocessing

    Mandat(load_settings(data_dir=data_dir, firm_dir=DEMO_FIRM)).setup()  # migrate once, before the workers
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(workers), ctx.Queue()
    shares = [clients // workers + (1 if i < clients % workers else 0) for i in range(workers)]
    procs = [ctx.Process(target=_worker, args=(i, shares[i], data_dir, think_s, barrier, results))
             for i in range(workers)]
    for proc in procs:
        proc.start()
    got = [results.get(timeout=DEADLINE_S) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
    latencies = [x for _, _, lat in got for x in lat]
    return _figures(latencies, max(e for _, e, _ in got) - min(b for b, _, _ in got))


def llm_run(clients: int, data_dir: Path, fake: FakeLLMServer) -> dict[str, float]:
    llm = LLMClient(fake.base_url, "bench", "fake-model", timeout_s=10)
    service = Mandat(load_settings(data_dir=data_dir, firm_dir=DEMO_FIRM), llm=llm)
    service.setup()
    lock = threading.Lock()
    sent_free = 0
    for n in range(clients):
        _sent, free = complete_one(service, n, None, [], lock, freeform=True)
        sent_free += free
    with service.db.read() as s:
        from sqlalchemy import func, select

        calls, prompt, completion = s.execute(select(
            func.count(m.LLMCallRecord.id), func.sum(m.LLMCallRecord.prompt_tokens),
            func.sum(m.LLMCallRecord.completion_tokens))).one()
    service.close()
    return {"calls": calls, "free_messages": sent_free, "tokens": (prompt or 0) + (completion or 0),
            "per_questionnaire": ((prompt or 0) + (completion or 0)) / clients}


# The baseline gets the same rules as our interpreter (security, value formats) plus the flow it must run itself.
BASELINE_SYSTEM = (
    "Du bist der Assistent einer Anwaltskanzlei und führst einen Fragebogen. Stelle die Fragen nacheinander, "
    "speichere jede Antwort mit dem Werkzeug save_answer und lies am Ende alles zur Bestätigung vor.\n"
    "{rules}\nFelder:\n{fields}"
)


def baseline_run(clients: int, fake: FakeLLMServer) -> dict[str, float]:
    """A plain tool-calling loop: the whole transcript and every field go to the LLM on every turn."""
    from agent.questionnaire.loader import QuestionnaireRegistry

    q = QuestionnaireRegistry(DEMO_FIRM).get("kuendigung")
    fields = "\n".join(f"- {f.id} ({f.type}): {f.text('question', 'de')}" for f in q.fields)
    tools = [{"type": "function", "function": {
        "name": "save_answer", "description": "Speichert eine Antwort des Mandanten.",
        "parameters": {"type": "object", "properties": {
            "field_id": {"type": "string", "enum": [f.id for f in q.fields]}, "value": {"type": "string"}},
            "required": ["field_id", "value"]}}}]
    client = OpenAI(base_url=fake.base_url, api_key="bench", max_retries=0, timeout=10)
    total = 0
    calls = 0
    for _ in range(clients):
        messages: list[dict[str, Any]] = [{"role": "system", "content": BASELINE_SYSTEM.format(
            rules=load_prompt("interpret", "de"), fields=fields)},
                                          {"role": "assistant", "content": q.fields[0].text("question", "de")}]
        said = [text for text, _ in FREEFORM] + ["überspringen", "überspringen", "überspringen", "ja"]
        for text in said:
            messages.append({"role": "user", "content": text})
            while True:
                reply = client.chat.completions.create(model="fake", messages=messages, tools=tools)
                calls += 1
                total += reply.usage.prompt_tokens + reply.usage.completion_tokens
                msg = reply.choices[0].message
                if msg.tool_calls:
                    messages.append({"role": "assistant", "content": None, "tool_calls": [
                        {"id": c.id, "type": "function",
                         "function": {"name": c.function.name, "arguments": c.function.arguments}}
                        for c in msg.tool_calls]})
                    for c in msg.tool_calls:
                        messages.append({"role": "tool", "tool_call_id": c.id, "content": "ok"})
                    continue
                messages.append({"role": "assistant", "content": msg.content or ""})
                break
    return {"calls": calls, "per_questionnaire": total / clients}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--llm-clients", type=int, default=10)
    parser.add_argument("--think-ms", type=float, default=1000.0,
                        help="second offline run with this pause between a client's messages (0 = skip)")
    parser.add_argument("--workers", type=int, default=1,
                        help="also run the offline part in N worker processes on one database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        offline = offline_run(args.clients, Path(tmp) / "offline")
        print(f"offline, closed loop (no pause between messages): {args.clients} concurrent clients, "
              f"{offline['turns']} turns: {offline['turns_per_s']} turns/s, p50 {offline['p50_ms']} ms, "
              f"p95 {offline['p95_ms']} ms, p99 {offline['p99_ms']} ms")
        paced = offline_run(args.clients, Path(tmp) / "paced", args.think_ms / 1000) if args.think_ms else None
        if paced:
            print(f"offline, {args.think_ms:g} ms pause between a client's messages: {paced['turns_per_s']} turns/s, "
                  f"p50 {paced['p50_ms']} ms, p95 {paced['p95_ms']} ms, p99 {paced['p99_ms']} ms")
        scaled = scaled_runs(args, Path(tmp), offline, paced) if args.workers > 1 else None
        with FakeLLMServer() as fake:
            fake.default = understand
            ours = llm_run(args.llm_clients, Path(tmp) / "llm", fake)
            base = baseline_run(args.llm_clients, fake)
    per_free = ours["calls"] / max(1, ours["free_messages"])
    ratio = ours["per_questionnaire"] / base["per_questionnaire"]
    print(f"LLM path: {ours['calls']} calls for {ours['free_messages']} free-form messages "
          f"({per_free:.2f} per message), {ours['per_questionnaire']:.0f} tokens per questionnaire")
    print(f"baseline (whole transcript every turn, tool calls): {base['calls'] / args.llm_clients:.0f} calls and "
          f"{base['per_questionnaire']:.0f} tokens per questionnaire; ratio {ratio:.3f}")
    figures = _offline_json(offline, paced, args.think_ms)
    out: dict[str, Any] = {
        **figures, "llm_calls_per_freeform_message": round(per_free, 3),
        "tokens_per_questionnaire": round(ours["per_questionnaire"]),
        "baseline_tokens_per_questionnaire": round(base["per_questionnaire"]), "token_ratio": round(ratio, 3),
    }
    if scaled is not None:
        out.update({**scaled, "workers": args.workers, "one_worker": figures,
                    "ratio_vs_one_worker": round(scaled["turns_per_s"] / offline["turns_per_s"], 2)})
    print(json.dumps(out))


def _offline_json(offline: dict[str, float], paced: dict[str, float] | None, think_ms: float) -> dict[str, Any]:
    return {
        "turns_per_s": offline["turns_per_s"], "p50_ms": offline["p50_ms"], "p95_ms": offline["p95_ms"],
        "p99_ms": offline["p99_ms"],
        "paced_think_ms": think_ms if paced else None, "paced_p50_ms": paced["p50_ms"] if paced else None,
        "paced_p95_ms": paced["p95_ms"] if paced else None, "paced_p99_ms": paced["p99_ms"] if paced else None,
    }


def scaled_runs(args: argparse.Namespace, tmp: Path, offline: dict[str, float],
                paced: dict[str, float] | None) -> dict[str, Any]:
    """The offline runs again in ``--workers`` processes, printed next to the one-process figures."""
    closed = workers_run(args.workers, args.clients, tmp / "workers")
    print(f"offline, closed loop, {args.workers} workers: {closed['turns_per_s']} turns/s "
          f"(one worker {offline['turns_per_s']}, ratio {closed['turns_per_s'] / offline['turns_per_s']:.2f}), "
          f"p50 {closed['p50_ms']} ms, p95 {closed['p95_ms']} ms, p99 {closed['p99_ms']} ms")
    paced_n = workers_run(args.workers, args.clients, tmp / "workers-paced", args.think_ms / 1000) if paced else None
    if paced_n and paced:
        print(f"offline, {args.think_ms:g} ms pause, {args.workers} workers: p50 {paced_n['p50_ms']} ms, "
              f"p95 {paced_n['p95_ms']} ms, p99 {paced_n['p99_ms']} ms (one worker p95 {paced['p95_ms']} ms)")
    return _offline_json(closed, paced_n, args.think_ms)


if __name__ == "__main__":
    main()  # spawned workers import this file as __mp_main__ and run only _worker
