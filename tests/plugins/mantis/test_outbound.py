"""Outbound: the worker delivers the hub's calls and changes to the fake MantisBT, with
retries that make nothing twice, no echo of Mantis's own changes, and the time-tracking
fallback."""

from __future__ import annotations

import json
import time

import pytest

from hub import calls
from hub.db import db
from plugins.mantis import mapping, state
from tests.plugins.mantis.conftest import (
    CONTRACT,
    call_for,
    deliver,
    deliveries,
    health,
    n_calls,
    poll,
)


@pytest.fixture
def mantis_settings(mantis_settings: dict) -> dict:
    contracts = json.loads(mantis_settings["contracts"])
    contracts[CONTRACT]["create_issues"] = True
    return {**mantis_settings, "contracts": json.dumps(contracts)}


@pytest.fixture
def settled(app, demo, fake):  # noqa: ANN001,ANN201
    """The demo's calls delivered (they become issues 1-3, their booked time goes as
    notes); the request log and what the time notes found out cleared."""
    deliver(app)
    with app.app_context():
        state.put("time_tracking", None, commit=True)
    fake.requests.clear()
    return fake


def new_call(app, title: str = "Search is slow", priority: str = "P2") -> int:  # noqa: ANN001
    with app.app_context():
        call = calls.create(actor="user:anja", source="api", client="amarant", title=title,
                            priority=priority, description="Since Monday")  # fmt: skip
        db.session.commit()
        return call.id


def change(app, call_id: int, how) -> None:  # noqa: ANN001
    with app.app_context():
        how(calls.get_call(call_id))
        db.session.commit()


def book(call, minutes: int, note: str | None = None) -> None:  # noqa: ANN001
    calls.add_time(call, actor="user:anja", person="anja", minutes=minutes, note=note)


def issues_of(fake, call_id: int) -> list[dict]:  # noqa: ANN001
    return [i for i in fake.issues.values() if f"SLA Hub call {call_id}:" in i["description"]]


def test_hook_hub_call_created(app, settled):
    call_id = new_call(app)
    deliver(app)
    [issue] = issues_of(settled, call_id)
    assert (issue["summary"], issue["priority"], issue["category"]) == (
        "Search is slow", "high", "General")  # fmt: skip
    assert issue["description"].startswith("Since Monday\n\n— SLA Hub call ")
    assert f"https://hub.example.org/admin/calls/{call_id}" in issue["description"]
    assert issue["reporter"]["name"] == "slahub"
    [(_, _, headers, _)] = settled.seen("POST", "/api/rest/issues")
    assert headers["Authorization"] == "hub-token"
    with app.app_context():
        linked = calls.get_call(call_id).links
        assert [(lk.system, lk.key, lk.url) for lk in linked if lk.system == "mantis"] == [
            ("mantis", str(issue["id"]), f"{settled.url}/view.php?id={issue['id']}")
        ]
    before = n_calls(app)
    assert poll(app) == 0  # the hub's own issues are echoes: not read back
    assert n_calls(app) == before


def test_a_lost_answer_does_not_make_a_second_issue(app, settled):
    settled.lose = 1  # the issue is made, but the answer is lost (502)
    call_id = new_call(app)
    deliver(app)
    assert len(issues_of(settled, call_id)) == 1
    [created] = [d for d in deliveries(app, hook="hub_call_created") if d.call_id == call_id]
    assert (created.state, created.attempts) == ("done", 2)
    assert call_for(app, issues_of(settled, call_id)[0]["id"])["id"] == call_id


def test_a_timeout_is_retried_and_makes_one_issue(app, settled):
    settled.delay = 0.7  # more than the 0.5 s timeout; the fake still does the work
    call_id = new_call(app)
    deliver(app, rounds=1)
    settled.delay = 0
    time.sleep(0.4)  # let the slow request finish inside the fake
    deliver(app)
    assert len(issues_of(settled, call_id)) == 1
    [created] = [d for d in deliveries(app, hook="hub_call_created") if d.call_id == call_id]
    assert created.state == "done" and created.attempts >= 2


def test_a_5xx_is_retried_until_it_goes_through(app, settled):
    settled.fail_next(2, 500, "text")
    call_id = new_call(app)
    deliver(app)
    assert len(issues_of(settled, call_id)) == 1
    [created] = [d for d in deliveries(app, hook="hub_call_created") if d.call_id == call_id]
    assert (created.state, created.attempts) == ("done", 3)


