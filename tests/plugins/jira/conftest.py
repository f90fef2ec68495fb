"""The Jira plugin's fixtures: a fake Jira per test, the hub configured to use it, and
helpers that post signed webhooks and run the worker's real code."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from hub import inbound
from hub.db import db
from hub.models import Call, InboundEvent, OutboxDelivery
from hub.worker import drain_once
from tests.support import fake_jira

WEBHOOK_SECRET = "jira-webhook-secret"
URL_TOKEN = "jira-url-token"
HUB_URL = "https://hub.example.org"


@pytest.fixture
def fake() -> Iterator[fake_jira.FakeJira]:
    jira, server = fake_jira.start()
    yield jira
    server.shutdown()
    server.server_close()


def settings(fake: fake_jira.FakeJira, **extra: object) -> dict:
    return {
        "url": fake.url, "user": "hub@example.org", "token": "api-token", "timeout": 0.5,
        "webhook_secret": WEBHOOK_SECRET, "url_token": URL_TOKEN, "account": "slahub",
        "hub_url": HUB_URL, "clients": {"AMSD": "amarant"},
        "applications": {"amarant-intranet": "DEV"}, **extra,
    }  # fmt: skip


@pytest.fixture
def jira_settings(fake: fake_jira.FakeJira) -> dict:
    """Override in a test module to change the plugin's settings."""
    return settings(fake)


@pytest.fixture
def config_extra(jira_settings: dict) -> dict:
    return {"ENABLED_PLUGINS": ["jira"], "PLUGINS": {"jira": jira_settings}}


def post(
    client,
    payload: dict | bytes,
    *,
    delivery: str | None = "wh-1",
    secret: str | None = WEBHOOK_SECRET,
    query: str = "",
    headers: dict | None = None,
):  # noqa: ANN001,ANN201
    """POST a Jira webhook to the hub, signed as Jira signs it (unless ``secret`` is None)."""
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    hdrs = {"Content-Type": "application/json"}
    if delivery:
        hdrs["X-Atlassian-Webhook-Identifier"] = delivery
    if secret:
        hdrs["X-Hub-Signature"] = fake_jira.sign(secret, raw)
    hdrs.update(headers or {})
    return client.post(f"/webhooks/jira{query}", data=raw, headers=hdrs)  # fmt: skip


def apply_inbound(app: Flask) -> list[InboundEvent]:
    """Run the worker's ``inbound`` job; returns every stored event."""
    with app.app_context():
        inbound.drain()
        rows = db.session.scalars(select(InboundEvent).order_by(InboundEvent.id)).all()
        db.session.expunge_all()
        return rows


def deliver_outbox(app: Flask, rounds: int = 5) -> None:
    """Let the worker deliver what is due (a few rounds: deliveries may cause more)."""
    with app.app_context():
        for _ in range(rounds):
            if not drain_once(app, "test-worker"):
                break
        db.session.remove()


def wait_for_backoff() -> None:
    time.sleep(0.15)  # OUTBOX_BACKOFF_CAP is 0.05 s in the tests


def jira_deliveries(
    app: Flask, hook: str | None = None, call_id: int | None = None
) -> list[OutboxDelivery]:
    with app.app_context():
        query = select(OutboxDelivery).where(OutboxDelivery.plugin == "jira")
        if hook:
            query = query.where(OutboxDelivery.hook == hook)
        if call_id:
            query = query.where(OutboxDelivery.call_id == call_id)
        rows = db.session.scalars(query.order_by(OutboxDelivery.id)).all()
        db.session.expunge_all()
        return rows


def call_by_ref(app: Flask, system: str, key: str) -> dict | None:
    """The call linked to ``system``/``key`` as plain data: status, line, notes, links."""
    from hub import calls
    from hub.hooktypes import ExternalRef

    with app.app_context():
        call = calls.find_by_ref(ExternalRef(system, key))
        if call is None:
            return None
        data = {
            "id": call.id, "status": call.status, "line": call.line, "title": call.title,
            "priority": call.priority, "client": call.client.key,
            "links": {(link.system, link.key): link.url for link in call.links},
            "notes": [(e.actor, e.note) for e in sorted(call.events, key=lambda e: e.id) if e.note],
        }  # fmt: skip
        db.session.remove()
        return data


def n_calls(app: Flask) -> int:
    with app.app_context():
        return len(db.session.scalars(select(Call.id)).all())


@pytest.fixture
def settled(app: Flask, demo: dict, fake: fake_jira.FakeJira) -> fake_jira.FakeJira:
    """The demo loaded and its own outbox delivered, with no Jira project for its
    application meanwhile (its escalated call would make an issue): each test starts
    from a quiet hub and an empty Jira."""
    plugin = app.config["PLUGINS"]["jira"]
    applications, plugin["applications"] = plugin["applications"], {}
    deliver_outbox(app)
    plugin["applications"] = applications
    assert fake.log == []
    return fake
