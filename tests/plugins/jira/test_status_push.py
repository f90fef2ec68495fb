"""Hub status changes of a call from a client's service-desk issue move that issue in
Jira by its workflow's transitions; what the workflow does not offer is left alone and
shown in health; changes that came from Jira are not sent back."""

from __future__ import annotations

from hub import calls
from hub.db import db
from tests.plugins.jira import payloads as p
from tests.plugins.jira.conftest import (
    apply_inbound,
    call_by_ref,
    deliver_outbox,
    jira_deliveries,
    post,
)
from tests.plugins.jira.test_escalation import health


def desk_call(app, client, fake) -> int:  # noqa: ANN001
    """A client reports AMSD-1 in Jira; the hub makes it a call."""
    fake.add_issue("AMSD", {"summary": "Form broken"})
    post(client, p.issue_created("AMSD-1"), delivery="wh-1")
    apply_inbound(app)
    return call_by_ref(app, "jira", "AMSD-1")["id"]


def move(app, call_id: int, *statuses: str) -> None:  # noqa: ANN001
    with app.app_context():
        call = calls.get_call(call_id)
        for status in statuses:
            calls.transition(call, status, actor="user:anja")
        db.session.commit()


def status_of(fake, key: str) -> str:  # noqa: ANN001
    return fake.issues[key]["fields"]["status"]["name"]


def test_the_hubs_moves_move_the_service_desk_issue(app, client, settled):
    fake = settled
    call_id = desk_call(app, client, fake)
    move(app, call_id, "acknowledged", "in_progress")
    deliver_outbox(app)
    assert status_of(fake, "AMSD-1") == "In Progress"
    move(app, call_id, "resolved")
    deliver_outbox(app)
    assert status_of(fake, "AMSD-1") == "Resolved"
    move(app, call_id, "reopened")
    deliver_outbox(app)
    assert status_of(fake, "AMSD-1") == "Reopened"
    assert {d.state for d in jira_deliveries(app)} == {"done"}
    posted = [r.path for r in fake.requests("POST") if r.path.endswith("/transitions")]
    assert len(posted) == 3  # acknowledged has no Jira counterpart: nothing sent
    assert health(app).ok


def test_a_move_the_workflow_does_not_offer_is_left_and_said_in_health(app, client, settled):
    fake = settled
    call_id = desk_call(app, client, fake)
    move(app, call_id, "acknowledged", "resolved", "closed")  # Jira's simple flow: no Close
    deliver_outbox(app)
    assert status_of(fake, "AMSD-1") == "Resolved"
    assert {d.state for d in jira_deliveries(app)} == {"done"}  # nothing to retry
    report = health(app)
    assert report.ok and "AMSD-1 not moved" in report.detail and "'Close Issue'" in report.detail


def test_a_status_from_jira_is_not_sent_back(app, client, settled):
    fake = settled
    desk_call(app, client, fake)
    fake.set_status("AMSD-1", "3")
    post(client, p.status_changed("AMSD-1", "3", frm="1"), delivery="wh-2")
    apply_inbound(app)
    assert call_by_ref(app, "jira", "AMSD-1")["status"] == "in_progress"
    deliver_outbox(app)
    assert not fake.requests(path="/transitions")
