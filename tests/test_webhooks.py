"""Inbound webhooks: signatures, raw storage before the answer, dedupe, interpretation."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import func, select

from hub.builtin.generic_webhooks import signature
from hub.db import db
from hub.models import Call, InboundEvent
from tests.conftest import SECRET


def post(client, body, *, delivery="d-1", secret=SECRET, source="monitoring", headers=None):  # noqa: ANN001,ANN201
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    hdrs = {
        "Content-Type": "application/json",
        "X-Delivery-Id": delivery,
        "X-Hub-Signature-256": signature(secret, raw),
    }
    hdrs.update(headers or {})
    hdrs = {k: v for k, v in hdrs.items() if v is not None}
    return client.post(f"/webhooks/{source}", data=raw, headers=hdrs)


CREATE = {
    "type": "call.create",
    "client": "amarant",
    "title": "Site down",
    "priority": "P1",
    "application": "amarant-intranet",
    "ref": "ALERT-1",
}


def rows(app, model):  # noqa: ANN001,ANN201
    with app.app_context():
        return db.session.scalars(select(model).order_by(model.id)).all()


def n_calls(app) -> int:  # noqa: ANN001
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Call))


def test_signed_delivery_creates_a_call(app, client, demo):
    resp = post(client, CREATE)
    assert resp.status_code == 202, resp.json
    assert resp.json["status"] == "processed"
    with app.app_context():
        call = db.session.get(Call, resp.json["call"])
        assert (call.title, call.priority, call.source, call.client.key) == (
            "Site down",
            "P1",
            "monitoring",
            "amarant",
        )
        assert [(link.system, link.key) for link in call.links] == [("monitoring", "ALERT-1")]
        event = db.session.get(InboundEvent, resp.json["event"])
        assert event.status == "processed" and event.call_id == call.id
        assert json.loads(event.body) == CREATE
        assert event.headers["x-delivery-id"] == "d-1"


def test_repeated_delivery_id_is_answered_and_not_processed_again(app, client, demo):
    first = post(client, CREATE)
    again = post(client, CREATE)
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json == {"status": "duplicate", "event": first.json["event"]}
    assert n_calls(app) == 4  # the demo's three and this one
    assert len(rows(app, InboundEvent)) == 1


def test_same_ref_under_a_new_delivery_id_does_not_duplicate_the_call(app, client, demo):
    first = post(client, CREATE, delivery="d-1")
    second = post(client, CREATE, delivery="d-2")
    assert first.json["call"] == second.json["call"]
    assert n_calls(app) == 4


def test_update_by_ref(app, client, demo):
    post(client, CREATE, delivery="d-1")
    resp = post(
        client,
        {"type": "call.update", "ref": "ALERT-1", "status": "acknowledged", "note": "seen"},
        delivery="d-2",
    )
    assert resp.status_code == 202
    with app.app_context():
        call = db.session.get(Call, resp.json["call"])
        assert call.status == "acknowledged"
        assert call.events[-1].note == "seen" and call.events[-1].actor == "webhook:monitoring"


@pytest.mark.parametrize(
    ("headers", "status", "message"),
    [
        ({"X-Hub-Signature-256": None}, 401, "missing X-Hub-Signature-256"),
        ({"X-Hub-Signature-256": "sha256=" + "0" * 64}, 401, "does not match"),
        ({"X-Hub-Signature-256": "garbage"}, 401, "does not match"),
        ({"X-Delivery-Id": None}, 400, "X-Delivery-Id"),
    ],
)
def test_bad_or_missing_signature_is_refused_and_stores_nothing(
    app, client, demo, headers, status, message
):
    resp = post(client, CREATE, headers=headers)
    assert resp.status_code == status
    assert message in resp.json["error"]
    assert resp.json["field"] in ("X-Hub-Signature-256", "X-Delivery-Id")
    assert rows(app, InboundEvent) == [] and n_calls(app) == 3


def test_signature_with_another_sources_secret_is_refused(app, client, demo):
    resp = post(client, CREATE, secret="not-the-secret")
    assert resp.status_code == 401


def test_unknown_source_is_404(app, client, demo):
    resp = post(client, CREATE, source="nobody")
    assert resp.status_code == 404
    assert resp.json == {"error": "unknown webhook source 'nobody'", "field": "source"}


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (b"{not json", 400, "body"),
        (b"\xff\xfe", 400, "body"),
        (b"[1, 2]", 422, "body"),
        ({"type": "call.create", "client": "amarant"}, 422, "call.create.title"),
        ({**CREATE, "priority": 1}, 422, "call.create.priority"),
        ({**CREATE, "client": "nobody"}, 422, "client"),
        ({**CREATE, "application": "other"}, 422, "application"),
        ({"type": "call.update", "ref": "never-seen", "note": "x"}, 422, "ref"),
        ({"type": "call.update", "ref": "ALERT-0", "status": "closed"}, 422, "ref"),
        ({"type": "explode"}, 422, "type"),
    ],
)
def test_payload_that_makes_no_sense_is_kept_as_rejected(app, client, demo, body, status, field):
    resp = post(client, body)
    assert resp.status_code == status, resp.json
    assert resp.json["field"].startswith(field) or field in resp.json["field"]
    events = rows(app, InboundEvent)
    assert [e.status for e in events] == ["rejected"]
    assert events[0].error
    assert n_calls(app) == 3  # nothing half-written


def test_refused_transition_from_a_webhook_is_a_409_and_kept(app, client, demo):
    post(client, CREATE, delivery="d-1")
    resp = post(
        client, {"type": "call.update", "ref": "ALERT-1", "status": "closed"}, delivery="d-2"
    )
    assert resp.status_code == 409
    assert resp.json["field"] == "to"
    assert [e.status for e in rows(app, InboundEvent)] == ["processed", "rejected"]


@pytest.fixture
def config_extra() -> dict:
    return {"MAX_CONTENT_LENGTH": 4096}


def test_oversized_body_is_413(app, client, demo):
    resp = post(client, {**CREATE, "description": "x" * 5000})
    assert resp.status_code == 413
    assert "larger than 4096 bytes" in resp.json["error"]
    assert rows(app, InboundEvent) == []


def test_a_plugin_owned_source_verifies_with_its_own_scheme(app, client, demo):
    """hub_get_webhook_handler: the extras test plugin owns source 'acme'."""
    from hub.pluginmanager import get_pm
    from tests.support import extras

    with app.app_context():
        get_pm().register(extras, name="extras")
    body = json.dumps({"customer": "amarant", "subject": "From acme", "id": "A-9"}).encode()
    token = hashlib.sha1(body).hexdigest()
    bad = client.post("/webhooks/acme", data=body, headers={"X-Acme-Token": "nope"})
    assert bad.status_code == 403 and bad.json["field"] == "X-Acme-Token"
    ok = client.post("/webhooks/acme", data=body, headers={"X-Acme-Token": token, "X-Acme-Id": "1"})
    assert ok.status_code == 202
    with app.app_context():
        assert db.session.get(Call, ok.json["call"]).links[0].key == "A-9"


def test_a_hub_failure_keeps_the_event_for_the_worker(app, client, demo, monkeypatch):
    from hub import inbound
    from hub.pluginmanager import get_pm
    from tests.support import extras

    with app.app_context():
        get_pm().register(extras, name="extras")
    body = json.dumps({"customer": "amarant", "subject": "Later", "id": "A-10"}).encode()
    headers = {"X-Acme-Token": hashlib.sha1(body).hexdigest(), "X-Acme-Id": "2"}
    monkeypatch.setenv("HUB_TEST_ACME_BROKEN", "1")
    resp = client.post("/webhooks/acme", data=body, headers=headers)
    assert resp.status_code == 202 and resp.json["status"] == "stored"
    [event] = rows(app, InboundEvent)
    assert (event.status, event.attempts) == ("received", 1)
    assert "lookup service down" in event.error
    with app.app_context():
        assert inbound.retry_pending(older_than_seconds=0) == 0  # still broken: kept
        event = db.session.scalars(select(InboundEvent)).one()
        assert (event.status, event.attempts) == ("received", 2)
        assert "lookup service down" in event.error
    monkeypatch.delenv("HUB_TEST_ACME_BROKEN")
    with app.app_context():
        assert inbound.retry_pending(older_than_seconds=0) == 1
        event = db.session.scalars(select(InboundEvent)).one()
        assert event.status == "processed"
        assert db.session.get(Call, event.call_id).title == "Later"
    again = client.post("/webhooks/acme", data=body, headers=headers)
    assert again.status_code == 200 and again.json["status"] == "duplicate"
