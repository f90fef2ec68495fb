"""Inbound webhooks: signatures, raw storage before the answer, dedupe, and the worker's
``inbound`` job that applies stored events."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hub import inbound, sqlitelock
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


def events(app) -> list[InboundEvent]:  # noqa: ANN001
    with app.app_context():
        rows = db.session.scalars(select(InboundEvent).order_by(InboundEvent.id)).all()
        db.session.expunge_all()
        return rows


def n_calls(app) -> int:  # noqa: ANN001
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Call))


def drain(app) -> int:  # noqa: ANN001
    with app.app_context():
        return inbound.drain()


def test_a_signed_delivery_is_stored_then_applied_by_the_worker(app, client, demo):
    resp = post(client, CREATE)
    assert resp.status_code == 202, resp.json
    assert resp.json["status"] == "accepted"
    [event] = events(app)
    assert (event.id, event.status, event.source) == (resp.json["event"], "received", "monitoring")
    assert json.loads(event.body) == CREATE
    assert event.headers["x-delivery-id"] == "d-1"
    assert n_calls(app) == 3  # not applied yet: that is the worker's job
    assert drain(app) == 1
    [event] = events(app)
    assert (event.status, event.attempts, event.error) == ("processed", 1, None)
    with app.app_context():
        call = db.session.get(Call, event.call_id)
        assert (call.title, call.priority, call.source, call.client.key) == (
            "Site down",
            "P1",
            "monitoring",
            "amarant",
        )
        assert [(link.system, link.key) for link in call.links] == [("monitoring", "ALERT-1")]
        assert call.events[0].actor == "webhook:monitoring"


def test_a_call_applied_later_counts_as_opened_when_its_webhook_arrived(app, client, demo):
    assert post(client, CREATE).status_code == 202
    time.sleep(0.05)  # the worker applies it a little later (in a burst, much later)
    assert drain(app) == 1
    [event] = events(app)
    with app.app_context():
        call = db.session.get(Call, event.call_id)
        assert call.created_at == event.received_at
        assert call.events[0].at - call.created_at >= timedelta(seconds=0.05)


def test_credentials_in_headers_are_not_stored(app, client, demo):
    post(client, CREATE, headers={"Authorization": "Bearer abc", "Cookie": "s=1"})
    [event] = events(app)
    assert "authorization" not in event.headers and "cookie" not in event.headers


def test_repeated_delivery_id_is_answered_and_not_processed_again(app, client, demo):
    first = post(client, CREATE)
    again = post(client, CREATE)
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json == {"status": "duplicate", "event": first.json["event"]}
    drain(app)
    third = post(client, CREATE)
    assert third.status_code == 200
    assert drain(app) == 0
    assert n_calls(app) == 4  # the demo's three and this one
    assert len(events(app)) == 1


def test_same_ref_under_a_new_delivery_id_does_not_duplicate_the_call(app, client, demo):
    post(client, CREATE, delivery="d-1")
    post(client, CREATE, delivery="d-2")
    assert drain(app) == 2
    first, second = events(app)
    assert first.call_id == second.call_id
    assert n_calls(app) == 4


def test_events_are_applied_in_arrival_order(app, client, demo):
    post(client, CREATE, delivery="d-1")
    update = {"type": "call.update", "ref": "ALERT-1", "status": "acknowledged", "note": "seen"}
    post(client, update, delivery="d-2")
    assert drain(app) == 2
    assert [e.status for e in events(app)] == ["processed", "processed"]
    with app.app_context():
        call = db.session.get(Call, events(app)[1].call_id)
        assert call.status == "acknowledged"
        assert call.events[-1].note == "seen" and call.events[-1].actor == "webhook:monitoring"


@pytest.mark.parametrize(
    ("headers", "status", "message"),
    [
        ({"X-Hub-Signature-256": None}, 401, "missing X-Hub-Signature-256"),
        ({"X-Hub-Signature-256": "sha256=" + "0" * 64}, 401, "does not match"),
        ({"X-Hub-Signature-256": "garbage"}, 401, "does not match"),
        ({"X-Delivery-Id": None}, 400, "X-Delivery-Id"),
        ({"X-Delivery-Id": "x" * 201}, 400, "X-Delivery-Id"),
    ],
)
def test_bad_or_missing_signature_is_refused_and_stores_nothing(
    app, client, demo, headers, status, message
):
    resp = post(client, CREATE, headers=headers)
    assert resp.status_code == status
    assert message in resp.json["error"]
    assert resp.json["field"] in ("X-Hub-Signature-256", "X-Delivery-Id")
    assert events(app) == [] and n_calls(app) == 3


def test_signature_with_another_secret_is_refused(app, client, demo):
    assert post(client, CREATE, secret="not-the-secret").status_code == 401
    assert events(app) == []


def test_unknown_source_is_404(app, client, demo):
    resp = post(client, CREATE, source="nobody")
    assert resp.status_code == 404
    assert resp.json == {"error": "unknown webhook source 'nobody'", "field": "source"}


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (b"", 400, "body"),
        (b"{not json", 400, "body"),
        (b"\xff\xfe", 400, "body"),
        (b"[1, 2]", 422, "body"),
        (b"null", 422, "body"),
        ({"type": "call.create", "client": "amarant"}, 422, "call.create.title"),
        ({**CREATE, "priority": 1}, 422, "call.create.priority"),
        ({**CREATE, "priority": "P9"}, 422, "call.create.priority"),
        ({**CREATE, "surprise": True}, 422, "call.create.surprise"),
        ({"type": "explode"}, 422, "type"),
        ({"type": "call.update", "ref": "ALERT-1", "status": "done"}, 422, "call.update.status"),
        ({**CREATE, "reporter": "r" * 201}, 422, "call.create.reporter"),
        ({**CREATE, "title": "nul\x00byte"}, 422, "call.create.title"),
        ({**CREATE, "client": "\x00"}, 422, "call.create.client"),
        ({**CREATE, "ref": "x" * 201}, 422, "call.create.ref"),
    ],
)
def test_payload_that_makes_no_sense_is_refused_at_once(app, client, demo, body, status, field):
    resp = post(client, body)
    assert resp.status_code == status, resp.json
    assert resp.json["field"] == field
    assert resp.json["error"]
    assert events(app) == [] and n_calls(app) == 3  # nothing half-written


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({**CREATE, "ref": "X-2", "client": "nobody"}, "unknown client 'nobody'"),
        ({**CREATE, "ref": "X-2", "application": "other"}, "unknown application 'other'"),
        ({"type": "call.update", "ref": "never-seen", "note": "x"}, "no call is linked"),
    ],
)
def test_what_the_hub_cannot_apply_is_kept_as_rejected(app, client, demo, body, reason):
    post(client, CREATE, delivery="d-0")
    resp = post(client, body)
    assert resp.status_code == 202
    drain(app)
    first, second = events(app)
    assert first.status == "processed"
    assert second.status == "rejected" and reason in second.error
    assert n_calls(app) == 4  # the rejected event wrote nothing


@pytest.fixture
def config_extra() -> dict:
    return {
        "MAX_CONTENT_LENGTH": 4096,
        "PLUGIN_MODULES": ["tests.support.recorder", "tests.support.extras"],
        "OUTBOX_MAX_ATTEMPTS": 3,
        "OUTBOX_BACKOFF_BASE": 0.0,
        "OUTBOX_BACKOFF_CAP": 0.0,
    }


def test_oversized_body_is_413(app, client, demo):
    resp = post(client, {**CREATE, "description": "x" * 5000})
    assert resp.status_code == 413
    assert "larger than 4096 bytes" in resp.json["error"]
    assert events(app) == []


def acme(client, body: dict, delivery: str):  # noqa: ANN201
    raw = json.dumps(body).encode()
    token = hashlib.sha1(raw).hexdigest()
    return client.post(
        "/webhooks/acme", data=raw, headers={"X-Acme-Token": token, "X-Acme-Id": delivery}
    )


def test_a_plugin_owned_source_verifies_with_its_own_scheme(app, client, demo):
    body = json.dumps({"customer": "amarant", "subject": "From acme", "id": "A-9"}).encode()
    bad = client.post("/webhooks/acme", data=body, headers={"X-Acme-Token": "nope"})
    assert bad.status_code == 403 and bad.json["field"] == "X-Acme-Token"
    assert (
        acme(client, {"customer": "amarant", "subject": "From acme", "id": "A-9"}, "1").status_code
        == 202
    )
    drain(app)
    with app.app_context():
        assert db.session.get(Call, events(app)[0].call_id).links[0].key == "A-9"


def test_a_failure_of_the_hub_is_retried_then_kept_as_failed(app, client, demo, monkeypatch):
    monkeypatch.setenv("HUB_TEST_ACME_BROKEN", "1")  # the lookup behind interpret() is down
    body = {"customer": "amarant", "subject": "Later", "id": "A-10"}
    assert acme(client, body, "2").status_code == 202  # kept: nothing lost
    drain(app)
    [event] = events(app)
    assert (event.status, event.attempts) == ("received", 1)
    assert "lookup service down" in event.error
    monkeypatch.delenv("HUB_TEST_ACME_BROKEN")
    drain(app)
    [event] = events(app)
    assert (event.status, event.attempts, event.error) == ("processed", 2, None)
    assert n_calls(app) == 4
    # An event that keeps failing ends as failed after OUTBOX_MAX_ATTEMPTS (3 here).
    monkeypatch.setenv("HUB_TEST_ACME_BROKEN", "1")
    assert acme(client, {**body, "id": "A-11"}, "3").status_code == 202
    for _ in range(5):
        drain(app)
    last = events(app)[-1]
    assert (last.status, last.attempts) == ("failed", 3)
    assert n_calls(app) == 4


def test_the_worker_job_applies_events(app, client, demo):
    """The ``inbound`` job is what a running worker calls on every turn."""
    from hub import scheduler

    post(client, CREATE)
    with app.app_context():
        jobs = [j for j in scheduler.collect() if j.name == "inbound"]
        scheduler.ensure_rows(jobs)
        assert scheduler.run_due(jobs, "w", 60).ran == 1
    assert events(app)[0].status == "processed"


def test_an_unavailable_database_is_503_and_stores_nothing(app, client, demo, db_url, monkeypatch):
    """SQLite locked past the lock timeout; PostgreSQL not reachable."""
    if not db_url.startswith("sqlite"):
        _stopped_postgres_is_503(app, client, monkeypatch)
        return
    monkeypatch.setattr(sqlitelock, "LOCK_TIMEOUT", 0.2)
    holder = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        resp = post(client, CREATE)
    finally:
        holder.rollback()
        holder.close()
    assert resp.status_code == 503, resp.json
    assert resp.headers["Retry-After"] == "5"
    assert resp.json == {"error": "the database is unavailable; nothing was saved", "field": None}
    assert events(app) == []
    assert post(client, CREATE).status_code == 202, "the same delivery, sent again, is taken"


def _stopped_postgres_is_503(app, client, monkeypatch) -> None:  # noqa: ANN001
    """On PostgreSQL: a server that cannot be reached (a closed port)."""
    with app.app_context():
        engine = db.engine
    monkeypatch.setattr(engine.pool, "_creator", _refused)
    engine.dispose()
    resp = post(client, CREATE)
    assert resp.status_code == 503, resp.json
    assert resp.json["error"] == "the database is unavailable; nothing was saved"


def _refused():  # noqa: ANN202
    import psycopg

    return psycopg.connect("postgresql://postgres@127.0.0.1:1/none", connect_timeout=2)
