"""The SLA sweep: warnings, breaches and escalation levels, once each and in order;
quiet hours; the job brought forward; e-mail to a real local SMTP server."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from sqlalchemy import delete, select

from hub import calls, scheduler
from hub.db import db
from hub.models import CallEvent, OutboxDelivery, ScheduledJob
from hub.sla import sweep
from hub.sla.clocks import SWEEP_JOB
from tests.sla.test_clocks import Timeline, local


def sweep_at(when: datetime) -> int:
    with time_machine.travel(when, tick=False):
        return sweep.run()


def sla_events(call) -> list[tuple[str, str]]:  # noqa: ANN001
    rows = db.session.scalars(
        select(CallEvent).where(CallEvent.call_id == call.id, CallEvent.actor == "sla")
        .order_by(CallEvent.id)
    )  # fmt: skip
    return [(e.kind, e.data.get("clock") or e.data.get("kind")) for e in rows]


@pytest.fixture
def t(ctx) -> Timeline:  # noqa: ANN001
    """No duty roster: the application's team serves each line."""
    from hub.models.roster import Handover, Shift

    db.session.execute(delete(Handover))
    db.session.execute(delete(Shift))
    return Timeline()


def test_the_associate_on_duty_gets_the_2nd_line_call(t):
    from hub.models import Person
    from hub.models.roster import Shift

    ronald = db.session.scalar(select(Person).where(Person.key == "ronald"))
    duty = Shift(person=ronald, product_line="joomla", starts_at=local(2026, 12, 1, 8),
                 ends_at=local(2026, 12, 3, 20))  # fmt: skip
    db.session.add(duty)
    t.new(local(2026, 12, 1, 9, 0))
    sweep_at(local(2026, 12, 1, 11, 1))  # response breached: escalate to 2-application
    assert (t.call.line, t.call.assignee.key) == ("2-application", "ronald")
    t.new(local(2026, 12, 1, 9, 0), line="2-application")
    assert t.call.assignee.key == "ronald", "a new 2nd-line call goes to the one on duty"


def test_warning_then_breach_then_levels_fire_once_each_in_order(t):
    # P2 response: 120 business minutes from Tue 09:00 → warning at 10:30, due 11:00;
    # default levels: escalate at 0 (the line plan: 1-general → 2-application), SLA
    # manager at +60 (12:00).
    t.new(local(2026, 12, 1, 9, 0))
    assert sweep_at(local(2026, 12, 1, 10, 29)) == 0
    assert sweep_at(local(2026, 12, 1, 10, 31)) == 1
    assert sla_events(t.call) == [("warning", "response")]
    assert sweep_at(local(2026, 12, 1, 10, 31)) == 0, "a second sweep fires nothing new"
    sweep_at(local(2026, 12, 1, 11, 1))
    response = t.clock("response")
    assert response.outcome == "breached" and response.breached_at == local(2026, 12, 1, 11)
    assert response.stopped_at is None, "still running: it stops at the first response"
    assert sla_events(t.call)[1:] == [("breach", "response"), ("escalated", "functional")]
    assert t.call.line == "2-application" and t.call.assignee.key == "anja"
    assert response.fired == ["warning", "breach", "level:0:escalate"]
    sweep_at(local(2026, 12, 1, 12, 5))
    assert sla_events(t.call)[-1] == ("escalated", "hierarchical")
    escalated = db.session.scalars(
        select(CallEvent).where(CallEvent.call_id == t.call.id, CallEvent.kind == "escalated")
        .order_by(CallEvent.id.desc())
    ).first()  # fmt: skip
    assert escalated.data["to_person"] == "bas"
    before = len(sla_events(t.call))
    sweep_at(local(2026, 12, 3, 12, 0))
    assert [e for e in sla_events(t.call)[before:] if e[1] == "response"] == []


def test_a_late_sweep_fires_the_missed_levels_in_their_order(t):
    t.new(local(2026, 12, 1, 9, 0))
    sweep_at(local(2026, 12, 1, 15, 0))  # everything of the response clock at once
    kinds = [k for k in sla_events(t.call)]
    assert kinds[:4] == [("warning", "response"), ("breach", "response"),
                         ("escalated", "functional"), ("escalated", "hierarchical")]  # fmt: skip


def test_a_paused_clock_does_not_alert_and_resumes_its_schedule(t):
    t.new(local(2026, 12, 1, 9, 0))
    t.move(local(2026, 12, 1, 9, 10), "acknowledged")
    t.move(local(2026, 12, 1, 9, 20), "waiting_for_client")
    sweep_at(local(2026, 12, 4, 17, 0))
    assert sla_events(t.call) == [], "waiting for the client: no alerts"
    t.move(local(2026, 12, 7, 9, 0), "in_progress")
    resolution = t.clock("resolution")
    # 20 business minutes used before the pause: the warning at 720 comes 700 later:
    # Monday 09:00–17:30 is 510, then 190 on Tuesday from 08:30.
    assert resolution.next_alert_at == local(2026, 12, 8, 11, 40)


