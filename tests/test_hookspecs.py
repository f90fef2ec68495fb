"""Every hook: documented, and exercised by a ``test_hook_<name>`` test (meta-tests below)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from hub import calls, documentation, hookspecs, plugininfo, scheduler
from hub.db import db
from hub.hooktypes import DocSubject, Page
from hub.pluginmanager import get_pm
from hub.worker import drain_once
from tests.support.recorder import records

SPECS = sorted(name for name in dir(hookspecs) if name.startswith("hub_"))


@pytest.fixture
def config_extra() -> dict:
    return {"PLUGIN_MODULES": ["tests.support.recorder", "tests.support.extras"]}


def drain(app) -> None:  # noqa: ANN001
    while drain_once(app, "hook-test"):
        pass


def test_every_hook_spec_has_a_docstring_naming_its_arguments():
    for name in SPECS:
        spec = getattr(hookspecs, name)
        doc = inspect.getdoc(spec)
        assert doc and len(doc) > 40, f"{name} has no real docstring"
        for arg in inspect.signature(spec).parameters:
            assert f":param {arg}:" in doc, f"{name} does not document {arg}"
        assert ":return:" in doc, f"{name} does not say what to return"


def test_every_hook_spec_has_a_test():
    source = "\n".join(p.read_text() for p in Path(__file__).parent.rglob("test_*.py"))
    tested = set(re.findall(r"def test_hook_(hub_\w+)\(", source))
    assert set(SPECS) - tested == set(), "hooks without a test_hook_<name> test"


def test_hooks_are_named_for_moments_and_requests():
    for name in SPECS:
        moments = r"call_\w+|documentation_requested|hours_low"
        assert re.match(rf"hub_({moments}|register_\w+|report_\w+|get_\w+)$", name)


def new_call():  # noqa: ANN201
    call = calls.create(actor="t", source="t", client="amarant", title="Cache full")
    db.session.commit()
    return call


def mine(record_file, call, hook) -> list[dict]:  # noqa: ANN001
    return [r for r in records(record_file) if r["call"] == call.id and r["hook"] == hook]


def test_hook_hub_call_created(ctx, record_file):
    call = new_call()
    drain(ctx)
    [rec] = mine(record_file, call, "hub_call_created")
    assert rec["title"] == "Cache full"


def test_hook_hub_call_changed(ctx, record_file):
    call = new_call()
    calls.transition(call, "acknowledged", actor="t", note="on it")
    calls.update(call, actor="t", priority="P2")
    calls.add_note(call, actor="t", note="asked for a screenshot")
    db.session.commit()
    drain(ctx)
    got = [(r["fields"], r["note"]) for r in mine(record_file, call, "hub_call_changed")]
    assert got == [(["status"], "on it"), (["priority"], None), ([], "asked for a screenshot")]


def test_hook_hub_call_escalated(ctx, record_file):
    call = new_call()
    calls.escalate(call, actor="t", kind="functional", to_line="3-application", reason="code")
    db.session.commit()
    drain(ctx)
    [rec] = mine(record_file, call, "hub_call_escalated")
    assert (rec["kind"], rec["to_line"]) == ("functional", "3-application")


def test_hook_hub_call_resolved(ctx, record_file):
    call = new_call()
    for step in ("acknowledged", "resolved", "reopened", "resolved"):
        calls.transition(call, step, actor="t")
    db.session.commit()
    drain(ctx)
    assert [r["status"] for r in mine(record_file, call, "hub_call_resolved")] == ["resolved"] * 2


def test_hook_hub_documentation_requested(ctx):
    from sqlalchemy import select

    from hub.models import DocPage, OutboxDelivery

    page = Page(
        "Client:amarant",
        "Service page of Amarant",
        "contract changed",
        url="https://wiki.example/Client:amarant",
        result="created",
    )
    subject = DocSubject(kind="client", key="amarant", reason="contract changed")
    assert documentation.collect(subject) == {"tests.support.extras": [page]}
    db.session.execute(OutboxDelivery.__table__.delete())  # the demo's own requests
    assert documentation.request("client", "amarant", "contract changed") == 1
    db.session.commit()
    drain(ctx)
    row = db.session.scalars(
        select(OutboxDelivery).where(OutboxDelivery.hook == "hub_documentation_requested")
    ).one()
    assert (row.state, row.plugin) == ("done", "tests.support.extras")
    assert row.payload == {"subject": {"kind": "client", "key": "amarant",
                                       "reason": "contract changed"}}  # fmt: skip
    [kept] = db.session.scalars(select(DocPage)).all()  # what the plugin said it wrote
    assert (kept.plugin, kept.title, kept.client_key, kept.result, kept.url) == (
        "tests.support.extras", "Client:amarant", "amarant", "created", page.url,
    )  # fmt: skip
    assert kept.changed_at is not None


def test_hook_hub_report_site_checks(ctx):
    from hub.hooktypes import Site

    sites = [Site("amarant-intranet", "https://intranet.amarant.example", "joomla")]
    [[report]] = get_pm().hook.hub_report_site_checks(sites=sites)
    assert (report.key, report.results[0].verdict) == ("amarant-intranet", "pass")


def test_hook_hub_register_routes(client):
    assert client.get("/extras/hello").json == {"hello": "from a plugin"}


def test_hook_hub_register_settings(app, monkeypatch):
    monkeypatch.setenv("HUB_TESTS_SUPPORT_EXTRAS_TOKEN", "very-secret")
    with app.app_context():
        rows = plugininfo.settings(get_pm())["tests.support.extras"]
    assert rows[0] == {
        "name": "url",
        "value": "https://tracker.example",
        "secret": False,
        "description": "where the tracker is",
    }
    assert rows[1]["value"] == plugininfo.MASK


def test_hook_hub_report_health(app, monkeypatch):
    with app.app_context():
        status = {s.name: s for s in plugininfo.health(get_pm())}
    assert (status["tests.support.extras"].ok, status["tests.support.extras"].version) == (
        False,
        "1.2.3",
    )
    assert "503" in status["tests.support.extras"].detail
    assert status["tests.support.recorder"].ok
    monkeypatch.setenv("HUB_TEST_EXTRAS_BROKEN", "1")
    with app.app_context():
        status = {s.name: s for s in plugininfo.health(get_pm())}
    assert not status["tests.support.extras"].ok
    assert "cannot read own state" in status["tests.support.extras"].detail
    assert status["tests.support.recorder"].ok  # one broken plugin does not hide the others


def test_hook_hub_register_jobs(app, record_file):
    with app.app_context():
        jobs = {job.name: job for job in scheduler.collect()}
        assert {"inbound", "extras-tick"} <= set(jobs)
        scheduler.ensure_rows(list(jobs.values()))
        assert scheduler.run_due([jobs["extras-tick"]], "w1", 60).ran == 1
        assert scheduler.run_due([jobs["extras-tick"]], "w1", 60).ran == 0  # next run in an hour
    assert records(record_file) == [{"job": "extras-tick"}]


def test_hook_hub_get_webhook_handler(app):
    with app.app_context():
        pm = get_pm()
        assert type(pm.hook.hub_get_webhook_handler(source="acme")).__name__ == "AcmeSource"
        assert (
            type(pm.hook.hub_get_webhook_handler(source="monitoring")).__name__ == "GenericSource"
        )
        assert pm.hook.hub_get_webhook_handler(source="unknown") is None
