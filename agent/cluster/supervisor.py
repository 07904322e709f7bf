"""``mandat serve --workers N``: uvicorn's supervisor runs N worker processes on one listening socket.

Why uvicorn's own supervisor: the socket is bound once in the parent and inherited by every worker
(the kernel spreads connections), a worker that dies or stops answering its health check is replaced,
SIGTERM/SIGINT stop every worker gracefully and SIGHUP replaces them one by one. Each worker builds
its own service from the environment (``agent.app:worker_app``); the parent has migrated the schema
and recovered stored-but-unprocessed messages before any worker starts, so workers never race on that.
"""

from __future__ import annotations

import json
import os

from agent.config import Settings

WORKER_APP = "agent.app:worker_app"
WORKERS_ENV = "MANDAT_SERVE_WORKERS"  # read by nothing but people and tests: how many workers run
HEALTHCHECK_S = 30  # a worker that does not answer the supervisor's ping for this long is replaced


def export_settings(settings: Settings) -> None:
    """Put the settings the parent resolved into the environment the spawned workers read theirs from
    (e.g. the public URL ``serve`` derives from host and port, values from a .env file)."""
    for name, value in settings.model_dump(mode="json").items():
        if value is None:
            continue
        os.environ[f"MANDAT_{name.upper()}"] = value if isinstance(value, str) else json.dumps(value)


def run_workers(settings: Settings, *, host: str, port: int, workers: int) -> int:
    import uvicorn

    export_settings(settings)
    os.environ[WORKERS_ENV] = str(workers)
    print(f"Starting {workers} workers on {host}:{port}", flush=True)
    uvicorn.run(WORKER_APP, factory=True, host=host, port=port, workers=workers, log_level="info",
                server_header=False, timeout_worker_healthcheck=HEALTHCHECK_S)
    return 0
