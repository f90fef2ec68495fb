"""The outbox page: by state, payload and last error; admins re-drive or discard."""

from __future__ import annotations

import pytest

from hub.db import db
from hub.models import OutboxDelivery
from tests.test_admin_login import csrf_from, log_in, user


def dead_delivery(app) -> int:  # noqa: ANN001
    with app.app_context():
        row = OutboxDelivery(
            hook="hub_call_created",
            plugin="jira",
            payload={"call": {"id": 1, "title": "Intranet down"}},
            state="dead",
            attempts=8,
            last_error="OutsideSystemDown: Jira answered 503",
        )
        db.session.add(row)
        db.session.commit()
        return row.id


@pytest.mark.parametrize(
    ("role", "status"),
    [("admin", 200), ("sla_manager", 200), ("associate", 403), ("client_viewer", 403)],
)
def test_who_sees_the_outbox(client, demo, role, status):
    log_in(client, *user(demo, role))
    assert client.get("/outbox").status_code == status


def test_a_dead_delivery_shows_its_error_and_payload_and_is_re_driven(client, demo, app):
    delivery_id = dead_delivery(app)
    log_in(client, *user(demo, "admin"))
    page = client.get("/outbox?state=dead").get_data(as_text=True)
    assert "OutsideSystemDown: Jira answered 503" in page and "Intranet down" in page
    token = csrf_from(page)
    resp = client.post(f"/outbox/{delivery_id}/redrive?state=dead", data={"csrf_token": token})
    assert resp.status_code == 303
    with app.app_context():
        row = db.session.get(OutboxDelivery, delivery_id)
        assert (row.state, row.attempts) == ("pending", 0)
    again = client.post(f"/outbox/{delivery_id}/redrive", data={"csrf_token": token})
    assert "only dead deliveries are re-driven" in client.get(again.headers["Location"]).get_data(
        as_text=True
    )


def test_discard_needs_an_admin_and_a_csrf_token(client, demo, app):
    delivery_id = dead_delivery(app)
    log_in(client, *user(demo, "sla_manager"))
    token = csrf_from(client.get("/outbox").get_data(as_text=True))
    assert (
        client.post(f"/outbox/{delivery_id}/discard", data={"csrf_token": token}).status_code == 403
    )
    client.post("/logout", data={"csrf_token": token})
    log_in(client, *user(demo, "admin"))
    assert client.post(f"/outbox/{delivery_id}/discard").status_code == 400
    token = csrf_from(client.get("/outbox").get_data(as_text=True))
    assert (
        client.post(f"/outbox/{delivery_id}/discard", data={"csrf_token": token}).status_code == 303
    )
    with app.app_context():
        assert db.session.get(OutboxDelivery, delivery_id).state == "discarded"
