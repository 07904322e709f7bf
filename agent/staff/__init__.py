"""The staff workspace in the browser (``/staff``): login, request list with red dots, the bell,
request detail with actions, new requests from mail templates, and the firm's branding.

Core code: it reads and writes the store directly and calls the service for anything that changes a
conversation (replies, pauses, links). ``build_staff_pages(service)`` is the router the app mounts.
"""

from __future__ import annotations

from typing import Any


def build_staff_pages(service: Any, **options: Any) -> Any:
    # Imported here so `mandat staff …` and `--help` do not load the web stack.
    from agent.staff.routes import build_staff_pages as build

    return build(service, **options)


__all__ = ["build_staff_pages"]
