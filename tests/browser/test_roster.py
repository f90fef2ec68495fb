"""The duty roster in a real browser: an SLA manager plans a month through the form (first
with a mistake, shown beside its field), sees the grid, and the page fits a phone."""

from __future__ import annotations

from sqlalchemy import func, select

from hub.db import db
from hub.models import Shift
from tests.browser.conftest import ARTIFACTS, check_accessibility_basics
from tests.browser.conftest import overflow as width_over
from tests.browser.test_calls import log_in


def test_plan_a_month_through_the_form_and_see_the_grid(page, live_server, demo, app):
    log_in(page, live_server, demo, "sla_manager")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Roster").click()
    check_accessibility_basics(page)
    page.goto(f"{live_server}/roster?month=2027-01&line=joomla")
    assert page.locator("h1").inner_text() == "Roster: joomla, January 2027"
    check_accessibility_basics(page)
    page.get_by_label("Days per duty").fill("0.1")
    page.get_by_role("button", name="Plan the month").click()
    page.wait_for_load_state()
    error = page.locator("#f-days-error")
    assert "days must be from 0.5 to 31" in error.inner_text()
    assert page.get_by_label("Days per duty").get_attribute("aria-invalid") == "true"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Shift)) == 0, "nothing saved"
    check_accessibility_basics(page)
    page.get_by_label("Days per duty").fill("2.5")
    page.get_by_role("button", name="Plan the month").click()
    page.wait_for_url(f"{live_server}/roster?month=2027-01&line=joomla")
    assert page.get_by_role("status").inner_text() == "13 duties planned for joomla in 2027-01."
    first_day = page.locator("#day-2027-01-01")
    assert "Anja from 08:00" in first_day.inner_text()
    assert page.locator("#roster-grid .duty").count() >= 31, "someone on duty every day"
    counts = page.locator("#roster-counts tbody tr")
    assert [counts.nth(i).inner_text().split("\t")[:2] for i in range(2)] == [
        ["Anja", "7"],
        ["Ronald", "6"],
    ]
    check_accessibility_basics(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "roster-month.png"), full_page=True)


def test_the_roster_fits_a_phone(phone, live_server, demo, app):  # noqa: ANN001
    from hub.sla import roster

    with app.app_context():
        roster.generate_month("joomla", 2027, 1)
        db.session.commit()
    log_in(phone, live_server, demo, "associate")
    phone.goto(f"{live_server}/roster?month=2027-01&line=joomla")
    overflow = width_over(phone)
    assert overflow <= 0, f"the roster is {overflow}px wider than the phone"
    check_accessibility_basics(phone)
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "phone-roster.png"), full_page=True)
