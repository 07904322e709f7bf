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
    from portal_fallback.router import build_sign_router

    flow = SigningFlow(service)
    if not flow.templates:
        return flow
    flow.ensure_key(out)
    service.sign_link = flow.sign_link
    service.sign_title = flow.sign_title
    router = build_sign_router(service, flow)
    app.state.signing = flow
    app.state.sign_router = router
    app.include_router(router)
    return flow
