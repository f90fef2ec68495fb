"""Calls through the JSON API: create, list and filter, get, change, transitions, notes,
time and escalations, each refusal checked to write nothing.

The demo holds three Amarant calls: 1 (P1, in_progress, 2-platform, kovoks),
2 (P4, resolved, 1-general, nobody) and 3 (P3, acknowledged, 3-application, ronald).
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from hub.db import db
from hub.models import Call, CallEvent, CallLink, OutboxDelivery, TimeEntry
from tests.conftest import bearer
from tests.test_calls import RECORDER

TABLES = (Call, CallEvent, CallLink, OutboxDelivery, TimeEntry)


def counts(app: Flask) -> dict[str, int]:
    """Rows per call-related table: a refused request must leave these unchanged."""
    with app.app_context():
        return {
            m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in TABLES
        }


def hooks(app: Flask, call_id: int) -> list[str]:
    """The hooks queued in the outbox for a call (to the recording test plugin), oldest first."""
    with app.app_context():
        stmt = (
            select(OutboxDelivery.hook)
            .where(OutboxDelivery.call_id == call_id, OutboxDelivery.plugin == RECORDER)
            .order_by(OutboxDelivery.id)
        )
        return list(db.session.scalars(stmt))


class Api:
    """The test client with the admin's token on every request."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client, self.headers = client, bearer(token)

    def get(self, url: str, **params: Any):  # noqa: ANN201
        return self.client.get(url, query_string=params, headers=self.headers)

    def post(self, url: str, body: Any):  # noqa: ANN201,ANN401
        return self.client.post(url, json=body, headers=self.headers)

    def patch(self, url: str, body: Any):  # noqa: ANN201,ANN401
        return self.client.patch(url, json=body, headers=self.headers)


@pytest.fixture
def api(client: FlaskClient, demo: dict) -> Api:
    return Api(client, demo["tokens"]["admin"])


def create(api: Api, **fields: Any) -> dict:
    resp = api.post("/api/v1/calls", {"client": "amarant", "title": "Menu broken", **fields})
    assert resp.status_code == 201, resp.json
    return resp.json


def refused(app: Flask, api: Api, method: str, url: str, body: Any, status: int) -> dict:  # noqa: ANN401
    """Send a request that must be refused with ``status`` and change no row."""
    before = counts(app)
    resp = getattr(api, method)(url, body)
    assert resp.status_code == status, resp.json
    assert set(resp.json) >= {"error", "field"}
    assert counts(app) == before
    return resp.json


# --- create -----------------------------------------------------------------------------


def test_create_minimal_call_gets_the_defaults(app, api):
    before = counts(app)
    call = create(api, title="  Site down  ")
    assert call["title"] == "Site down"
    assert (call["priority"], call["category"], call["line"]) == ("P3", "incident", "1-general")
    assert (call["status"], call["source"], call["client"]) == ("new", "api", "amarant")
    assert call["assignee"] is None and call["application"] is None and call["links"] == []
    assert call["created_at"] and call["acknowledged_at"] is None
    after = counts(app)
    assert after["calls"] == before["calls"] + 1
    assert after["call_events"] == before["call_events"] + 1
    assert hooks(app, call["id"]) == ["hub_call_created"]


def test_create_full_call(api):
    call = create(
        api,
        title="Search is slow",
        priority="P2",
        category="problem",
        description="Takes 30 s since Monday",
        application="amarant-intranet",
        line="2-application",
        reporter="Helpdesk Amarant",
        assignee="ronald",
        links=[{"system": "mantis", "key": "123", "url": "https://mantis.example/123"}],
    )
    assert {k: call[k] for k in ("priority", "category", "application", "line", "assignee")} == {
        "priority": "P2",
        "category": "problem",
        "application": "amarant-intranet",
        "line": "2-application",
        "assignee": "ronald",
    }
    assert call["description"] == "Takes 30 s since Monday"
    assert call["reporter"] == "Helpdesk Amarant"
    assert call["links"] == [
        {"system": "mantis", "key": "123", "url": "https://mantis.example/123"}
    ]


def test_create_takes_the_clients_current_contract(api):
    api.post("/api/v1/clients", {"key": "beta", "name": "Beta"})
    targets = {
        p: {"response_minutes": 60, "resolution_minutes": 600} for p in ("P1", "P2", "P3", "P4")
    }
    resp = api.post(
        "/api/v1/contracts",
        {
            "client": "beta",
            "reference": "beta-sla",
            "name": "Beta SLA",
            "valid_from": "2000-01-01",
            "targets": targets,
        },
    )
    assert resp.status_code == 201, resp.json
    assert create(api, client="beta")["contract"] == "beta-sla"
    api.post("/api/v1/clients", {"key": "gamma", "name": "Gamma"})
    assert create(api, client="gamma")["contract"] is None


