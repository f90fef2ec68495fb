"""Fixtures for the MantisBT bridge: a fake MantisBT on loopback and a hub that uses it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from hub import inbound, scheduler
from hub.db import db
from hub.models import Call, OutboxDelivery
from hub.worker import drain_once
from tests.support.fake_mantis import FakeMantis, serve

TOKEN = "hub-token"
PUSH_SECRET = "mantis-push-secret"
CONTRACT = "amarant-sla-2026"


@pytest.fixture
def fake() -> Iterator[FakeMantis]:
    yield from serve(FakeMantis())


@pytest.fixture
def mantis_settings(fake: FakeMantis) -> dict:
    """The plugin's settings; a test module may override this fixture."""
    return {
        "url": fake.url,
        "token": TOKEN,
        "timeout": 0.5,
        "webhook_secret": PUSH_SECRET,
        "hub_url": "https://hub.example.org",
        "contracts": json.dumps({
            CONTRACT: {"client": "amarant", "project": "Amarant intranet",
                       "create_issues": False, "hours_field": "Hours approval",
                       "feedback_field": "Client feedback"},
        }),
    }  # fmt: skip


@pytest.fixture
def config_extra(mantis_settings: dict) -> dict:
    return {"ENABLED_PLUGINS": ["mantis"], "PLUGINS": {"mantis": mantis_settings}}


def job(name: str = "mantis_poll"):  # noqa: ANN201
    return next(j for j in scheduler.collect() if j.name == name)


def poll(app: Flask) -> int:
    """One run of the real ``mantis_poll`` job, then the core's ``inbound`` job."""
    with app.app_context():
        stored = job().run()
        inbound.drain()
        db.session.remove()
        return stored


def deliver(app: Flask, rounds: int = 50) -> None:
    """Let the worker deliver the outbox until nothing is due (retries included)."""
    import time

    for _ in range(rounds):
        with app.app_context():
            tried = drain_once(app, "test-worker")
            pending = db.session.scalar(
                select(db.func.count())
                .select_from(OutboxDelivery)
                .where(OutboxDelivery.state == "pending")
            )
            db.session.remove()
        if not pending:
            return
        if not tried:
            time.sleep(0.02)  # a retry waits for its backoff


def deliveries(app: Flask, plugin: str = "mantis", hook: str | None = None) -> list:
    with app.app_context():
        query = select(OutboxDelivery).where(OutboxDelivery.plugin == plugin)
        if hook:
            query = query.where(OutboxDelivery.hook == hook)
        rows = db.session.scalars(query.order_by(OutboxDelivery.id)).all()
        db.session.expunge_all()
        return rows


def call_for(app: Flask, issue_id: int) -> dict | None:
    """The call linked to a Mantis issue, as plain data (status, notes, links ...)."""
    from hub import calls
    from hub.hooktypes import ExternalRef

    with app.app_context():
        call = calls.find_by_ref(ExternalRef("mantis", str(issue_id)))
        if call is None:
            return None
        return {
            "id": call.id,
            "client": call.client.key,
            "title": call.title,
            "status": call.status,
            "priority": call.priority,
            "created_at": call.created_at,
            "links": {(link.system, link.key): link.url for link in call.links},
            "events": [(e.kind, e.actor, e.data, e.note) for e in call.events],
        }


def n_calls(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(db.func.count()).select_from(Call))


def health(app: Flask):  # noqa: ANN201
    from hub.pluginmanager import call_one, get_pm

    with app.app_context():
        return call_one(get_pm(), "hub_report_health", "mantis")
