"""The 3rd line in Jira, through the real worker and the real webhook endpoint: an
escalated call becomes an issue in its application's developers' project with a link
back; comments and the resolution come back; hub notes go out as comments; failures
are retried or, for a wrong setting, dead at once with the health saying why."""

from __future__ import annotations

from hub import calls
from hub.db import db
from tests.plugins.jira import payloads as p
from tests.plugins.jira.conftest import (
    HUB_URL,
    apply_inbound,
    call_by_ref,
    deliver_outbox,
    jira_deliveries,
    post,
    wait_for_backoff,
)


def escalated_call(app, application: str | None = "amarant-intranet") -> int:  # noqa: ANN001
    with app.app_context():
        call = calls.create(actor="user:anja", source="api", client="amarant",
                            title="Broken form", description="The form fails on submit",
                            application=application)  # fmt: skip
        calls.escalate(call, actor="user:anja", kind="functional", to_line="3-application",
                       reason="needs a code change")  # fmt: skip
        db.session.commit()
        return call.id


def health(app):  # noqa: ANN001, ANN201
    import plugins.jira

    with app.app_context():
        return plugins.jira.hub_report_health()


def test_an_escalation_makes_an_issue_with_a_link_back(app, fake, settled):
    call_id = escalated_call(app)
    deliver_outbox(app)
    [issue] = fake.issues.values()
    assert issue["key"] == "DEV-1"
    assert issue["fields"]["summary"] == "[amarant] Broken form"
    assert issue["fields"]["labels"] == [f"slahub-call-{call_id}"]
    description = issue["fields"]["description"]
    assert f"{HUB_URL}/calls/{call_id}" in description
    assert "The form fails on submit" in description and "needs a code change" in description
    [link] = fake.remote_links["DEV-1"]
    assert link["object"]["url"] == f"{HUB_URL}/calls/{call_id}"
    call = call_by_ref(app, "jira", "DEV-1")
    assert call["id"] == call_id
    assert call["links"][("jira", "DEV-1")] == f"{fake.url}/browse/DEV-1"
    assert {d.state for d in jira_deliveries(app)} == {"done"}
    assert health(app).ok


def test_a_lost_answer_does_not_make_a_second_issue(app, fake, settled):
    fake.slow_next("POST /rest/api/2/issue", 1.0)  # made, but the answer comes too late
    call_id = escalated_call(app)
    deliver_outbox(app, rounds=1)
    [delivery] = jira_deliveries(app, "hub_call_escalated", call_id)
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    assert "timed out" in delivery.last_error
    assert "last error" in health(app).detail
    wait_for_backoff()
    deliver_outbox(app, rounds=1)
    assert list(fake.issues) == ["DEV-1"]
    assert len(fake.requests("GET", "/search")) == 1  # the retry looked for it first
    assert call_by_ref(app, "jira", "DEV-1") is not None
    assert jira_deliveries(app, "hub_call_escalated", call_id)[0].state == "done"
    assert health(app).ok  # a success clears the error


def test_a_jira_that_is_down_is_retried_and_nothing_is_lost(app, fake, settled):
    fake.fail_next(503, n=1)
    fake.fail_next(500, n=1, empty=True)
    call_id = escalated_call(app)
    deliver_outbox(app, rounds=1)
    assert "answered 503" in jira_deliveries(app, "hub_call_escalated", call_id)[0].last_error
    wait_for_backoff()
    deliver_outbox(app, rounds=1)
    assert "answered 500" in jira_deliveries(app, "hub_call_escalated", call_id)[0].last_error
    wait_for_backoff()
    deliver_outbox(app, rounds=1)
    [delivery] = jira_deliveries(app, "hub_call_escalated", call_id)
    assert (delivery.state, delivery.attempts) == ("done", 3)
    assert list(fake.issues) == ["DEV-1"]


def test_a_wrong_token_kills_the_delivery_at_once_and_health_says_so(app, fake, settled):
    fake.fail_next(401, messages=["Client must be authenticated to access this resource."])
    call_id = escalated_call(app)
    deliver_outbox(app)
    [delivery] = jira_deliveries(app, "hub_call_escalated", call_id)
    assert (delivery.state, delivery.attempts) == ("dead", 1)
    assert f"{fake.url}/rest/api/2/serverInfo answered 401" in delivery.last_error
    assert "JiraConfigurationError" in delivery.last_error
    report = health(app)
    assert not report.ok
    assert report.detail.startswith("configuration error")
    assert "answered 401" in report.detail


