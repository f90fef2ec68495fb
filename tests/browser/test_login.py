"""Logging in and out in a real browser."""

from __future__ import annotations

from tests.browser.conftest import check_accessibility_basics


def user(demo: dict, role: str) -> tuple[str, str]:
    name = next(n for n, (r, _) in demo["users"].items() if r == role)
    return name, demo["users"][name][1]


def test_log_in_see_the_dashboard_and_log_out(page, live_server, demo):
    page.goto(live_server + "/")
    assert page.url.startswith(live_server + "/login")
    check_accessibility_basics(page)
    name, password = user(demo, "sla_manager")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_server + "/")
    assert page.locator("h1").inner_text() == "Dashboard"
    check_accessibility_basics(page)
    assert page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(live_server + "/login")
    assert page.get_by_role("status").inner_text() == "You are logged out."


def test_a_wrong_password_shows_beside_the_field(page, live_server, demo):
    page.goto(live_server + "/login")
    page.get_by_label("User name").fill(user(demo, "admin")[0])
    page.get_by_label("Password").fill("certainly not it")
    page.get_by_role("button", name="Log in").click()
    error = page.locator("#password-error")
    assert error.inner_text() == "Unknown user name or wrong password."
    assert page.get_by_label("Password").get_attribute("aria-describedby") == "password-error"
    check_accessibility_basics(page)