def test_create_with_a_link_already_taken_is_a_conflict_and_writes_nothing(app, api):
    link = {"system": "mantis", "key": "77"}
    create(api, links=[link])
    body = {"client": "amarant", "title": "Again", "links": [link]}
    err = refused(app, api, "post", "/api/v1/calls", body, 409)
    assert err["field"] == "links"


def test_create_with_the_same_link_twice_links_it_once(api):
    link = {"system": "mantis", "key": "78"}
    assert len(create(api, links=[link, link])["links"]) == 1


# --- list -------------------------------------------------------------------------------


@pytest.fixture
def many(api: Api) -> dict[str, int]:
    """Besides the demo's three: calls that each filter can tell apart."""
    ids = {
        "p2": create(api, title="Print layout", priority="P2")["id"],
        "percent": create(api, title="100% CPU", description="load_avg high")["id"],
        "anja": create(api, title="Anja's", assignee="anja", line="2-application")["id"],
    }
    api.post("/api/v1/clients", {"key": "beta", "name": "Beta"})
    ids["beta"] = create(api, client="beta", title="Beta menu")["id"]
    return ids


def listed(api: Api, **params: Any) -> list[int]:
    resp = api.get("/api/v1/calls", **params)
    assert resp.status_code == 200, resp.json
    return [c["id"] for c in resp.json["items"]]


def test_list_is_newest_first_with_total(api, many):
    resp = api.get("/api/v1/calls")
    assert resp.json["total"] == 7
    assert [c["id"] for c in resp.json["items"]] == [7, 6, 5, 4, 3, 2, 1]
    assert (resp.json["page"], resp.json["per_page"]) == (1, 50)


LIST_FILTERS = [
    ({"client": "beta"}, ["beta"]),
    ({"client": "nobody"}, []),
    ({"status": "resolved"}, [2]),
    ({"status": "in_progress"}, [1]),
    ({"line": "2-application"}, ["anja"]),
    ({"line": "3-application"}, [3]),
    ({"priority": "P2"}, ["p2"]),
    ({"priority": "P1"}, [1]),
    ({"assignee": "anja"}, ["anja"]),
    ({"assignee": "kovoks"}, [1]),
    ({"q": "print"}, ["p2"]),  # case-insensitive, in the title
    ({"q": "LOAD_AVG"}, ["percent"]),  # in the description
    ({"q": "%"}, ["percent"]),  # wildcards are literal
    ({"q": "_"}, ["percent"]),
    ({"q": "menu"}, ["beta"]),
    ({"q": ""}, ["beta", "anja", "percent", "p2", 3, 2, 1]),
    ({"client": "amarant", "priority": "P3", "status": "new"}, ["anja", "percent"]),
    ({"client": "beta", "assignee": "anja"}, []),
]


def test_list_filters(api, many, subtests):
    for case in LIST_FILTERS:
        params, expected = case
        with subtests.test(case=case):
            want = [many[x] if isinstance(x, str) else x for x in expected]
            assert listed(api, **params) == sorted(want, reverse=True)
            assert api.get("/api/v1/calls", **params).json["total"] == len(want)


BAD_FILTERS = [
    ("status", "open"),
    ("line", "4-nowhere"),
    ("priority", "P9"),
    ("q", "x" * 201),
]


def test_list_refuses_unknown_filter_values(api, subtests):
    for case in BAD_FILTERS:
        name, value = case
        with subtests.test(case=case):
            resp = api.get("/api/v1/calls", **{name: value})
            assert resp.status_code == 422
            assert resp.json["field"] == name


def test_list_pages(api, many):
    pages = [api.get("/api/v1/calls", page=n, per_page=3).json for n in (1, 2, 3, 4)]
    assert [[c["id"] for c in p["items"]] for p in pages] == [[7, 6, 5], [4, 3, 2], [1], []]
    assert {p["total"] for p in pages} == {7}
    assert [(p["page"], p["per_page"]) for p in pages] == [(1, 3), (2, 3), (3, 3), (4, 3)]


def test_list_pages_with_a_filter_count_the_filtered_rows(api, many):
    page = api.get("/api/v1/calls", client="amarant", per_page=2, page=2).json
    assert page["total"] == 6
    assert [c["id"] for c in page["items"]] == [4, 3]


BAD_PAGING = [
    ("page", "0"),
    ("page", "-1"),
    ("page", "x"),
    ("per_page", "0"),
    ("per_page", "501"),
]


