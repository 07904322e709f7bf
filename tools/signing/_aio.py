"""Run pyHanko's coroutines from sync code, whether or not an event loop runs in this thread."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """asyncio.run in this thread, or in a helper thread when this thread already runs a loop.

    pyHanko's own sync wrappers call asyncio.run, which fails inside a running loop; calling the
    async API through this helper keeps the sync functions safe from worker threads and from
    code that (wrongly, but it happens) calls them inside a coroutine.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="signing-aio") as pool:
        return pool.submit(asyncio.run, coro).result()
