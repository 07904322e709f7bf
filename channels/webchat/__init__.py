"""The web chat: the page a personal link opens, its JSON/multipart endpoints and its event stream.

Wiring (composition root)::

    state = install_webchat(app, service)           # app.state.webchat; creates/registers a WebchatHub
    install_log_redaction()                         # after uvicorn.Config(...): no tokens in logs

Parts: state.py (what the routes share), deps.py (link, rate limit, body), routes.py (the endpoints),
turns.py (one turn in, JSON out), uploads.py (the streaming multipart reader), hub.py (event streams).
"""

from agent.ratelimit import SlidingWindowLimiter
from channels.webchat.hub import WebchatHub
from channels.webchat.logs import RedactTokensFilter, install_log_redaction, redact, redact_tokens_filter
from channels.webchat.routes import SECURITY_HEADERS, install_webchat
from channels.webchat.state import WebchatState

__all__ = [
    "SECURITY_HEADERS",
    "RedactTokensFilter",
    "SlidingWindowLimiter",
    "WebchatHub",
    "WebchatState",
    "install_log_redaction",
    "install_webchat",
    "redact",
    "redact_tokens_filter",
]
