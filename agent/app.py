"""The composition root: builds the service and wires every configured channel to it."""

from __future__ import annotations

import logging

from agent.config import Settings
from agent.service import Mandat

log = logging.getLogger(__name__)


def build_service(settings: Settings) -> Mandat:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    service = Mandat(settings)
    service.setup()
    return service


def serve(settings: Settings, *, host: str, port: int, demo: bool = False) -> int:
    raise SystemExit("mandat serve: the web chat is not built yet")