def test_list_refuses_bad_paging(api, subtests):
    for case in BAD_PAGING:
        name, value = case
        with subtests.test(case=case):
            resp = api.get("/api/v1/calls", **{name: value})
            assert resp.status_code == 422
            assert resp.json["field"] == name


def test_page_size_follows_the_settings(api, app, many):
    app.config["API_PAGE_SIZE"] = 4
    assert api.get("/api/v1/calls").json["per_page"] == 4
    assert len(listed(api)) == 4
    assert api.get("/api/v1/calls", per_page=500).status_code == 200


# --- get --------------------------------------------------------------------------------


def test_get_has_the_whole_history(api):
    call = api.get("/api/v1/calls/1").json
    assert (call["id"], call["status"], call["line"], call["assignee"]) == (
        1,
        "in_progress",
        "2-platform",
        "kovoks",
    )
    kinds = [e["kind"] for e in call["events"]]
    assert kinds == ["created", "status", "changed", "escalated", "status", "time"]
    assert call["events"][3]["data"]["to_line"] == "2-platform"
    changed = call["events"][2]
    assert changed["data"]["line"] == {"from": "1-general", "to": "2-platform"}
    assert changed["actor"] == "user:bas" and changed["note"].startswith("Database server")
    assert all(e["at"] and e["id"] for e in call["events"])


def test_list_items_carry_no_history(api):
    assert "events" not in api.get("/api/v1/calls").json["items"][0]


def test_get_unknown_call_is_404(api):
    resp = api.get("/api/v1/calls/999")
    assert resp.status_code == 404
    assert resp.json == {"error": "no call 999", "field": "id"}


# --- change -----------------------------------------------------------------------------


def test_patch_priority_records_the_change(app, api):
    resp = api.patch("/api/v1/calls/3", {"priority": "P1", "note": "Security release"})
    assert resp.status_code == 200
    assert resp.json["priority"] == "P1"
    last = api.get("/api/v1/calls/3").json["events"][-1]
    assert last["kind"] == "changed" and last["actor"] == "api:admin"
    assert last["data"] == {"priority": {"from": "P3", "to": "P1"}}
    assert last["note"] == "Security release"
    assert hooks(app, 3)[-1] == "hub_call_changed"


def test_patch_line_upwards_is_an_escalation(app, api):
    call = create(api)
    resp = api.patch(f"/api/v1/calls/{call['id']}", {"line": "2-application"})
    assert resp.json["line"] == "2-application"
    assert hooks(app, call["id"]) == ["hub_call_created", "hub_call_changed", "hub_call_escalated"]
    events = api.get(f"/api/v1/calls/{call['id']}").json["events"]
    changed = [e for e in events if e["kind"] == "changed"]
    assert [e["data"] for e in changed] == [{"line": {"from": "1-general", "to": "2-application"}}]


def test_patch_line_downwards_is_no_escalation(app, api):
    queued = len(hooks(app, 3))
    resp = api.patch("/api/v1/calls/3", {"line": "1-product"})
    assert resp.json["line"] == "1-product"
    assert hooks(app, 3)[queued:] == ["hub_call_changed"]


def test_patch_assignee_and_back_to_nobody(api):
    resp = api.patch("/api/v1/calls/2", {"assignee": "anja"})
    assert resp.json["assignee"] == "anja"
    resp = api.patch("/api/v1/calls/2", {"assignee": None})
    assert resp.status_code == 200
    assert resp.json["assignee"] is None
    events = api.get("/api/v1/calls/2").json["events"]
    assert [e["data"] for e in events[-2:]] == [
        {"assignee": {"from": None, "to": "anja"}},
        {"assignee": {"from": "anja", "to": None}},
    ]


def test_patch_several_fields_is_one_event(api):
    body = {"title": "Upgrade Joomla 5", "category": "problem", "priority": "P2"}
    assert api.patch("/api/v1/calls/3", body).status_code == 200
    last = api.get("/api/v1/calls/3").json["events"][-1]
    assert set(last["data"]) == {"title", "category", "priority"}


def test_patch_without_a_change_writes_nothing(app, api):
    before = counts(app)
    for body in ({}, {"priority": "P3"}, {"assignee": "ronald"}):
        resp = api.patch("/api/v1/calls/3", body)
        assert resp.status_code == 200
        assert resp.json["priority"] == "P3"
    assert counts(app) == before


PATCH_REFUSALS = [
    ({"assignee": "nobody"}, 422, "assignee"),
    ({"priority": "P0"}, 422, "priority"),
    ({"line": "4-nowhere"}, 422, "line"),
    ({"title": " "}, 422, "title"),
    ({"title": None}, 422, "title"),
    ({"priority": None}, 422, "priority"),
    ({"status": "closed"}, 422, "status"),  # status moves by transitions only
    ({"client": "beta"}, 422, "client"),
]


