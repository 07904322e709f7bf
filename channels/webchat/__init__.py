"""The web chat: the page a personal link opens, its JSON/multipart endpoints and its event stream.

Wiring (composition root)::

    router = build_webchat_router(service)          # creates/registers a WebchatHub as the outbox sender
    app.include_router(router)                      # router.hub is the hub
    install_log_redaction()                         # after uvicorn.Config(...): no tokens in logs
"""

from agent.ratelimit import SlidingWindowLimiter
from channels.webchat.hub import WebchatHub
from channels.webchat.logs import RedactTokensFilter, install_log_redaction, redact, redact_tokens_filter
from channels.webchat.router import SECURITY_HEADERS, build_webchat_router

__all__ = [
    "SECURITY_HEADERS",
    "RedactTokensFilter",
    "SlidingWindowLimiter",
    "WebchatHub",
    "build_webchat_router",
    "install_log_redaction",
    "redact",
    "redact_tokens_filter",
]
