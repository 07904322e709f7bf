"""Privacy: the case export, the client's export (Art. 15/20 GDPR), erasure (Art. 17) and the retention
purge. Erasure is extensible: a package registers what it keeps with ``register_eraser`` (registry.py)."""

from agent.privacy.erase import ErasureReport, erase, erase_client
from agent.privacy.registry import (
    ErasureContext,
    ErasureScope,
    register_eraser,
    registered_erasers,
    rows_of_requests,
)

__all__ = ["ErasureContext", "ErasureReport", "ErasureScope", "erase", "erase_client", "register_eraser",
           "registered_erasers", "rows_of_requests"]