def test_a_wrong_token_kills_the_delivery_at_once(app, settled, monkeypatch):
    monkeypatch.setenv("HUB_MANTIS_TOKEN", "not-the-token")
    call_id = new_call(app)
    deliver(app)
    [created] = [d for d in deliveries(app, hook="hub_call_created") if d.call_id == call_id]
    assert (created.state, created.attempts) == ("dead", 1)
    assert f"POST {settled.url}/api/rest/issues: 401 Valid API token" in created.last_error
    report = health(app)
    assert not report.ok and "configuration error" in report.detail
    assert issues_of(settled, call_id) == []


def test_hook_hub_call_changed(app, settled):
    call_id = new_call(app)
    deliver(app)
    [issue] = issues_of(settled, call_id)
    change(app, call_id, lambda c: calls.transition(c, "acknowledged", actor="user:anja",
                                                    note="Looking at it now"))  # fmt: skip
    change(app, call_id, lambda c: calls.update(c, actor="user:anja", priority="P1"))
    deliver(app)
    assert (issue["status"], issue["resolution"], issue["priority"]) == (
        "acknowledged", "open", "urgent")  # fmt: skip
    [note] = issue["notes"]
    assert note["text"].startswith("Looking at it now\n\n— SLA Hub call ")
    assert mapping.marked(note["text"]) and note["text"].endswith("by user:anja")
    found = call_for(app, issue["id"])
    assert ("mantis-note", str(note["id"])) in found["links"]
    assert poll(app) == 0  # the hub's own change is not read back
    change(app, call_id, lambda c: calls.transition(c, "resolved", actor="user:anja"))
    deliver(app)
    assert (issue["status"], issue["resolution"]) == ("resolved", "fixed")
    settled.user_change(issue["id"], custom_fields={"Hours approval": "approved"})
    assert poll(app) == 1  # a user's change after the hub's is read
    events = call_for(app, issue["id"])["events"]
    assert [e[3] for e in events].count("Looking at it now") == 1  # not read back as new
    assert "note" not in [e[0] for e in events] and events[-1][0] == "hours"


def test_changes_that_came_from_mantis_are_not_sent_back(app, settled):
    call_id = new_call(app)
    deliver(app)
    [issue] = issues_of(settled, call_id)
    settled.user_change(issue["id"], status="assigned", priority="immediate")
    settled.user_note(issue["id"], "Found it: a missing index")
    poll(app)
    settled.requests.clear()
    deliver(app)
    changed = [d for d in deliveries(app, hook="hub_call_changed") if d.call_id == call_id]
    assert len(changed) >= 3 and {d.state for d in changed} == {"done"}
    assert settled.seen("PATCH", r".*") == [] and settled.seen("POST", r".*") == []
    assert call_for(app, issue["id"])["status"] == "in_progress"


def test_time_goes_as_a_plain_note_while_time_tracking_is_off(app, settled):
    call_id = new_call(app)
    deliver(app)
    [issue] = issues_of(settled, call_id)
    change(app, call_id, lambda c: book(c, 90, "Rebuilt the index"))
    deliver(app)
    [note] = issue["notes"]
    assert note["minutes"] is None
    assert note["text"].startswith("Rebuilt the index\n\n1:30 booked by anja in the hub")
    assert [r[0] for r in settled.seen("POST", r".*/notes")] == ["POST", "POST"]  # 403, then plain
    assert "time tracking is off" in health(app).detail and health(app).ok
    change(app, call_id, lambda c: book(c, 15))
    deliver(app)
    assert len(settled.seen("POST", r".*/notes")) == 3  # straight to a plain note
    assert issue["notes"][1]["text"].startswith("Time booked by anja\n\n0:15 booked by anja")
    done = [d.state for d in deliveries(app, hook="hub_call_changed") if d.call_id == call_id]
    assert done == ["done", "done"]


def test_time_goes_as_a_time_tracking_note_when_mantis_allows_it(app, settled):
    settled.time_tracking = True
    call_id = new_call(app)
    deliver(app)
    [issue] = issues_of(settled, call_id)
    change(app, call_id, lambda c: book(c, 45, "Tuned the cache"))
    deliver(app)
    [note] = issue["notes"]
    assert note["minutes"] == 45 and note["text"].startswith("Tuned the cache\n\n— SLA Hub call")
    assert "time tracking" not in health(app).detail
