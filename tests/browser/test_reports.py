"""The SLA report in a real browser: the SLA manager picks a client and a month and sees
the tables and both SVG charts; the page fits a phone."""

from __future__ import annotations

import pytest

from hub.db import db
from tests.browser.conftest import ARTIFACTS, check_accessibility_basics
from tests.browser.conftest import overflow as width_over
from tests.browser.test_calls import log_in
from tests.sla.report_data import add_call, add_clock, book, make_client, utc


@pytest.fixture
def acme(app, demo):  # noqa: ANN001,ANN201
    """A year of calls for client acme: compliance rising month by month, a few breaches."""
    with app.app_context():
        client = make_client("acme")
        for month in range(1, 12):
            for i in range(10):
                call = add_call(client, utc(2026, month, 3 + i, 9), priority=f"P{i % 4 + 1}",
                                category=("incident", "question", "change")[i % 3],
                                title=f"Call {month}-{i}")  # fmt: skip
                met = i < 4 + month // 2
                add_clock(call, "response", elapsed=(i + 1) * 14 if met else 200,
                          outcome="met" if met else "breached", target=120,
                          breached_at=None if met else utc(2026, month, 3 + i, 11),
                          cause=None if met else "on 1-general: nobody picked it up")  # fmt: skip
                add_clock(call, "resolution", elapsed=300 + i * 40, outcome="met", target=960)
                book(call, 20, utc(2026, month, 3 + i, 12))
        db.session.commit()
    return "acme"


def test_the_sla_manager_reads_a_clients_month_with_its_charts(page, live_server, demo, acme):
    log_in(page, live_server, demo, "sla_manager")
    page.get_by_role("link", name="Reports").click()
    page.wait_for_url(f"{live_server}/reports")
    check_accessibility_basics(page)
    page.get_by_label("Client", exact=True).select_option("acme")
    page.get_by_label("Period").fill("2026-11")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"{live_server}/reports?client=acme&period=2026-11")
    check_accessibility_basics(page)
    assert page.title() == "SLA report Acme 2026-11 · SLA Hub"
    assert page.get_by_role("heading", name="Acme, 2026-11").is_visible()

    compliance = page.get_by_role("img", name="Share of clocks within target per month")
    histogram = page.get_by_role("img", name="Response times in business time")
    for chart in (compliance, histogram):
        chart.scroll_into_view_if_needed()
        box = chart.bounding_box()
        assert chart.is_visible() and box["width"] > 500 and box["height"] > 150
    assert compliance.locator("rect.bar-response").count() == 11, "Jan–Nov; no bar for Dec"
    assert compliance.locator("line.target").count() == 1
    heights = [float(h) for h in compliance.locator("rect.bar-response").evaluate_all(
        "bars => bars.map(b => b.getAttribute('height'))")]  # fmt: skip
    assert heights[-1] > heights[0], "November's compliance is above January's"
    assert histogram.locator("rect.bar").count() == 9
    assert page.get_by_role("cell", name="on 1-general: nobody picked it up").count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report-sla-manager.png"), full_page=True)

    page.get_by_label("Period").fill("2026-13")
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state()
    assert page.locator("#f-period-error").inner_text().startswith("period '2026-13' has no")
    assert page.get_by_label("Period").get_attribute("aria-invalid") == "true"


def test_the_report_fits_a_phone(phone, live_server, demo, acme):
    log_in(phone, live_server, demo, "sla_manager")
    phone.goto(f"{live_server}/reports?client=acme&period=2026-Q4")
    overflow = width_over(phone)
    assert overflow <= 0, f"the report is {overflow}px wider than the phone"
    chart = phone.get_by_role("img", name="Share of clocks within target per month")
    assert chart.bounding_box()["width"] <= 375
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "phone-report.png"), full_page=True)