def test_patch_refusals_write_nothing(app, api, subtests):
    for case in PATCH_REFUSALS:
        body, status, field = case
        with subtests.test(case=case):
            assert refused(app, api, "patch", "/api/v1/calls/3", body, status)["field"] == field
            assert api.get("/api/v1/calls/3").json["priority"] == "P3"


def test_patch_unknown_call_is_404(app, api):
    refused(app, api, "patch", "/api/v1/calls/999", {"priority": "P1"}, 404)


# --- transitions ------------------------------------------------------------------------


def test_transitions_along_the_lifecycle(app, api):
    call_id = create(api)["id"]
    url = f"/api/v1/calls/{call_id}/transitions"
    call = api.post(url, {"to": "acknowledged"}).json
    assert call["status"] == "acknowledged" and call["acknowledged_at"]
    call = api.post(url, {"to": "resolved", "note": "Fixed the menu"}).json
    assert call["status"] == "resolved" and call["resolved_at"]
    call = api.post(url, {"to": "closed"}).json
    assert call["status"] == "closed" and call["closed_at"]
    call = api.post(url, {"to": "reopened"}).json
    assert call["resolved_at"] is None and call["closed_at"] is None
    events = api.get(f"/api/v1/calls/{call_id}").json["events"]
    assert [e["data"]["status"]["to"] for e in events[1:]] == [
        "acknowledged",
        "resolved",
        "closed",
        "reopened",
    ]
    assert events[2]["note"] == "Fixed the menu"
    assert hooks(app, call_id).count("hub_call_resolved") == 1


NOT_ALLOWED = [
    (1, "new", ["waiting_for_client", "resolved"]),
    (1, "closed", ["waiting_for_client", "resolved"]),
    (2, "in_progress", ["closed", "reopened"]),
    (3, "acknowledged", ["in_progress", "waiting_for_client", "resolved"]),
]


def test_transition_not_allowed_is_409_listing_the_allowed(app, api, subtests):
    for case in NOT_ALLOWED:
        call_id, to, allowed = case
        with subtests.test(case=case):
            url = f"/api/v1/calls/{call_id}/transitions"
            err = refused(app, api, "post", url, {"to": to}, 409)
            assert err["field"] == "to"
            assert err["allowed"] == allowed


def test_transition_to_an_unknown_status_is_422(app, api):
    err = refused(app, api, "post", "/api/v1/calls/1/transitions", {"to": "done"}, 422)
    assert err["field"] == "to"


def test_transition_of_unknown_call_is_404(app, api):
    refused(app, api, "post", "/api/v1/calls/999/transitions", {"to": "acknowledged"}, 404)


# --- notes and time ---------------------------------------------------------------------


def test_note_is_added_to_the_history(app, api):
    resp = api.post("/api/v1/calls/2/notes", {"note": "  Client confirmed  "})
    assert resp.status_code == 201
    event = resp.json
    assert (event["kind"], event["note"], event["actor"]) == (
        "note",
        "Client confirmed",
        "api:admin",
    )
    assert api.get("/api/v1/calls/2").json["events"][-1] == event
    assert hooks(app, 2)[-1] == "hub_call_changed"


EMPTY_NOTES = [{"note": ""}, {"note": "   "}, {}, {"note": None}]


def test_empty_note_is_refused(app, api, subtests):
    for body in EMPTY_NOTES:
        with subtests.test(body=body):
            assert refused(app, api, "post", "/api/v1/calls/2/notes", body, 422)["field"] == "note"


def test_time_is_booked(app, api):
    before = counts(app)
    resp = api.post("/api/v1/calls/1/time", {"person": "ronald", "minutes": 90, "note": "Logs"})
    assert resp.status_code == 201
    entry = resp.json
    assert (entry["call"], entry["person"], entry["minutes"], entry["note"]) == (
        1,
        "ronald",
        90,
        "Logs",
    )
    assert entry["created_by"] == "api:admin"
    assert counts(app)["time_entries"] == before["time_entries"] + 1
    last = api.get("/api/v1/calls/1").json["events"][-1]
    assert (last["kind"], last["data"]) == ("time", {"person": "ronald", "minutes": 90})


TIME_REFUSALS = [
    ({"person": "ronald", "minutes": 0}, "minutes"),
    ({"person": "ronald", "minutes": 1441}, "minutes"),
    ({"person": "ronald", "minutes": 1.5}, "minutes"),
    ({"person": "nobody", "minutes": 10}, "person"),
    ({"minutes": 10}, "person"),
]


