"""No staff page, action or file is reachable without a session (or, for /api, the bearer token):
every route is taken from the app itself, so a route added later is covered too."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute

from agent.staff.sessions import COOKIE
from tests.agent.staff.conftest import Staffed, flat_routes

# The ways in; their POSTs still need the login form's CSRF value, and the e-mailed link a live token.
PUBLIC = {("/staff/login", "GET"), ("/staff/login", "POST"), ("/staff/login/mail", "POST"),
          ("/staff/login/link", "GET"), ("/staff/login/link", "POST")}


def _protected_routes(app: object) -> list[tuple[str, str]]:
    found = []
    for route in flat_routes(app.routes):  # type: ignore[attr-defined]
        if not isinstance(route, APIRoute):
            continue
        if not (route.path.startswith("/staff") or route.path.startswith("/api/files")):
            continue
        for method in sorted(route.methods - {"HEAD"}):
            if (route.path, method) not in PUBLIC:
                found.append((route.path, method))
    return found


def test_every_staff_route_and_file_needs_a_session_or_token(staff: Staffed) -> None:
    routes = _protected_routes(staff.app)
    paths = {path for path, _ in routes}
    for expected in ("/staff", "/staff/bell.json", "/staff/requests/{request_id}", "/staff/requests/new",
                     "/staff/requests/{request_id}/files/{document_id}", "/staff/requests/{request_id}/reply",
                     "/staff/requests/{request_id}/files/{document_id}/pages/{page}.png",
                     "/staff/settings", "/staff/logout", "/api/files/{document_id}"):
        assert expected in paths, expected
    rid = staff.create("Walk Route")
    with staff.browser() as anon:
        anon.cookies.set(COOKIE, "not-a-session", domain="127.0.0.1")
        for path, method in routes:
            url = re.sub(r"\{request_id\}", rid, path)
            url = url.replace("{page}", "1")
            url = re.sub(r"\{[a-z_]+(:path)?\}", "x", url)
            resp = anon.request(method, url, data={"csrf": "x"} if method == "POST" else None)
            if path.startswith("/api/"):
                assert resp.status_code == 401, (method, path, resp.status_code)
            else:
                assert resp.status_code in (303, 401), (method, path, resp.status_code)
                if resp.status_code == 303:
                    assert resp.headers["location"] == "/staff/login", (method, path)
                assert "Walk Route" not in resp.text


def test_settings_are_for_admins_only(staff: Staffed) -> None:
    from tests.agent.staff.conftest import JONAS

    jonas = staff.login(JONAS)  # an assistant
    assert jonas.get("/staff/settings").status_code == 403
    page = jonas.get("/staff").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    assert jonas.post("/staff/settings", data={"csrf": csrf, "colour": "#000000"}).status_code == 403
    jonas.close()


def test_staff_pages_carry_the_security_headers(staff: Staffed) -> None:
    anna = staff.login()
    for url in ("/staff", "/staff/requests/new", "/staff/settings", "/staff/login"):
        resp = anna.get(url) if url != "/staff/login" else staff.browser().get(url)
        assert resp.headers["cache-control"] == "no-store"
        assert "script-src 'self'" in resp.headers["content-security-policy"]
        assert resp.headers["x-frame-options"] == "DENY"
        assert "<script>" not in resp.text  # no inline script: the CSP would block it anyway
    anna.close()
