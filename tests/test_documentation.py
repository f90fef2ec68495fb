"""What asks for documentation, and what is kept of it: directory changes, calls marked
worth documenting, the monthly reports; the admin page and ``slahub wiki sync``.

A test plugin (tests/support/extras.py) documents clients; the real wiki plugin has its
own tests (tests/plugins/mediawiki/)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from hub import calls, directory, documentation, pluginstate
from hub.db import db
from hub.errors import Invalid
from hub.models import Application, CallEvent, Client, Contract, DocPage, OutboxDelivery
from hub.worker import drain_once
from tests.test_admin_login import csrf_from, log_in, user


@pytest.fixture
def config_extra() -> dict:
    return {"PLUGIN_MODULES": ["tests.support.extras"]}


def queued() -> list[tuple[str, str, str]]:
    rows = db.session.scalars(
        select(OutboxDelivery)
        .where(OutboxDelivery.hook == documentation.HOOK, OutboxDelivery.state == "pending")
        .order_by(OutboxDelivery.id)
    ).all()
    return [(r.payload["subject"]["kind"], r.payload["subject"]["key"],
             r.payload["subject"]["reason"]) for r in rows]  # fmt: skip


@pytest.fixture
def quiet(ctx):  # noqa: ANN201
    """The demo's own requests delivered: each test sees only what it asks for."""
    while drain_once(ctx, "doc-test"):
        pass
    return ctx


def test_directory_changes_ask_for_the_pages_they_touch(quiet):
    contract = db.session.scalar(select(Contract).where(Contract.reference == "amarant-sla-2026"))
    directory.update_contract(contract, hours_card=60)
    client = db.session.scalar(select(Client).where(Client.key == "amarant"))
    directory.add_contact(client, name="Piet", role="helpdesk")
    directory.rename_client(client, "Amarant BV")
    directory.rename_client(client, "Amarant BV")  # no change: nothing asked
    db.session.commit()
    assert queued() == [
        ("client", "amarant", "contract amarant-sla-2026 changed"),
        ("client", "amarant", "contacts changed"),
        ("client", "amarant", "client renamed"),
    ]


def test_an_application_change_asks_for_its_page_its_client_and_its_faq(quiet):
    app = directory.get(Application, "key", "amarant-intranet")
    directory.update_application(app, url="https://intranet.amarant.example/new")
    db.session.commit()
    reason = "application amarant-intranet changed"
    assert queued() == [
        ("application", "amarant-intranet", reason),
        ("client", "amarant", reason),
        ("faq", "joomla", reason),
    ]


def test_a_call_marked_worth_documenting_gets_its_article_once_resolved(quiet):
    call = calls.create(actor="t", source="t", client="amarant", title="Login loops")
    db.session.commit()
    with pytest.raises(Invalid, match="cause"):
        documentation.mark_documented(call, actor="user:anja", cause=" ", resolution="x")
    documentation.mark_documented(
        call, actor="user:anja", cause="a stale session cookie", resolution="cookie path fixed"
    )
    db.session.commit()
    assert queued() == []  # not resolved yet
    event = db.session.scalar(select(CallEvent).where(CallEvent.kind == "documented"))
    assert event.data == {"cause": "a stale session cookie", "resolution": "cookie path fixed"}
    for step in ("acknowledged", "resolved"):
        calls.transition(call, step, actor="t")
    db.session.commit()
    assert queued() == [("call", str(call.id), f"knowledge article of call {call.id} (resolved)")]


def test_the_monthly_job_queues_last_months_reports_once(quiet):
    december = datetime(2026, 12, 1, 9, tzinfo=UTC)
    assert documentation.monthly(december) == 1  # the demo's one client with a contract
    assert documentation.monthly(december) == 0  # the month is done
    assert queued() == [("report", "amarant/2026-11", "monthly report 2026-11")]
    assert pluginstate.get("hub", documentation.MONTH_KEY) == "2026-11"
    assert documentation.monthly(datetime(2027, 1, 1, 9, tzinfo=UTC)) == 1
    assert queued()[-1] == ("report", "amarant/2026-12", "monthly report 2026-12")


def test_the_api_marks_a_call_and_refuses_empty_words(quiet, client, demo):
    from tests.conftest import bearer

    call = calls.create(actor="t", source="t", client="amarant", title="Slow search")
    db.session.commit()
    url, headers = f"/api/v1/calls/{call.id}/documented", bearer(demo["tokens"]["admin"])
    resp = client.post(url, json={"cause": "", "resolution": "x"}, headers=headers)
    assert resp.status_code == 422 and resp.json["field"] == "cause"
    body = {"cause": "no index", "resolution": "added one"}
    assert client.post(url, json=body, headers=headers).status_code == 200
    assert db.session.scalar(select(CallEvent.data).where(CallEvent.kind == "documented")) == body


def test_the_admin_page_lists_each_clients_pages_with_their_last_sync(quiet, client, demo):
    documentation.request("client", "amarant", "contract changed")
    db.session.commit()
    while drain_once(quiet, "doc-test"):
        pass
    log_in(client, *user(demo, "client_viewer"))
    page = client.get("/documentation").get_data(as_text=True)
    assert "Amarant" in page and "Client:amarant" in page and "contract changed" in page
    assert "https://wiki.example/Client:amarant" in page
    [row] = db.session.scalars(select(DocPage)).all()
    assert f'<time datetime="{row.synced_at.isoformat()}">' in page  # shown on the local clock


def test_the_admin_sync_queues_a_clients_subjects(quiet, client, demo):
    log_in(client, *user(demo, "sla_manager"))
    token = csrf_from(client.get("/documentation").get_data(as_text=True))
    resp = client.post("/documentation/sync", data={"csrf_token": token, "client": "amarant"})
    assert resp.status_code == 303
    kinds = {kind for kind, _, _ in queued()}
    assert {"client", "application"} <= kinds
    assert all(reason == "regenerated on request (admin page)" for _, _, reason in queued())
