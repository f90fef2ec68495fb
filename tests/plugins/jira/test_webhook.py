"""``POST /webhooks/jira`` end to end: verification, storage, dedupe, and the worker's
``inbound`` job turning Jira's events into calls, status changes and notes."""

from __future__ import annotations

import json

import pytest

from tests.plugins.jira import payloads as p
from tests.plugins.jira.conftest import URL_TOKEN, apply_inbound, call_by_ref, n_calls, post


def test_an_issue_in_a_clients_service_desk_becomes_a_call(app, client, demo):
    resp = post(client, p.issue_created("AMSD-1", summary="Login fails", priority="Highest"))
    assert resp.status_code == 202, resp.json
    [event] = apply_inbound(app)
    assert (event.status, event.error) == ("processed", None)
    call = call_by_ref(app, "jira", "AMSD-1")
    assert (call["title"], call["priority"], call["client"], call["status"]) == (
        "Login fails", "P1", "amarant", "new",
    )  # fmt: skip
    assert call["links"][("jira", "AMSD-1")] == "https://jira.example.org/browse/AMSD-1"


def test_a_redelivered_webhook_creates_nothing_twice(app, client, demo):
    before = n_calls(app)
    payload = p.issue_created("AMSD-1")
    assert post(client, payload, delivery="wh-1").status_code == 202
    again = post(client, payload, delivery="wh-1")
    assert (again.status_code, again.json["status"]) == (200, "duplicate")
    # the same issue under a new delivery id: stored, but the call is not made twice
    assert post(client, payload, delivery="wh-2").status_code == 202
    events = apply_inbound(app)
    assert [e.status for e in events] == ["processed", "processed"]
    assert events[0].call_id == events[1].call_id
    assert n_calls(app) == before + 1


def test_without_a_delivery_id_the_body_names_the_delivery(app, client, demo):
    payload = p.issue_created("AMSD-1")
    first = post(client, payload, delivery=None)
    again = post(client, payload, delivery=None)
    assert (first.status_code, again.status_code) == (202, 200)
    [event] = apply_inbound(app)
    assert event.delivery_id.startswith("sha256:")


def test_a_url_token_stands_in_for_a_signature(app, client, demo):
    resp = post(client, p.issue_created("AMSD-1"), secret=None, query=f"?token={URL_TOKEN}")
    assert resp.status_code == 202
    [event] = apply_inbound(app)
    assert "token" not in json.dumps(event.headers)  # the URL's query is never stored


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"secret": None}, "missing X-Hub-Signature or ?token="),
        ({"secret": "wrong-secret"}, "does not match"),
        ({"headers": {"X-Hub-Signature": "garbage"}}, "does not match"),
        ({"secret": None, "query": "?token=wrong"}, "token is wrong"),
        # a wrong signature is not excused by a right token
        ({"secret": "wrong-secret", "query": f"?token={URL_TOKEN}"}, "does not match"),
    ],
)
def test_a_bad_or_missing_signature_or_token_is_refused_and_nothing_stored(
    app, client, demo, kwargs, message
):
    resp = post(client, p.issue_created("AMSD-1"), **kwargs)
    assert resp.status_code == 401
    assert message in json.dumps(resp.json)
    assert apply_inbound(app) == []


def test_a_body_that_is_not_json_is_refused(app, client, demo):
    assert post(client, b"{not json").status_code == 400
    assert post(client, {"issue": {"key": "AMSD-1"}}).status_code == 422
    assert apply_inbound(app) == []


def test_the_hubs_own_events_are_echoes_and_change_nothing(app, client, demo):
    before = n_calls(app)
    post(client, p.issue_created("AMSD-1"), delivery="wh-1")
    post(client, p.issue_created("AMSD-2", actor="slahub"), delivery="wh-2")
    post(client, p.issue_commented("AMSD-1", "501", "from the hub", author="slahub"),
         delivery="wh-3")  # fmt: skip
    post(client, p.status_changed("AMSD-1", "3", actor="slahub"), delivery="wh-4")
    assert [e.status for e in apply_inbound(app)] == ["processed"] * 4
    assert n_calls(app) == before + 1
    call = call_by_ref(app, "jira", "AMSD-1")
    assert call["status"] == "new"
    assert call["notes"] == []


def test_issues_in_other_projects_are_none_of_the_hubs_business(app, client, demo):
    before = n_calls(app)
    post(client, p.issue_created("OTHER-1"), delivery="wh-1")
    post(client, p.issue_created("DEV-7"), delivery="wh-2")  # developers' own issue
    assert [e.status for e in apply_inbound(app)] == ["processed", "processed"]
    assert n_calls(app) == before


