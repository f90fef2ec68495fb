"""Site checks in the core: runs kept as history, what is due, incidents opened once and
noted, certification and its risk. Reports are built here as a checking plugin returns
them (the Drupal plugin has its own tests against fake sites)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from hub import certification, sitechecks
from hub.cli import main
from hub.db import db
from hub.hooktypes import CheckResult, SiteReport
from hub.models import Application, Call, Contract, DocPage, SiteCheckRun

APP = "amarant-intranet"
URL = "https://intranet.amarant.example"
T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def config_extra() -> dict:
    return {"PLUGIN_MODULES": ["tests.support.extras"]}


def report(at: datetime, *failing: tuple[str, str]) -> SiteReport:
    """A report in which every (check id, severity) given fails and the rest pass."""
    checks = {"reachable": "critical", "tls.expiry": "high", "update_php.locked": "critical",
              "headers.hardening": "low", **dict(failing)}  # fmt: skip
    bad = {c for c, _ in failing}
    return SiteReport(
        key=APP, url=URL, checked_at=at.isoformat(), requests=12, seconds=0.4,
        drupal={"major": 10, "version": None},
        results=tuple(
            CheckResult(c, f"Check {c}", sev, "fail" if c in bad else "pass",
                        {"url": URL + "/update.php", "status": 200, "detail": f"{c} detail"})
            for c, sev in checks.items()
        ),
    )  # fmt: skip


def incidents() -> list[Call]:
    return db.session.scalars(select(Call).where(Call.source == "sitecheck")).all()


def test_a_run_is_kept_with_its_results_and_makes_the_site_not_due(ctx):
    app = db.session.scalar(select(Application).where(Application.key == APP))
    assert [s.key for s in sitechecks.due(T0)] == [APP]
    sitechecks.record(report(T0))
    db.session.commit()
    run = sitechecks.last_run(app.id)
    assert (run.url, run.requests, run.critical) == (URL, 12, [])
    assert {r.check: r.verdict for r in run.results}["reachable"] == "pass"
    assert sitechecks.due(T0 + timedelta(hours=23)) == []
    assert [s.key for s in sitechecks.due(T0 + timedelta(hours=24))] == [APP]
    contract = db.session.scalar(select(Contract).where(Contract.reference == "amarant-sla-2026"))
    contract.rules = {**(contract.rules or {}), "site_check_minutes": 60}
    db.session.commit()
    assert [s.key for s in sitechecks.due(T0 + timedelta(hours=1))] == [APP]
    assert "4 pass" in sitechecks.summary(run)


def test_a_changed_verdict_asks_for_the_application_page(ctx):
    from hub.models import OutboxDelivery

    def asked() -> int:
        return len(db.session.scalars(select(OutboxDelivery).where(
            OutboxDelivery.hook == "hub_documentation_requested",
            OutboxDelivery.payload["subject"]["reason"].as_string() == "site check changed",
        )).all())  # fmt: skip

    sitechecks.record(report(T0))
    sitechecks.record(report(T0 + timedelta(hours=1)))  # the same verdicts: nothing
    db.session.commit()
    assert asked() == 1
    sitechecks.record(report(T0 + timedelta(hours=2), ("tls.expiry", "high")))
    db.session.commit()
    assert asked() == 2


def test_a_critical_failure_opens_one_incident_notes_changes_and_recovery(ctx):
    sitechecks.record(report(T0, ("update_php.locked", "critical")))
    db.session.commit()
    [call] = incidents()
    assert (call.priority, call.category, call.line, call.application.key) == (
        "P1", "incident", "2-application", APP)  # fmt: skip
    assert "update_php.locked" in call.description and "Check update_php.locked" in call.title
    sitechecks.record(report(T0 + timedelta(hours=1), ("update_php.locked", "critical")))
    db.session.commit()
    assert len(incidents()) == 1 and [e.kind for e in call.events].count("note") == 0
    sitechecks.record(report(T0 + timedelta(hours=2), ("update_php.locked", "critical"),
                             ("reachable", "critical")))  # fmt: skip
    db.session.commit()
    notes = [e.note for e in call.events if e.kind == "note"]
    assert len(incidents()) == 1 and len(notes) == 1 and "reachable" in notes[0]
    sitechecks.record(report(T0 + timedelta(hours=3)))
    db.session.commit()
    notes = [e.note for e in call.events if e.kind == "note"]
    assert "Passing again" in notes[-1] and "update_php.locked" in notes[-1]
    assert call.status == "new"  # the staff decide to resolve it


def test_after_the_incident_is_resolved_a_new_failure_opens_a_new_one(ctx):
    from hub import calls

    sitechecks.record(report(T0, ("reachable", "critical")))
    db.session.commit()
    [first] = incidents()
    assert first.line == "2-platform"  # the server, not the application
    for step in ("acknowledged", "resolved"):
        calls.transition(first, step, actor="t")
    sitechecks.record(report(T0 + timedelta(hours=1), ("reachable", "critical")))
    db.session.commit()
    assert len(incidents()) == 2


def test_a_failing_check_that_is_not_critical_opens_nothing(ctx):
    sitechecks.record(report(T0, ("headers.hardening", "low"), ("tls.expiry", "high")))
    db.session.commit()
    assert incidents() == []


def test_certification_combines_the_hubs_facts_and_the_manual_items(ctx):
    app = db.session.scalar(select(Application).where(Application.key == APP))
    assert certification.state(app)["state"] == "not assessed"
    yes = {"tested": True, "version_control": True, "handover": True}
    decision = certification.decide(app, answers=yes, actor="user:bas")
    assert not decision.certified
    assert set(decision.reasons) == {
        "Documentation page present in the service wiki",
        "Site checked, no critical check failing",
    }
    db.session.add(
        DocPage(
            plugin="mediawiki",
            kind="application",
            key=APP,
            client_key="amarant",
            title="Service:Amarant/Amarant intranet",
            result="created",
        )
    )
    sitechecks.record(report(T0))
    decision = certification.decide(app, answers={**yes, "handover": False}, actor="user:bas")
    assert decision.reasons == ["Handover done"]
    decision = certification.decide(app, answers=yes, actor="user:bas", note="intake 2026-12")
    db.session.commit()
    assert decision.certified and decision.items["developer"] and decision.items["trained"]
    assert certification.state(app)["state"] == "certified"
    sitechecks.record(report(T0 + timedelta(days=1), ("update_php.locked", "critical")))
    db.session.commit()
    at_risk = certification.state(app)
    assert at_risk["state"] == "certification at risk"
    assert "update_php.locked" in at_risk["reasons"][-1]
    with pytest.raises(Exception, match="unknown checklist items: fun"):
        certification.decide(app, answers={"fun": True}, actor="user:bas")


def test_the_job_checks_what_is_due_through_the_plugins(ctx):
    assert sitechecks.run_due(T0) == 1  # the extras test plugin answers for every site
    assert sitechecks.run_due(T0) == 0  # checked: not due again yet
    assert db.session.scalar(select(SiteCheckRun.url)) == URL


def test_slahub_sites_check_prints_a_table_or_json(ctx):
    runner = ctx.test_cli_runner()
    out = runner.invoke(main, ["sites", "check", APP])
    assert out.exit_code == 0, out.output
    assert APP in out.output and "PASS  critical reachable" in out.output
    out = runner.invoke(main, ["sites", "check", APP, "--json"])
    [parsed] = json.loads(out.output)
    assert parsed["key"] == APP and parsed["results"][0]["verdict"] == "pass"
    out = runner.invoke(main, ["sites", "check", "nothing-here"])
    assert out.exit_code != 0 and "no application 'nothing-here'" in out.output


def test_slahub_sites_check_fails_when_a_critical_check_fails(ctx):
    app = db.session.scalar(select(Application).where(Application.key == APP))
    app.url = "https://broken.amarant.example"
    db.session.commit()
    out = ctx.test_cli_runner().invoke(main, ["sites", "check"])
    assert out.exit_code == 1 and "FAIL  critical reachable" in out.output
    assert [c.title for c in incidents()] == ["Site check failed: Site answers"]
