"""Liveness and readiness for load balancers: ``GET /healthz`` and ``GET /readyz``.

``/healthz`` answers 200 while the process can serve HTTP at all; it touches nothing else, so a slow
database never gets a healthy process restarted. ``/readyz`` says whether this process should get
traffic: the database answers, the files directory takes a write, the outbox is not falling behind
(the age of the oldest *due* undelivered row) and every poller that announced itself (IMAP, Telegram)
has beaten recently. A failing check gives 503 and names itself in ``failing``.

Pollers live in channels, which may import the core but not the other way round; they call
``beat(name, max_age_s)`` after each cycle, a registry kept here per process.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import func, or_, select, text
from sqlalchemy.exc import OperationalError

from agent.store.models import OutboxRow

log = logging.getLogger(__name__)

OUTBOX_LAG_LIMIT_S = 300.0  # a due reply older than this means delivery is stuck, not merely busy


# --------------------------------------------------------------------------- poller heartbeats
@dataclass
class _Beat:
    at: float  # time.monotonic() of the last beat
    max_age_s: float


class Heartbeats:
    """The last beat of every poller in this process. ``stop(name)`` forgets a poller that ended on purpose."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._beats: dict[str, _Beat] = {}
        self._lock = threading.Lock()

    def beat(self, name: str, max_age_s: float) -> None:
        with self._lock:
            self._beats[name] = _Beat(self._clock(), max_age_s)

    def stop(self, name: str) -> None:
        with self._lock:
            self._beats.pop(name, None)

    def stale(self) -> dict[str, float]:
        """Pollers whose last beat is older than they promised, with that age in seconds."""
        now = self._clock()
        with self._lock:
            return {n: round(now - b.at, 1) for n, b in self._beats.items() if now - b.at > b.max_age_s}

    def ages(self) -> dict[str, float]:
        now = self._clock()
        with self._lock:
            return {n: round(now - b.at, 1) for n, b in self._beats.items()}


HEARTBEATS = Heartbeats()


def beat(name: str, max_age_s: float = 120.0) -> None:
    """A poller's "still here": call it after every cycle; ``max_age_s`` is how long a cycle may take."""
    HEARTBEATS.beat(name, max_age_s)


def stopped(name: str) -> None:
    HEARTBEATS.stop(name)


# --------------------------------------------------------------------------- the checks
Check = tuple[bool, dict[str, Any]]


def check_database(service: Any) -> Check:
    try:
        with service.db.read() as s:
            s.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"; say which kind only
        return False, {"error": type(exc).__name__}
    return True, {}


def check_files(service: Any) -> Check:
    """Write, flush and remove a small file: a full disk or a read-only mount fails here."""
    directory = service.settings.files_dir
    probe = directory / f".ready-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with open(probe, "wb") as fh:
            fh.write(b"\0" * 4096)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        return False, {"error": exc.strerror or type(exc).__name__}
    finally:
        with contextlib.suppress(OSError):
            probe.unlink(missing_ok=True)
    return True, {}


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)  # SQLite hands back naive UTC


def outbox_lag_s(service: Any) -> float:
    """Age of the oldest undelivered row that is due now (rows waiting out a backoff are not late)."""
    now = datetime.now(UTC)
    with service.db.read() as s:
        oldest = s.scalar(
            select(func.min(OutboxRow.created_at))
            .where(OutboxRow.status.in_(("pending", "sending")))
            .where(or_(OutboxRow.not_before.is_(None), OutboxRow.not_before <= now)))
    return 0.0 if oldest is None else max(0.0, (now - _aware(oldest)).total_seconds())


def check_outbox(service: Any, limit_s: float) -> Check:
    try:
        lag = outbox_lag_s(service)
    except Exception as exc:  # noqa: BLE001 - the database check names the cause
        return False, {"error": type(exc).__name__}
    return lag <= limit_s, {"lag_s": round(lag, 1), "limit_s": limit_s}


def check_pollers(heartbeats: Heartbeats) -> Check:
    stale = heartbeats.stale()
    return not stale, {"ages_s": heartbeats.ages(), **({"stale": stale} if stale else {})}


def readiness(service: Any, *, heartbeats: Heartbeats | None = None,
              outbox_limit_s: float = OUTBOX_LAG_LIMIT_S) -> tuple[bool, dict[str, Any]]:
    db_ok, db = check_database(service)
    checks: dict[str, Check] = {
        "database": (db_ok, db),
        "files": check_files(service),
        "outbox": check_outbox(service, outbox_limit_s) if db_ok else (False, {"error": "database"}),
        "pollers": check_pollers(heartbeats or HEARTBEATS),
    }
    failing = [name for name, (ok, _) in checks.items() if not ok]
    body = {"status": "ready" if not failing else "not ready", "failing": failing,
            "checks": {name: {"ok": ok, **detail} for name, (ok, detail) in checks.items()}}
    return not failing, body


# --------------------------------------------------------------------------- an outage is a 503
RETRY_AFTER_S = 5


async def database_unavailable(_request: Any, exc: Exception) -> JSONResponse:
    """The database is down or restarting: 503 with Retry-After (clients and load balancers retry),
    not a 500 that reads like a bug. Nothing was committed, so retrying the same request is safe."""
    log.warning("database unavailable: %s", type(exc).__name__)
    return JSONResponse({"error": "unavailable", "message": "Der Dienst ist kurz nicht erreichbar. Bitte gleich "
                         "noch einmal versuchen.", "message_en": "The service is briefly unavailable. Please try "
                         "again in a moment."}, status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)})


def install_outage_handlers(app: Any) -> None:
    app.add_exception_handler(OperationalError, database_unavailable)


# --------------------------------------------------------------------------- the routes
def build_health_router(service: Any, *, heartbeats: Heartbeats | None = None,
                        outbox_limit_s: float = OUTBOX_LAG_LIMIT_S) -> APIRouter:
    """Both probes are public (a load balancer has no token) and tell nothing about clients."""
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @router.get("/readyz")
    def readyz() -> JSONResponse:
        ok, body = readiness(service, heartbeats=heartbeats, outbox_limit_s=outbox_limit_s)
        return JSONResponse(body, status_code=200 if ok else 503)

    return router