def test_comments_in_wiki_markup_and_adf_become_notes_once(app, client, demo):
    post(client, p.issue_created("AMSD-1"), delivery="wh-1")
    post(client, p.issue_commented("AMSD-1", "601", "Still *broken*", author="carla"),
         delivery="wh-2")  # fmt: skip
    post(client, p.comment_created("AMSD-1", "602", p.adf("Works now, thanks"), author="carla"),
         delivery="wh-3")  # fmt: skip
    # Jira sends the first comment again as an edit: a known comment is not noted twice
    post(client, p.issue_commented("AMSD-1", "601", "Still *broken*", author="carla"),
         delivery="wh-4")  # fmt: skip
    assert [e.status for e in apply_inbound(app)] == ["processed"] * 4
    call = call_by_ref(app, "jira", "AMSD-1")
    assert call["notes"] == [
        ("webhook:jira (Carla)", "Still *broken*"),
        ("webhook:jira (Carla)", "Works now, thanks"),
    ]
    assert ("jira-comment", "601") in call["links"]


def test_status_changes_of_a_service_desk_issue_move_the_call(app, client, demo):
    post(client, p.issue_created("AMSD-1"), delivery="wh-1")
    # Open → In Progress on a new call: acknowledged on the way, not refused
    post(client, p.status_changed("AMSD-1", "3", frm="1"), delivery="wh-2")
    apply_inbound(app)
    assert call_by_ref(app, "jira", "AMSD-1")["status"] == "in_progress"
    # an old server: no issue_event_type_name
    post(client, p.status_changed("AMSD-1", "5", frm="3", resolution="Fixed", event_type=None),
         delivery="wh-3")  # fmt: skip
    apply_inbound(app)
    assert call_by_ref(app, "jira", "AMSD-1")["status"] == "resolved"
    post(client, p.status_changed("AMSD-1", "4", frm="5"), delivery="wh-4")
    events = apply_inbound(app)
    assert [e.status for e in events] == ["processed"] * 4, [e.error for e in events]
    assert call_by_ref(app, "jira", "AMSD-1")["status"] == "reopened"


def test_straight_to_done_from_open_resolves_a_new_call(app, client, demo):
    post(client, p.issue_created("AMSD-1"), delivery="wh-1")
    post(client, p.status_changed("AMSD-1", "5", frm="1", resolution="Done"), delivery="wh-2")
    events = apply_inbound(app)
    assert [e.status for e in events] == ["processed"] * 2, [e.error for e in events]
    assert call_by_ref(app, "jira", "AMSD-1")["status"] == "resolved"


def test_back_from_done_to_a_not_yet_worked_status_reopens_the_call(app, client, demo):
    post(client, p.issue_created("AMSD-1"), delivery="wh-1")
    post(client, p.status_changed("AMSD-1", "5", frm="1", resolution="Done"), delivery="wh-2")
    post(client, p.status_changed("AMSD-1", "1", frm="5"), delivery="wh-3")  # Open again
    events = apply_inbound(app)
    assert [e.status for e in events] == ["processed"] * 3, [e.error for e in events]
    assert call_by_ref(app, "jira", "AMSD-1")["status"] == "reopened"


def test_a_comment_on_an_issue_no_call_is_linked_to_is_kept_as_rejected(app, client, demo):
    post(client, p.issue_commented("AMSD-9", "701", "hello"), delivery="wh-1")
    [event] = apply_inbound(app)
    assert event.status == "rejected"
    assert "AMSD-9" in event.error


def test_the_developers_own_issues_are_left_alone(app, client, demo):
    post(client, p.issue_commented("DEV-7", "901", "our own work", labels=("backend",)),
         delivery="wh-1")  # fmt: skip
    post(client, p.status_changed("DEV-7", "3", labels=()), delivery="wh-2")
    events = apply_inbound(app)
    assert [(e.status, e.call_id) for e in events] == [("processed", None)] * 2


def test_the_hubs_cloud_account_is_known_by_its_account_id(app, client, demo, monkeypatch):
    monkeypatch.setenv("HUB_JIRA_ACCOUNT", "5b10ac8d82e05b22cc7d4ef5")
    before = n_calls(app)
    payload = p.issue_created("AMSD-1")
    payload["user"] = {"accountId": "5b10ac8d82e05b22cc7d4ef5", "displayName": "SLA Hub"}
    post(client, payload)
    apply_inbound(app)
    assert n_calls(app) == before
