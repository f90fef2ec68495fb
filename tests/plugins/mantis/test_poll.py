"""Inbound by polling: the real ``mantis_poll`` job stores changed issues and the core's
``inbound`` job applies them through the plugin's handler."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from hub import scheduler
from hub.db import db
from hub.models import InboundEvent, ScheduledJob
from plugins.mantis.client import MantisAuthError, MantisUnavailable
from tests.plugins.mantis.conftest import call_for, health, job, n_calls, poll


def stored_events(app) -> list[InboundEvent]:  # noqa: ANN001
    with app.app_context():
        rows = db.session.scalars(select(InboundEvent).order_by(InboundEvent.id)).all()
        db.session.expunge_all()
        return rows


def test_hook_hub_register_jobs(app):
    with app.app_context():
        poll_job = job()
    assert poll_job.interval == 60


def test_a_new_issue_becomes_a_call_once(app, demo, fake):
    issue = fake.add_issue(summary="Contact form broken", description="500 on submit",
                           priority="urgent", severity="major")  # fmt: skip
    before = n_calls(app)
    assert poll(app) == 1
    call = call_for(app, 1)
    assert (call["client"], call["title"], call["priority"], call["status"]) == (
        "amarant", "Contact form broken", "P1", "new")  # fmt: skip
    assert call["links"] == {("mantis", "1"): f"{fake.url}/view.php?id=1"}
    assert call["created_at"] == issue["created_at"]  # opened when reported in Mantis
    [event] = stored_events(app)
    assert event.delivery_id == f"poll:1:{issue['updated_at'].isoformat()}"
    assert (event.source, event.status) == ("mantis", "processed")
    assert json.loads(event.body)["hub"] == {"status": None, "account": "slahub", "verdict": None}
    assert poll(app) == 0 and poll(app) == 0  # nothing changed: nothing stored again
    assert n_calls(app) == before + 1 and len(stored_events(app)) == 1


def test_status_notes_and_priority_follow_mantis(app, demo, fake):
    fake.add_issue(summary="Slow search", description="x")
    poll(app)
    fake.user_change(1, status="assigned", priority="high")
    note = fake.user_note(1, "Looking into the index")
    assert poll(app) == 1
    call = call_for(app, 1)
    assert (call["status"], call["priority"]) == ("in_progress", "P2")
    moves = [e[2]["status"]["to"] for e in call["events"] if e[0] == "status"]
    assert moves == ["acknowledged", "in_progress"]  # new → in_progress is not allowed
    [noted] = [e for e in call["events"] if e[0] == "note"]
    assert (noted[1], noted[3]) == ("webhook:mantis (jdoe)", "Looking into the index")
    assert ("mantis-note", str(note)) in call["links"]
    fake.user_change(1, status="feedback")
    assert poll(app) == 1
    call = call_for(app, 1)
    assert call["status"] == "waiting_for_client"
    assert [e[0] for e in call["events"]].count("note") == 1  # the old note is not added again


def test_a_jump_to_closed_and_a_reopen_take_allowed_paths(app, demo, fake):
    fake.add_issue(summary="Broken link", description="x", status="assigned")
    poll(app)
    assert call_for(app, 1)["status"] == "in_progress"
    fake.user_change(1, status="closed", resolution="fixed")
    poll(app)
    assert call_for(app, 1)["status"] == "closed"
    fake.user_change(1, status="feedback", resolution="reopened")
    poll(app)
    call = call_for(app, 1)
    moves = [e[2]["status"]["to"] for e in call["events"] if e[0] == "status"]
    assert moves == ["acknowledged", "in_progress", "resolved", "closed", "reopened",
                     "waiting_for_client"]  # fmt: skip


def test_pages_until_the_cursor_and_takes_only_open_issues_at_first(app, demo, fake, monkeypatch):
    monkeypatch.setenv("HUB_MANTIS_PAGE_SIZE", "2")
    fake.add_issue(summary="old and done", description="x", status="closed")
    for n in range(4):
        fake.clock += timedelta(minutes=5)  # farther apart than the cursor's overlap
        fake.add_issue(summary=f"open {n}", description="x")
    fake.add_issue(project_id=2, summary="another project", description="x")
    assert poll(app) == 4
    assert call_for(app, 1) is None and call_for(app, 6) is None
    lists = fake.seen("GET", "/api/rest/issues")
    assert len(lists) == 3  # pages 1-3 of project 1 (the third is short)
    fake.user_change(3, summary="open 1, renamed")
    fake.requests.clear()
    assert poll(app) == 1
    # Page 1: issues 3 (changed) and 5 (the cursor); page 2 starts older than the cursor.
    assert len(fake.seen("GET", "/api/rest/issues")) == 2


def test_hours_approval_is_read_back_once(app, demo, fake):
    fake.add_issue(summary="Monthly work", description="x", status="resolved")
    fake.user_change(1, status="assigned")  # open, so the first poll takes it
    poll(app)
    fake.user_change(1, custom_fields={"Hours approval": "Approved",
                                       "Client feedback": "Fine, thanks"})  # fmt: skip
    poll(app)
    fake.user_note(1, "one more thing")
    poll(app)
    verdicts = [e for e in call_for(app, 1)["events"] if e[0] == "hours"]
    assert [(e[2], e[3]) for e in verdicts] == [({"verdict": "approved"}, "Fine, thanks")]
    fake.user_change(1, custom_fields={"Hours approval": "disputed", "Client feedback": "Too much"})
    poll(app)
    verdicts = [e for e in call_for(app, 1)["events"] if e[0] == "hours"]
    assert [e[2]["verdict"] for e in verdicts] == ["approved", "disputed"]


def test_a_wrong_token_is_a_configuration_error_in_health(app, demo, fake, monkeypatch):
    monkeypatch.setenv("HUB_MANTIS_TOKEN", "wrong")
    with pytest.raises(MantisAuthError, match="401 Valid API token required"):
        poll(app)
    report = health(app)
    assert not report.ok
    assert "configuration error" in report.detail and "/api/rest/users/me: 401" in report.detail
    monkeypatch.setenv("HUB_MANTIS_TOKEN", "hub-token")
    assert poll(app) == 0
    assert health(app).ok


def test_an_outage_loses_nothing_and_the_scheduler_shows_it(app, demo, fake):
    fake.add_issue(summary="During the outage", description="x")
    with app.app_context():
        jobs = [job()]
        scheduler.ensure_rows(jobs)
    fake.fail_next(1, 200, "malformed")  # users/me answers garbage
    with app.app_context():
        assert scheduler.run_due(jobs, "w1", 60).ran == 1
        row = db.session.get(ScheduledJob, "mantis_poll")
        assert "MantisUnavailable" in row.last_error and "not JSON" in row.last_error
    assert stored_events(app) == []
    report = health(app)
    assert report.ok and "last error" in report.detail
    fake.fail_next(1, 503, "empty")
    with pytest.raises(MantisUnavailable, match="503 Service Unavailable"):
        poll(app)
    assert stored_events(app) == []
    assert poll(app) == 1 and call_for(app, 1) is not None
