"""E-mail of escalations and SLA alerts through a real SMTP server (aiosmtpd on loopback),
delivered by the worker from the outbox: retried while the server is down, one message
per delivery."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from aiosmtpd.controller import Controller
from sqlalchemy import select

from hub import calls
from hub.db import db
from hub.models import OutboxDelivery, Person
from hub.worker import drain_once
from tests.sla.test_clocks import local


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001,N802
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PORT = free_port()


@pytest.fixture
def config_extra() -> dict:
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": PORT, "SMTP_TIMEOUT": 2.0,
            "SMTP_FROM": "hub@example.org", "OUTBOX_BACKOFF_BASE": 1.0}  # fmt: skip


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=PORT)
    controller.start()
    yield handler
    controller.stop()


def escalate_to_ronald(app) -> int:  # noqa: ANN001
    with app.app_context(), time_machine.travel(local(2026, 12, 1, 10, 0), tick=False):
        ronald = db.session.scalar(select(Person).where(Person.key == "ronald"))
        ronald.email = "ronald@example.org"
        call = calls.create(actor="t", source="t", client="amarant", title="Broken form",
                            application="amarant-intranet")  # fmt: skip
        calls.escalate(call, actor="user:anja", kind="functional", to_line="3-application",
                       to_person="ronald", reason="needs a code change")  # fmt: skip
        db.session.commit()
        return call.id


def mail_deliveries(app, call_id: int) -> list[OutboxDelivery]:  # noqa: ANN001
    with app.app_context():
        rows = db.session.scalars(
            select(OutboxDelivery).where(
                OutboxDelivery.call_id == call_id, OutboxDelivery.plugin == "mailer"
            )
        ).all()
        db.session.expunge_all()
        return rows


def test_an_escalation_is_mailed_to_the_person_escalated_to(app, demo, inbox):
    call_id = escalate_to_ronald(app)
    with app.app_context(), time_machine.travel(local(2026, 12, 1, 10, 0, 5), tick=False):
        while drain_once(app, "w1"):
            pass
    [(sender, to, content)] = inbox.messages
    assert (sender, to) == ("hub@example.org", ["ronald@example.org"])
    text = content.decode()
    assert f"Escalated to you: call {call_id} Broken form" in text
    assert "needs a code change" in text
    [delivery] = mail_deliveries(app, call_id)
    assert delivery.state == "done"
    assert f"Message-ID: <outbox-{delivery.id}@slahub>" in text


def test_a_mail_server_that_is_down_is_retried_and_nothing_is_lost(app, demo):
    call_id = escalate_to_ronald(app)
    with app.app_context(), time_machine.travel(local(2026, 12, 1, 10, 0, 5), tick=False):
        drain_once(app, "w1")
    [delivery] = mail_deliveries(app, call_id)
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    assert "Connection refused" in delivery.last_error or "ConnectionRefused" in delivery.last_error
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=PORT)
    controller.start()
    try:
        later = local(2026, 12, 1, 10, 0, 5) + timedelta(minutes=5)
        with app.app_context(), time_machine.travel(later, tick=False):
            while drain_once(app, "w1"):
                pass
    finally:
        controller.stop()
    assert len(handler.messages) == 1
    [delivery] = mail_deliveries(app, call_id)
    assert delivery.state == "done"


def test_without_an_smtp_host_no_mail_is_sent_and_health_says_so(ctx):
    from hub.builtin import mailer

    ctx.config["SMTP_HOST"] = ""
    assert "e-mail is off" in mailer.hub_report_health().detail
