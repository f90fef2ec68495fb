"""Records in a real browser: an error shown beside its field, every page's basics, a phone."""

from __future__ import annotations

from sqlalchemy import select

from hub.db import db
from hub.models import Contract
from tests.browser.conftest import ARTIFACTS, check_accessibility_basics
from tests.browser.conftest import overflow as width_over
from tests.browser.test_calls import log_in


def test_a_validation_error_is_shown_beside_the_field(page, live_server, demo, app):
    log_in(page, live_server, demo, "sla_manager")
    page.get_by_role("link", name="Contracts").click()
    page.goto(f"{live_server}/contracts/amarant-sla-2026/edit")
    check_accessibility_basics(page)
    page.get_by_label("Time zone").fill("Mars/Olympus")
    page.get_by_label("Name").fill("Renamed in the browser")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    field = page.get_by_label("Time zone")
    error = page.locator("#f-timezone-error")
    assert error.inner_text().startswith("unknown time zone 'Mars/Olympus'")
    assert field.get_attribute("aria-invalid") == "true"
    assert "f-timezone-error" in field.get_attribute("aria-describedby")
    box, under = field.bounding_box(), error.bounding_box()
    assert 0 <= under["y"] - (box["y"] + box["height"]) < 40, "the error sits right under it"
    assert abs(under["x"] - box["x"]) < 5
    assert page.get_by_role("alert").inner_text().startswith("Nothing was saved")
    assert field.input_value() == "Mars/Olympus", "what was typed is kept"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "validation-error-beside-the-field.png"), full_page=True)
    with app.app_context():
        name = db.session.scalar(
            select(Contract.name).where(Contract.reference == "amarant-sla-2026")
        )
        assert name != "Renamed in the browser", "nothing half-saved"
    field.fill("Europe/Amsterdam")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{live_server}/contracts/amarant-sla-2026")
    assert page.get_by_role("status").inner_text() == "Contract amarant-sla-2026 saved."
    assert "Renamed in the browser" in page.locator("h1").inner_text()


PAGES = [
    "/", "/calls", "/calls/new", "/calls/1", "/clients", "/clients/new", "/clients/amarant",
    "/clients/amarant/edit", "/contracts", "/contracts/new", "/contracts/amarant-sla-2026",
    "/contracts/amarant-sla-2026/edit", "/applications", "/applications/new",
    "/applications/amarant-intranet", "/applications/amarant-intranet/edit", "/people",
    "/people/new", "/people/bas", "/people/bas/edit", "/outbox", "/plugins", "/no-such-page",
]  # fmt: skip


def test_every_page_has_a_title_one_h1_and_labelled_fields(page, live_server, demo):
    log_in(page, live_server, demo, "admin")
    for path in PAGES:
        page.goto(live_server + path)
        check_accessibility_basics(page)


def test_the_pages_fit_a_phone(phone, live_server, demo):
    log_in(phone, live_server, demo, "sla_manager")
    for path in ["/", "/calls", "/calls/1", "/contracts/amarant-sla-2026/edit", "/people"]:
        phone.goto(live_server + path)
        overflow = width_over(phone)
        assert overflow <= 0, f"{path} is {overflow}px wider than the phone"
    phone.goto(live_server + "/")
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "phone-dashboard.png"), full_page=True)
