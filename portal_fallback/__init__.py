"""The minimal client pages: the signing page (``/s/{token}``).

``wire(service, app)`` connects signing to a service and an app: the turn's sign-link hooks, the
opening message's links, the firm's sealing key (its fingerprint printed when it is created) and
the page's routes.
"""

from __future__ import annotations

from typing import Any, TextIO


def wire(service: Any, app: Any, *, out: TextIO | None = None) -> Any:
    """Hook signing into ``service`` (agent.service.Mandat) and add the page to ``app`` (FastAPI).

    Returns the ``SigningFlow``; without document templates in the firm folder nothing is wired.
    """
    from agent.signing_flow import SigningFlow
    from portal_fallback.state import install_sign_page

    flow = SigningFlow(service)
    if not flow.templates:
        return flow
    flow.ensure_key(out)
    service.sign_link = flow.sign_link
    service.sign_title = flow.sign_title
    app.state.signing = flow
    install_sign_page(app, service, flow)  # the page's state on app.state.sign_page, and its routes
    return flow