def test_time_refusals_write_nothing(app, api, subtests):
    for case in TIME_REFUSALS:
        body, field = case
        with subtests.test(case=case):
            assert refused(app, api, "post", "/api/v1/calls/1/time", body, 422)["field"] == field


def test_time_edges_are_accepted(api):
    for minutes in (1, 1440):
        resp = api.post("/api/v1/calls/1/time", {"person": "anja", "minutes": minutes})
        assert resp.status_code == 201


# --- escalations ------------------------------------------------------------------------


def test_functional_escalation_moves_line_and_assignee(app, api):
    body = {
        "kind": "functional",
        "to_line": "2-application",
        "to_person": "ronald",
        "reason": "Needs code",
    }
    resp = api.post("/api/v1/calls/2/escalations", body)
    assert resp.status_code == 200
    assert (resp.json["line"], resp.json["assignee"]) == ("2-application", "ronald")
    last = api.get("/api/v1/calls/2").json["events"][-1]
    assert last["kind"] == "escalated" and last["note"] == "Needs code"
    assert last["data"]["kind"] == "functional"
    assert (last["data"]["from_line"], last["data"]["to_line"]) == ("1-general", "2-application")
    assert hooks(app, 2)[-2:] == ["hub_call_changed", "hub_call_escalated"]


def test_functional_escalation_without_a_person_goes_to_who_serves_that_line(api):
    resp = api.post(
        "/api/v1/calls/1/escalations", {"kind": "functional", "to_line": "3-application"}
    )
    # The line plan: the application's 3rd line is its developer (demo team: Ronald).
    assert (resp.json["line"], resp.json["assignee"]) == ("3-application", "ronald")


def test_hierarchical_escalation_names_a_person_and_keeps_line_and_assignee(app, api):
    body = {"kind": "hierarchical", "to_person": "bas", "reason": "Client is unhappy"}
    queued = len(hooks(app, 3))
    resp = api.post("/api/v1/calls/3/escalations", body)
    assert resp.status_code == 200
    assert (resp.json["line"], resp.json["assignee"]) == ("3-application", "ronald")
    last = api.get("/api/v1/calls/3").json["events"][-1]
    assert last["kind"] == "escalated"
    assert (last["data"]["kind"], last["data"]["to_person"]) == ("hierarchical", "bas")
    assert hooks(app, 3)[queued:] == ["hub_call_escalated"]  # nothing changed on the call


ESCALATION_REFUSALS = [
    ({"kind": "functional", "to_line": "2-platform"}, 409, "to_line"),  # same line
    ({"kind": "functional", "to_line": "1-general"}, 409, "to_line"),  # lower line
    ({"kind": "functional", "to_person": "ronald"}, 422, "to_line"),
    ({"kind": "functional", "to_line": "9-x"}, 422, "to_line"),
    ({"kind": "functional", "to_line": "3-application", "to_person": "x"}, 422, "to_person"),
    ({"kind": "hierarchical"}, 422, "to_person"),
    ({"kind": "hierarchical", "to_person": "nobody"}, 422, "to_person"),
    ({"kind": "sideways", "to_person": "bas"}, 422, "kind"),
    ({"to_line": "3-application"}, 422, "kind"),
]


def test_escalation_refusals_write_nothing(app, api, subtests):
    for case in ESCALATION_REFUSALS:
        body, status, field = case
        with subtests.test(case=case):
            err = refused(app, api, "post", "/api/v1/calls/1/escalations", body, status)
            assert err["field"] == field
            call = api.get("/api/v1/calls/1").json
            assert (call["line"], call["assignee"]) == ("2-platform", "kovoks")


def test_escalation_of_unknown_call_is_404(app, api):
    body = {"kind": "hierarchical", "to_person": "bas"}
    refused(app, api, "post", "/api/v1/calls/999/escalations", body, 404)


def test_a_calls_clocks_are_read_with_business_time_used_and_left(api):
    resp = api.get("/api/v1/calls/1/clocks")
    assert resp.status_code == 200
    clocks = {c["kind"]: c for c in resp.json["clocks"]}
    assert set(clocks) >= {"response", "resolution", "line"}
    assert clocks["response"]["state"] == "met", "the demo's P1 was acknowledged"
    resolution = clocks["resolution"]
    assert resolution["target_minutes"] == 240 and resolution["outcome"] is None
    assert resolution["used_minutes"] + resolution["left_minutes"] == pytest.approx(240)
    assert api.get("/api/v1/calls/999999/clocks").status_code == 404
