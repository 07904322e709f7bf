"""``mandat serve --workers N``: uvicorn's supervisor runs N worker processes, each listening on the port.

Why uvicorn's own supervisor: a worker that dies or stops answering its health check is replaced,
SIGTERM/SIGINT stop every worker gracefully and SIGHUP replaces them one by one. Each worker builds
its own service from the environment (``agent.app:worker_app``); the parent has migrated the schema
and recovered stored-but-unprocessed messages before any worker starts, so workers never race on that.

Why each worker binds its own ``SO_REUSEPORT`` socket instead of sharing the parent's: on one shared
socket every idle worker wakes for a new connection and asyncio's accept loop takes all that are
queued, so a burst of connections (100 browsers opening at once, a proxy's pool) lands on one worker
and stays there for its keep-alive life — measured 80 % / 20 % over two workers. With a socket each,
the kernel spreads connections over the workers by their address hash. A worker binds only once its
app is built, so no connection waits in the queue of a worker that is still starting; the parent
holds the port bound (not listening) so a port in use fails before any worker is spawned.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys

from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import multiprocess
from uvicorn.supervisors.multiprocess import Process

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


def reuseport_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to host:port with SO_REUSEPORT (not yet listening)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


class ReusePortProcess(Process):
    """A uvicorn worker that listens on a socket of its own (see the module's docstring)."""

    def target(self, sockets: list[socket.socket] | None = None) -> None:  # runs in the worker
        config = self.config
        config.load()  # builds the app now, so the socket below is served the moment it listens
        try:
            sock = reuseport_socket(config.host, config.port)
            sock.listen(config.backlog)
        except OSError as exc:
            logging.getLogger("uvicorn.error").error("Cannot listen on %s:%s: %s", config.host, config.port, exc)
            sys.exit(STARTUP_FAILURE)  # the supervisor stops instead of respawning a worker that cannot bind
        super().target([sock])


def run_workers(settings: Settings, *, host: str, port: int, workers: int) -> int:
    import uvicorn

    export_settings(settings)
    os.environ[WORKERS_ENV] = str(workers)
    config = uvicorn.Config(WORKER_APP, factory=True, host=host, port=port, workers=workers, log_level="info",
                            server_header=False, timeout_worker_healthcheck=HEALTHCHECK_S)
    try:
        reserved = reuseport_socket(host, port)
    except OSError as exc:
        print(f"Cannot listen on {host}:{port}: {exc.strerror}", flush=True)
        return 1
    print(f"Starting {workers} workers on {host}:{port}", flush=True)
    # uvicorn's supervisor creates its workers from this module attribute; ours bind their own socket.
    multiprocess.Process = ReusePortProcess  # type: ignore[misc]
    try:
        multiprocess.Multiprocess(config, sockets=[]).run()
    finally:
        reserved.close()
    return 0
