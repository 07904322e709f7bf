"""Signing in and out: cookie flags, server-side sessions, CSRF and Origin, fixation, brute force."""

from __future__ import annotations

from datetime import timedelta

from agent.staff.sessions import COOKIE, SessionStore
from tests.agent.staff.conftest import ANNA, JONAS, PASSWORD, Staffed, csrf_of


def test_without_a_session_the_list_redirects_to_the_login(staff: Staffed) -> None:
    with staff.browser() as client:
        resp = client.get("/staff")
    assert resp.status_code == 303
    assert resp.headers["location"] == "/staff/login"


def test_login_sets_a_strict_cookie_and_opens_the_list(staff: Staffed) -> None:
    with staff.browser() as client:
        page = client.get("/staff/login")
        assert page.status_code == 200 and 'name="password"' in page.text
        resp = client.post("/staff/login", data={"email": ANNA, "password": PASSWORD, "csrf": csrf_of(page.text)})
        assert resp.status_code == 303 and resp.headers["location"] == "/staff"
        cookie = next(v for k, v in resp.headers.multi_items() if k == "set-cookie" and v.startswith(COOKIE))
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert "Secure" not in cookie  # MANDAT_PUBLIC_URL is http here
        listing = client.get("/staff")
        assert listing.status_code == 200
        assert 'id="bell-count"' in listing.text and "Dr. Anna Beispiel" in listing.text
        assert listing.headers["content-security-policy"].startswith("default-src 'self'")


def test_secure_flag_when_the_public_url_is_https(staff: Staffed) -> None:
    from agent.staff.routes.deps import StaffContext

    settings = staff.service.settings.model_copy(update={"public_url": "https://kanzlei.example"})
    ctx = StaffContext(service=type("S", (), {"settings": settings})(), sessions=None, env=None)  # type: ignore[arg-type]
    assert ctx.secure_cookie is True


def test_wrong_password_is_refused_with_a_clear_message(staff: Staffed) -> None:
    with staff.browser() as client:
        page = client.get("/staff/login")
        resp = client.post("/staff/login", data={"email": ANNA, "password": "wrong wrong", "csrf": csrf_of(page.text)})
        assert resp.status_code == 401
        assert "E-Mail oder Passwort stimmt nicht." in resp.text
        assert COOKIE not in resp.cookies


def test_login_without_its_csrf_value_or_from_another_origin_is_refused(staff: Staffed) -> None:
    with staff.browser() as client:
        page = client.get("/staff/login")
        no_token = client.post("/staff/login", data={"email": ANNA, "password": PASSWORD})
        assert no_token.status_code == 403
        foreign = client.post("/staff/login", data={"email": ANNA, "password": PASSWORD, "csrf": csrf_of(page.text)},
                              headers={"Origin": "https://evil.example"})
        assert foreign.status_code == 403
        assert COOKIE not in client.cookies


def test_brute_force_is_stopped_with_429_per_account(staff: Staffed) -> None:
    with staff.browser() as client:
        statuses = []
        for _ in range(7):
            page = client.get("/staff/login")
            resp = client.post("/staff/login", data={"email": ANNA, "password": "guess guess",
                                                     "csrf": csrf_of(page.text)})
            statuses.append(resp.status_code)
        assert statuses[:5] == [401] * 5
        assert statuses[5:] == [429, 429]
        assert "Zu viele Anmeldeversuche" in resp.text and int(resp.headers["retry-after"]) > 0
        page = client.get("/staff/login")  # even the right password waits now
        right = client.post("/staff/login", data={"email": ANNA, "password": PASSWORD, "csrf": csrf_of(page.text)})
        assert right.status_code == 429


def test_brute_force_across_accounts_is_stopped_per_ip(staff: Staffed) -> None:
    with staff.browser() as client:
        last = None
        for n in range(21):
            page = client.get("/staff/login")
            last = client.post("/staff/login", data={"email": f"nobody{n}@example.org", "password": "guess guess",
                                                     "csrf": csrf_of(page.text)})
        assert last is not None and last.status_code == 429


def test_a_new_session_id_at_login_and_the_planted_one_is_revoked(staff: Staffed) -> None:
    attacker = staff.login(JONAS)
    planted = attacker.cookies.get(COOKIE)
    with staff.browser() as victim:
        page = victim.get("/staff/login").text
        victim.cookies.set(COOKIE, planted, domain="127.0.0.1")  # planted before the victim signs in
        victim.post("/staff/login", data={"email": ANNA, "password": PASSWORD, "csrf": csrf_of(page)})
        fresh = [c.value for c in victim.cookies.jar if c.name == COOKIE]
        assert fresh and planted not in fresh
        assert "Dr. Anna Beispiel" in victim.get("/staff").text
    assert attacker.get("/staff").status_code == 303  # the planted session ended when the victim signed in
    attacker.close()


def test_logout_revokes_the_session_on_the_server(staff: Staffed) -> None:
    client = staff.login()
    value = client.cookies.get(COOKIE)
    page = client.get("/staff")
    resp = client.post("/staff/logout", data={"csrf": csrf_of(page.text)})
    assert resp.status_code == 303 and resp.headers["location"].startswith("/staff/login")
    with staff.browser() as replay:  # the old cookie, replayed, no longer works
        replay.cookies.set(COOKIE, value)
        assert replay.get("/staff").status_code == 303
    client.close()


def test_logout_needs_csrf_and_origin(staff: Staffed) -> None:
    client = staff.login()
    page = client.get("/staff")
    assert client.post("/staff/logout", data={}).status_code == 403
    assert client.post("/staff/logout", data={"csrf": csrf_of(page.text)},
                       headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.get("/staff").status_code == 200  # still signed in
    client.close()


def test_idle_sessions_expire(staff: Staffed) -> None:
    store = SessionStore(staff.service.db, idle=timedelta(seconds=0))
    from agent.staff.accounts import member

    anna = [m for m in [member(staff.service.db, i) for i in range(1, 5)] if m and m.email == ANNA][0]
    value, _session = store.start(anna.id, "127.0.0.1")
    assert store.resolve(value) is None
    assert SessionStore(staff.service.db).resolve(value) is not None