def test_the_line_and_collegial_clocks_warn_and_breach_but_do_not_escalate(t):
    from hub import auth

    auth.create_user("ronald", "secret-password-1", "associate", person="ronald")
    t.new(local(2026, 12, 1, 9, 0))
    t.move(local(2026, 12, 1, 9, 5), "acknowledged")
    t.at(local(2026, 12, 1, 9, 30), calls.escalate, t.call, actor="user:anja",
         kind="functional", to_line="3-application", to_person="ronald")  # fmt: skip
    sweep_at(local(2026, 12, 1, 14, 0))  # collegial: 240 min from 09:30 → 13:30
    collegial = t.clock("collegial")
    assert collegial.outcome == "breached" and collegial.fired == ["warning", "breach"]
    assert ("breach", "collegial") in sla_events(t.call)
    assert t.call.line == "3-application", "no further escalation from a collegial clock"


def test_quiet_hours_hold_the_email_but_not_the_other_plugins(t):
    # P3 response: 480 business minutes; warn at 360. From Tue 09:00 → due Tue 17:00,
    # warn 15:00. A sweep that only runs at 23:00 (quiet) holds the mail until 07:00.
    t.new(local(2026, 12, 1, 9, 0), priority="P3")
    sweep_at(local(2026, 12, 1, 23, 0))
    held = db.session.scalars(
        select(OutboxDelivery).where(
            OutboxDelivery.call_id == t.call.id, OutboxDelivery.hook == "hub_call_escalated"
        )
    ).all()
    mail = [d for d in held if d.plugin == "mailer"]
    others = [d for d in held if d.plugin != "mailer"]
    assert mail and all(d.next_attempt_at == local(2026, 12, 2, 7, 0) for d in mail)
    assert others and all(d.next_attempt_at <= local(2026, 12, 1, 23, 0) for d in others)


def test_p1_and_24x7_are_not_held_by_quiet_hours(t):
    t.new(local(2026, 12, 1, 23, 0), priority="P1")
    sweep_at(local(2026, 12, 2, 9, 0))
    mail = db.session.scalars(
        select(OutboxDelivery).where(
            OutboxDelivery.call_id == t.call.id, OutboxDelivery.plugin == "mailer"
        )
    ).all()
    assert mail and all(d.next_attempt_at <= local(2026, 12, 2, 9, 0) for d in mail)


def test_the_sweep_job_runs_at_the_next_alert_when_that_is_sooner(t, app):
    # P1 response: 30 business minutes; warning at 75% → 09:22:30 for a call at 09:00.
    t.new(local(2026, 12, 1, 9, 0), priority="P1")
    jobs = [j for j in scheduler.collect() if j.name == SWEEP_JOB]
    assert jobs[0].interval == app.config["SLA_SWEEP_SECONDS"] == 60
    with time_machine.travel(local(2026, 12, 1, 9, 0, 1), tick=False):
        scheduler.ensure_rows(jobs)
        scheduler.run_due(jobs, "w1", 60)
    row = db.session.get(ScheduledJob, SWEEP_JOB)
    assert row.next_run_at == local(2026, 12, 1, 9, 1, 1), "nothing sooner: the interval"
    row.next_run_at = local(2026, 12, 1, 9, 22)
    db.session.commit()
    with time_machine.travel(local(2026, 12, 1, 9, 22, 0), tick=False):
        scheduler.run_due(jobs, "w1", 60)
    db.session.expire_all()
    row = db.session.get(ScheduledJob, SWEEP_JOB)
    assert row.next_run_at == local(2026, 12, 1, 9, 22, 30), "the warning is sooner"


def test_a_new_clock_brings_the_sweep_forward(t):
    contract = calls.find_client("amarant").contracts[0]
    contract.rules = {"levels": {"P1": [{"at": -29, "do": "notify"}]}}  # 1 min in
    db.session.add(ScheduledJob(name=SWEEP_JOB, next_run_at=local(2026, 12, 1, 9, 30)))
    db.session.flush()
    t.new(local(2026, 12, 1, 9, 0), priority="P1")
    row = db.session.get(ScheduledJob, SWEEP_JOB)
    assert row.next_run_at == local(2026, 12, 1, 9, 1)
    sweep_at(local(2026, 12, 1, 9, 1))
    assert sla_events(t.call) == [("warning", "response")]
