"""Re-driving a failed delivery from the outbox page in a real browser."""

from __future__ import annotations

from hub.db import db
from hub.models import OutboxDelivery
from tests.browser.conftest import check_accessibility_basics
from tests.browser.test_calls import log_in
from tests.test_admin_outbox import dead_delivery


def test_the_outbox_page_re_drives_a_failed_delivery(page, live_server, demo, app):
    delivery_id = dead_delivery(app)
    log_in(page, live_server, demo, "admin")
    page.get_by_role("link", name="Outbox", exact=True).click()
    check_accessibility_basics(page)
    row = page.locator(f"#delivery-{delivery_id}")
    assert "Jira answered 503" in row.inner_text()
    row.get_by_role("button", name="Re-drive").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").inner_text() == f"Delivery {delivery_id} re-driven."
    with app.app_context():
        assert db.session.get(OutboxDelivery, delivery_id).state == "pending"
