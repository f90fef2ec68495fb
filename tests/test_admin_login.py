"""Logging in and out of the admin pages: sessions, CSRF, rate limit, role pages."""

from __future__ import annotations

import re

import pytest

from hub.admin import NAV, NavEntry, add_nav


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def log_in(client, username: str, password: str, next_url: str = ""):  # noqa: ANN001,ANN201
    token = csrf_from(client.get("/login").get_data(as_text=True))
    url = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"csrf_token": token, "username": username, "password": password})


def user(demo: dict, role: str) -> tuple[str, str]:
    name = next(n for n, (r, _) in demo["users"].items() if r == role)
    return name, demo["users"][name][1]


def test_a_page_sends_a_visitor_to_the_login_form(client, demo):
    resp = client.get("/")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("role", ["admin", "sla_manager", "associate", "client_viewer"])
def test_each_role_logs_in_and_sees_the_dashboard(client, demo, role):
    resp = log_in(client, *user(demo, role))
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "<h1>Dashboard</h1>" in page and "<title>Dashboard · SLA Hub</title>" in page


def test_a_wrong_password_is_refused_beside_the_field(client, demo):
    name, _ = user(demo, "admin")
    resp = log_in(client, name, "not the password at all")
    assert resp.status_code == 401
    page = resp.get_data(as_text=True)
    assert 'id="password-error">Unknown user name or wrong password.' in page
    assert client.get("/").status_code == 302, "still logged out"


def test_a_missing_or_forged_csrf_token_is_400_and_logs_nobody_in(client, demo):
    name, password = user(demo, "admin")
    resp = client.post("/login", data={"username": name, "password": password})
    assert resp.status_code == 400
    resp = client.post(
        "/login", data={"csrf_token": "forged", "username": name, "password": password}
    )
    assert resp.status_code == 400
    assert client.get("/").status_code == 302


def test_next_goes_back_to_a_page_of_this_site_only(client, demo):
    assert log_in(client, *user(demo, "admin"), next_url="/").headers["Location"] == "/"
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))})
    resp = log_in(client, *user(demo, "admin"), next_url="//evil.example/")
    assert resp.headers["Location"] == "/"


def test_logout_needs_the_csrf_token_and_ends_the_session(client, demo):
    log_in(client, *user(demo, "associate"))
    assert client.post("/logout").status_code == 400, "no token: still logged in"
    assert client.get("/").status_code == 200
    token = csrf_from(client.get("/").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


@pytest.fixture
def config_extra() -> dict:
    return {"LOGIN_RATE_LIMIT": "3 per minute"}


def test_login_attempts_are_rate_limited(client, demo):
    name, password = user(demo, "admin")
    for _ in range(3):
        assert log_in(client, name, "wrong password here").status_code == 401
    assert log_in(client, name, password).status_code == 429, "even the right password waits"


def test_the_session_cookie_is_httponly_and_samesite(client, demo):
    resp = log_in(client, *user(demo, "admin"))
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_role_without_access_gets_a_403_page_naming_the_role(app, client, demo):
    from hub.admin import bp  # noqa: F401 - the test view is added to a fresh app below
    from hub.admin.access import role_required

    @role_required("admin")
    def admin_only():  # noqa: ANN202
        return "secret"

    app.add_url_rule("/test-admin-only", "test_admin_only", admin_only)
    log_in(client, *user(demo, "associate"))
    resp = client.get("/test-admin-only")
    assert resp.status_code == 403
    assert "needs the role <strong>admin</strong>" in resp.get_data(as_text=True)


def test_navigation_entries_show_to_their_roles(client, demo):
    entry = NavEntry("Admins only", "admin.index", roles=("admin",))
    add_nav(entry)
    add_nav(entry)
    try:
        assert NAV.count(entry) == 1
        log_in(client, *user(demo, "associate"))
        assert "Admins only" not in client.get("/").get_data(as_text=True)
    finally:
        NAV.remove(entry)
