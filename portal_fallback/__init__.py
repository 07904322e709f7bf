"""The minimal client pages: the signing page (``/s/{token}``).

``wire(flow, app)`` adds signing's page to an app: the firm's sealing key (its fingerprint printed when it
is created) and the page's routes. The service gets signing's hooks at construction (``flow.ports()``),
from the composition root.
"""

from __future__ import annotations

from typing import Any, TextIO


def wire(flow: Any, app: Any, *, out: TextIO | None = None) -> Any:
    """Add the signing page of ``flow`` (agent.signing_flow.SigningFlow) to ``app`` (FastAPI).

    Returns the flow; without document templates in the firm folder nothing is added.
    """
    from portal_fallback.routes import install_sign_page

    if not flow.templates:
        return flow
    flow.ensure_key(out)
    app.state.signing = flow
    install_sign_page(app, flow.service, flow)  # the page's state on app.state.sign_page, and its routes
    return flow
