"""Pushes from a MantisBT plugin at ``/webhooks/mantis``: signatures, dedupe, the hub's
own notes and issues, and payloads that make no sense."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from hub.builtin.generic_webhooks import signature
from hub.db import db
from hub.models import InboundEvent
from hub.pluginmanager import call_one, get_pm
from tests.plugins.mantis.conftest import PUSH_SECRET, call_for, n_calls, poll


def push(client, fake, event: str, issue_id: int, *, delivery: str = "d-1",  # noqa: ANN001,ANN201
         secret: str | None = PUSH_SECRET, body: bytes | None = None, **extra):  # fmt: skip
    raw = (
        body
        or json.dumps(
            {"event": event, "issue": fake.render(fake.issues[issue_id]), **extra}
        ).encode()
    )
    headers = {"Content-Type": "application/json", "X-Delivery-Id": delivery}
    if secret is not None:
        headers["X-Hub-Signature-256"] = signature(secret, raw)
    return client.post("/webhooks/mantis", data=raw, headers=headers)


def stored(app) -> int:  # noqa: ANN001
    with app.app_context():
        return len(db.session.scalars(select(InboundEvent)).all())


def test_hook_hub_get_webhook_handler(app):
    with app.app_context():
        assert get_pm().hook.hub_get_webhook_handler(source="mantis").source == "mantis"
        assert call_one(get_pm(), "hub_get_webhook_handler", "mantis", source="jira") is None


def test_hook_hub_register_settings(app):
    with app.app_context():
        names = [s.name for s in call_one(get_pm(), "hub_register_settings", "mantis")]
        secret = {s.name for s in call_one(get_pm(), "hub_register_settings", "mantis") if s.secret}
    assert names == ["url", "token", "timeout", "poll_seconds", "page_size", "webhook_secret",
                     "hub_url", "contracts"]  # fmt: skip
    assert secret == {"token", "webhook_secret"}


def test_a_signed_push_is_stored_then_applied(app, client, demo, fake):
    fake.add_issue(summary="Pushed issue", description="x", priority="low")
    before = n_calls(app)
    resp = push(client, fake, "EVENT_REPORT_BUG", 1)
    assert resp.status_code == 202, resp.json
    poll_free = call_for(app, 1)
    assert poll_free is None  # the worker applies it
    with app.app_context():
        from hub import inbound

        assert inbound.drain() == 1
    call = call_for(app, 1)
    assert (call["title"], call["priority"], call["status"]) == ("Pushed issue", "P4", "new")
    assert n_calls(app) == before + 1


def test_a_redelivered_push_and_a_poll_of_the_same_issue_make_one_call(app, client, demo, fake):
    fake.add_issue(summary="Twice", description="x")
    assert push(client, fake, "EVENT_REPORT_BUG", 1).status_code == 202
    assert push(client, fake, "EVENT_REPORT_BUG", 1).status_code == 200  # duplicate
    assert push(client, fake, "EVENT_REPORT_BUG", 1, delivery="d-2").status_code == 202
    before = n_calls(app)
    poll(app)  # applies the pushes; the poll's own event is the same issue again
    assert n_calls(app) == before + 1 and stored(app) == 3


def test_an_update_push_moves_from_the_previous_status(app, client, demo, fake):
    fake.add_issue(summary="Login fails", description="x")
    push(client, fake, "EVENT_REPORT_BUG", 1)
    fake.user_change(1, status="assigned")
    push(client, fake, "EVENT_UPDATE_BUG", 1, delivery="d-2", previous_status="new")
    fake.user_change(1, status="feedback")
    push(client, fake, "EVENT_UPDATE_BUG", 1, delivery="d-3", previous_status="assigned")
    note_id = fake.user_note(1, "Which browser?")
    fake.user_note(1, "Posted by the hub\n\n— SLA Hub call 9 [outbox-4] by user:anja")
    push(client, fake, "EVENT_BUGNOTE_ADD", 1, delivery="d-4")
    poll(app)
    call = call_for(app, 1)
    assert call["status"] == "waiting_for_client"
    notes = [e[3] for e in call["events"] if e[0] == "note"]
    assert notes == ["Which browser?"]  # the hub's own note is skipped
    assert ("mantis-note", str(note_id)) in call["links"]


@pytest.mark.parametrize(
    ("secret", "why"),
    [(None, "missing X-Hub-Signature-256"), ("wrong", "does not match the body")],
)
def test_a_bad_or_missing_signature_is_refused_and_nothing_stored(app, client, demo, fake,
                                                                  secret, why):  # fmt: skip
    fake.add_issue(summary="Forged", description="x")
    resp = push(client, fake, "EVENT_REPORT_BUG", 1, secret=secret)
    assert resp.status_code == 401 and why in resp.json["error"]
    assert stored(app) == 0


def test_pushes_are_refused_without_a_secret(app, client, demo, fake, monkeypatch):
    monkeypatch.setenv("HUB_MANTIS_WEBHOOK_SECRET", "")
    fake.add_issue(summary="No secret", description="x")
    resp = push(client, fake, "EVENT_REPORT_BUG", 1, secret="")
    assert resp.status_code == 401 and "webhook_secret" in resp.json["error"]
    assert stored(app) == 0


def test_payloads_that_make_no_sense_are_refused(app, client, demo, fake):
    fake.add_issue(project_id=2, summary="Unmapped", description="x")
    resp = push(client, fake, "EVENT_REPORT_BUG", 1)
    assert resp.status_code == 422 and "'Other' is not mapped" in resp.json["error"]
    resp = push(client, fake, "EVENT_REPORT_BUG", 1, delivery="d-2", body=b"{not json")
    assert resp.status_code == 400
    resp = push(client, fake, "x", 1, delivery="d-3", body=b'{"event": "x", "issue": {"id": "1"}}')
    assert resp.status_code == 422
    assert stored(app) == 0
