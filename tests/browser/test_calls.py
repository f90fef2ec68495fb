"""A call moved through its lifecycle in a real browser, and a client viewer kept out."""

from __future__ import annotations

from sqlalchemy import select

from hub.db import db
from hub.models import Call
from tests.browser.conftest import check_accessibility_basics
from tests.browser.test_login import user


def log_in(page, base: str, demo: dict, role: str) -> None:  # noqa: ANN001
    page.goto(base + "/login")
    name, password = user(demo, role)
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/")


def test_create_a_call_through_the_form_and_move_it_to_resolved(page, live_server, demo, app):
    log_in(page, live_server, demo, "associate")
    page.get_by_role("link", name="Calls").click()
    check_accessibility_basics(page)
    page.get_by_role("link", name="New call").click()
    check_accessibility_basics(page)
    page.get_by_label("Client").select_option("amarant")
    page.get_by_label("Application").select_option("amarant-intranet")
    page.get_by_label("Title").fill("Login fails")
    page.get_by_label("Description").fill("Since this morning.")
    page.get_by_label("Priority").select_option("P2")
    page.get_by_role("button", name="Register call").click()
    page.wait_for_url(f"{live_server}/calls/*")
    call_id = int(page.url.rsplit("/", 1)[1])
    assert page.locator("h1").inner_text() == f"Call {call_id}: Login fails"
    assert page.locator("#status").inner_text() == "new"
    check_accessibility_basics(page)
    for button, status in [
        ("Acknowledged", "acknowledged"),
        ("In progress", "in progress"),
        ("Waiting for client", "waiting for client"),
        ("Resolved", "resolved"),
    ]:
        page.get_by_role("button", name=button, exact=True).click()
        page.wait_for_load_state()
        assert page.locator("#status").inner_text() == status
    history = page.locator(".history li")
    assert history.count() == 5  # created + four moves
    assert "status: acknowledged → in progress" in history.nth(2).inner_text()
    with app.app_context():
        assert db.session.scalar(select(Call.status).where(Call.id == call_id)) == "resolved"


def test_a_client_viewer_opening_another_clients_call_gets_403(page, live_server, demo, app):
    from hub import calls as service
    from hub import directory

    with app.app_context():
        directory.create_client(key="other", name="Other client")
        other = service.create(actor="test", source="test", client="other", title="Theirs")
        db.session.commit()
        other_id = other.id
    log_in(page, live_server, demo, "client_viewer")
    response = page.goto(f"{live_server}/calls/{other_id}")
    assert response.status == 403
    assert page.locator("h1").inner_text() == "Not allowed"
    check_accessibility_basics(page)