def test_an_unknown_project_kills_the_delivery_at_once(app, fake, settled):
    fake.fail_next(404, messages=["No project could be found with key 'DEV'."],
                   where="POST /rest/api/2/issue")  # fmt: skip
    call_id = escalated_call(app)
    deliver_outbox(app)
    [delivery] = jira_deliveries(app, "hub_call_escalated", call_id)
    assert (delivery.state, delivery.attempts) == ("dead", 1)
    assert "issue answered 404: No project could be found with key 'DEV'." in delivery.last_error
    assert fake.issues == {}


def test_an_application_without_a_jira_project_is_left_alone(app, fake, settled):
    with app.app_context():
        app.config["PLUGINS"]["jira"]["applications"] = {}
    escalated_call(app)
    deliver_outbox(app)
    assert fake.log == []
    assert {d.state for d in jira_deliveries(app)} == {"done"}


def test_the_third_line_round_trip(app, client, fake, settled):
    call_id = escalated_call(app)
    deliver_outbox(app)
    label = (f"slahub-call-{call_id}",)
    # a developer comments in Jira: the comment reaches the call's history
    post(client, p.issue_commented("DEV-1", "801", "Found it: a missing CSRF token",
                                   author="ronald", labels=label), delivery="wh-1")  # fmt: skip
    # the developer starts work: a status note
    post(client, p.status_changed("DEV-1", "3", frm="1", actor="ronald", labels=label),
         delivery="wh-2")  # fmt: skip
    assert [e.status for e in apply_inbound(app)] == ["processed", "processed"]
    call = call_by_ref(app, "jira", "DEV-1")
    assert ("webhook:jira (Ronald)", "Jira DEV-1, Ronald: Found it: a missing CSRF token") in (
        call["notes"]
    )
    assert any("Open → In Progress" in note for _, note in call["notes"])
    deliver_outbox(app)
    assert fake.comments.get("DEV-1", []) == []  # what came from Jira is not sent back

    # the 2nd line adds a note in the hub: it becomes a comment on the issue
    with app.app_context():
        calls.add_note(calls.get_call(call_id), actor="user:anja", note="Client can wait")
        db.session.commit()
    deliver_outbox(app)
    [comment] = fake.comments["DEV-1"]
    assert comment["body"].startswith("Client can wait")
    assert ("jira-comment", comment["id"]) in call_by_ref(app, "jira", "DEV-1")["links"]
    # Jira's webhook for the hub's own comment is an echo
    post(client, p.issue_commented("DEV-1", comment["id"], comment["body"], author="slahub",
                                   labels=label), delivery="wh-3")  # fmt: skip

    # resolved in Jira: the call goes back to the 2nd line to confirm with the client
    post(client, p.status_changed("DEV-1", "5", frm="3", resolution="Fixed", actor="ronald",
                                  labels=label), delivery="wh-4")  # fmt: skip
    events = apply_inbound(app)
    assert [e.status for e in events] == ["processed"] * 4, [e.error for e in events]
    call = call_by_ref(app, "jira", "DEV-1")
    assert call["line"] == "2-application"
    assert call["notes"][-1][1].startswith("Jira DEV-1 resolved (Fixed) by Ronald: back to")
    assert sum("Client can wait" in note for _, note in call["notes"]) == 1
    deliver_outbox(app)
    assert len(fake.comments["DEV-1"]) == 1  # no echo loop
    assert {d.state for d in jira_deliveries(app)} == {"done"}


def test_a_note_on_a_service_desk_call_becomes_a_comment_once_across_retries(
    app, client, fake, settled
):
    issue = fake.add_issue("AMSD", {"summary": "Login fails"})
    post(client, p.issue_created(issue["key"]), delivery="wh-1")
    apply_inbound(app)
    call_id = call_by_ref(app, "jira", "AMSD-1")["id"]
    deliver_outbox(app)
    fake.slow_next("POST /rest/api/2/issue/AMSD-1/comment", 1.0)
    with app.app_context():
        calls.add_note(calls.get_call(call_id), actor="user:anja", note="We are on it")
        db.session.commit()
    deliver_outbox(app)
    wait_for_backoff()
    deliver_outbox(app)
    [comment] = fake.comments["AMSD-1"]
    assert comment["body"] == f"We are on it\n\n— user:anja, SLA Hub call {call_id}"
    [delivery] = [d for d in jira_deliveries(app, "hub_call_changed", call_id) if d.attempts == 2]
    assert delivery.state == "done"
