"""Bearer tokens and roles on the JSON API.

Missing, garbled, unknown and revoked tokens are 401s; each role may use exactly the
endpoints its ``@doc(roles=...)`` names (checked against a table written out here, so a
changed role is a deliberate change); a client viewer sees only its own client's data.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from hub.db import db, utcnow
from hub.models import (
    ApiToken,
    Application,
    Call,
    CallEvent,
    Client,
    Contact,
    Contract,
    OutboxDelivery,
    Person,
    TimeEntry,
    User,
)
from tests.conftest import bearer

ALL = ("admin", "sla_manager", "associate", "client_viewer")
STAFF = ("admin", "sla_manager", "associate")
MANAGERS = ("admin", "sla_manager")
#: The demo's login per role (tokens in the ``demo`` fixture).
USERS = {"admin": "admin", "sla_manager": "bas", "associate": "anja", "client_viewer": "amarant"}
TABLES = (Call, CallEvent, TimeEntry, OutboxDelivery, Client, Contact, Contract, Application)

#: Every API endpoint: a request on demo data, and the roles allowed to make it.
ENDPOINTS = {
    "api.create_call": ("POST", "/api/v1/calls", ALL),
    "api.list_calls": ("GET", "/api/v1/calls", ALL),
    "api.get_call": ("GET", "/api/v1/calls/1", ALL),
    "api.patch_call": ("PATCH", "/api/v1/calls/1", STAFF),
    "api.transition": ("POST", "/api/v1/calls/1/transitions", STAFF),
    "api.add_note": ("POST", "/api/v1/calls/1/notes", ALL),
    "api.add_time": ("POST", "/api/v1/calls/1/time", STAFF),
    "api.escalate": ("POST", "/api/v1/calls/1/escalations", STAFF),
    "api.document": ("POST", "/api/v1/calls/1/documented", STAFF),
    "api.list_clients": ("GET", "/api/v1/clients", ALL),
    "api.create_client": ("POST", "/api/v1/clients", MANAGERS),
    "api.get_client": ("GET", "/api/v1/clients/amarant", ALL),
    "api.patch_client": ("PATCH", "/api/v1/clients/amarant", MANAGERS),
    "api.add_contact": ("POST", "/api/v1/clients/amarant/contacts", MANAGERS),
    "api.list_contracts": ("GET", "/api/v1/contracts", ALL),
    "api.create_contract": ("POST", "/api/v1/contracts", MANAGERS),
    "api.get_contract": ("GET", "/api/v1/contracts/amarant-sla-2026", ALL),
    "api.get_clocks": ("GET", "/api/v1/calls/1/clocks", ALL),
    "api.get_roster": ("GET", "/api/v1/roster?line=joomla&month=2027-01", STAFF),
    "api.generate_roster": ("POST", "/api/v1/roster/generate", MANAGERS),
    "api.swap_duties": ("POST", "/api/v1/roster/swap", MANAGERS),
    "api.reassign_duty": ("POST", "/api/v1/roster/reassign", MANAGERS),
    "api.add_unavailable": ("POST", "/api/v1/people/anja/unavailable", STAFF),
    "api.set_certified": ("PUT", "/api/v1/people/anja/certified", MANAGERS),
    "api.duty_now": ("GET", "/api/v1/roster/now", STAFF),
    "api.patch_contract": ("PATCH", "/api/v1/contracts/amarant-sla-2026", MANAGERS),
    "api.list_applications": ("GET", "/api/v1/applications", ALL),
    "api.create_application": ("POST", "/api/v1/applications", MANAGERS),
    "api.get_application": ("GET", "/api/v1/applications/amarant-intranet", ALL),
    "api.patch_application": ("PATCH", "/api/v1/applications/amarant-intranet", MANAGERS),
    "api.list_people": ("GET", "/api/v1/people", STAFF),
    "api.create_person": ("POST", "/api/v1/people", MANAGERS),
    "api.get_person": ("GET", "/api/v1/people/bas", STAFF),
    "api.patch_person": ("PATCH", "/api/v1/people/bas", MANAGERS),
    "api.list_outbox": ("GET", "/api/v1/outbox", MANAGERS),
    "api.redrive": ("POST", "/api/v1/outbox/1/redrive", ("admin",)),
    "api.audit_trail": ("GET", "/api/v1/audit", ("admin",)),
    "api.openapi": ("GET", "/api/v1/openapi.json", ALL),
    "api.client_report_view": ("GET", "/api/v1/reports/clients/amarant?period=2026-11", ALL),
    "api.client_report_csv": ("GET", "/api/v1/reports/clients/amarant.csv?period=2026-11", ALL),
    "api.pay_tariffs": ("GET", "/api/v1/pay/tariffs", MANAGERS),
    "api.add_tariff": ("POST", "/api/v1/pay/tariffs", MANAGERS),
    "api.pay_activity": ("GET", "/api/v1/pay/people/anja/activity", MANAGERS),
    "api.add_handover_session": ("POST", "/api/v1/pay/handovers", MANAGERS),
    "api.add_team_meeting": ("POST", "/api/v1/pay/meetings", MANAGERS),
    "api.add_exam": ("POST", "/api/v1/pay/exams", MANAGERS),
    "api.get_statement": ("GET", "/api/v1/pay/statements/anja/2026-Q1", MANAGERS),
    "api.get_statement_csv": ("GET", "/api/v1/pay/statements/anja/2026-Q1.csv", MANAGERS),
    "api.issue_statement": ("POST", "/api/v1/pay/statements", MANAGERS),
    "api.hours_verdict": ("POST", "/api/v1/calls/1/hours-verdict", (*MANAGERS, "client_viewer")),
    "api.hours_resolution": ("POST", "/api/v1/calls/1/hours-resolution", MANAGERS),
    "api.hours_ledger": ("GET", "/api/v1/contracts/amarant-sla-2026/hours", ALL),
    "api.hours_purchase": ("POST", "/api/v1/contracts/amarant-sla-2026/hours/purchases", MANAGERS),
    "api.privacy_contact_export": ("GET", "/api/v1/privacy/contacts/1/export", ("admin",)),
    "api.privacy_client_export": ("GET", "/api/v1/privacy/clients/amarant/export", ("admin",)),
    "api.privacy_contact_erase": ("POST", "/api/v1/privacy/contacts/1/erase", ("admin",)),
}


def counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        return {
            m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in TABLES
        }


def send(client: FlaskClient, endpoint: str, headers: dict[str, str]):  # noqa: ANN201
    """The endpoint's request; writes carry an empty object (refused or a no-op)."""
    method, url, _ = ENDPOINTS[endpoint]
    body = {} if method in ("POST", "PATCH") else None
    return client.open(url, method=method, json=body, headers=headers)


def test_the_table_is_what_the_views_declare(app):
    declared = {
        name: view.api_doc["roles"] or ALL
        for name, view in app.view_functions.items()
        if name.startswith("api.")
    }
    assert declared == {name: roles for name, (_, _, roles) in ENDPOINTS.items()}


# --- tokens -----------------------------------------------------------------------------


#: Authorization headers that carry no valid token (None: no header at all).
NO_TOKEN = [
    None,
    "",
    "Bearer",
    "Bearer ",
    "Bearer    ",
    "Basic YWRtaW46c2VjcmV0",
    "Token shub_abc",
    "Bearer not-a-token",
    "Bearer shub_" + "x" * 43,
    "Bearer \u00e9\u00e8",
]


def test_no_valid_token_is_401_json_and_writes_nothing(app, client, demo, subtests):
    for header in NO_TOKEN:
        headers = {} if header is None else {"Authorization": header}
        with subtests.test(header=header):
            before = counts(app)
            for endpoint in ("api.list_calls", "api.get_call", "api.create_call", "api.redrive"):
                resp = send(client, endpoint, headers)
                assert resp.status_code == 401, (endpoint, resp.json)
                assert resp.is_json and resp.json["field"] == "Authorization"
                assert resp.json["error"]
            assert client.get("/api/v1/calls/999", headers=headers).status_code == 401
            assert counts(app) == before


def test_scheme_is_case_insensitive(client, demo):
    resp = client.get("/api/v1/calls", headers={"Authorization": f"bearer {demo['tokens']['bas']}"})
    assert resp.status_code == 200


def test_revoked_token_is_401(app, client, demo):
    token = demo["tokens"]["bas"]
    assert client.get("/api/v1/calls", headers=bearer(token)).status_code == 200
    with app.app_context():
        db.session.execute(update(ApiToken).where(ApiToken.name == "test").values(revoked=True))
        db.session.commit()
    resp = client.get("/api/v1/calls", headers=bearer(token))
    assert resp.status_code == 401
    assert resp.json == {"error": "unknown or revoked token", "field": "Authorization"}
    assert client.get("/api/v1/calls", headers=bearer(demo["tokens"]["admin"])).status_code == 200


def test_token_of_an_inactive_user_is_401(app, client, demo):
    with app.app_context():
        db.session.execute(update(User).where(User.username == "anja").values(active=False))
        db.session.commit()
    assert client.get("/api/v1/calls", headers=bearer(demo["tokens"]["anja"])).status_code == 401
    assert client.get("/api/v1/calls", headers=bearer(demo["tokens"]["bas"])).status_code == 200


def last_used(app: Flask, username: str):  # noqa: ANN201
    with app.app_context():
        return db.session.scalar(
            select(ApiToken.last_used_at)
            .join(User)
            .where(User.username == username, ApiToken.name == "test")
        )


def test_last_use_is_noted_on_reads_too_at_most_every_five_minutes(app, client, demo):
    assert last_used(app, "bas") is None
    client.get("/api/v1/calls", headers=bearer(demo["tokens"]["bas"]))
    first = last_used(app, "bas")
    assert first is not None
    client.get("/api/v1/calls", headers=bearer(demo["tokens"]["bas"]))
    assert last_used(app, "bas") == first
    with app.app_context():
        old = utcnow() - timedelta(minutes=6)
        db.session.execute(update(ApiToken).values(last_used_at=old))
        db.session.commit()
    resp = client.get("/api/v1/people", headers=bearer(demo["tokens"]["amarant"]))
    assert resp.status_code == 403  # a refused request still counts as a use
    assert last_used(app, "amarant") > old


def test_openapi_needs_no_token(client, demo):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200 and resp.json["openapi"].startswith("3.1")


# --- roles ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL)
def test_each_role_gets_exactly_its_endpoints(app, client, demo, role):
    headers = bearer(demo["tokens"][USERS[role]])
    wrong = []
    for endpoint, (method, _, roles) in ENDPOINTS.items():
        before = counts(app)
        resp = send(client, endpoint, headers)
        if role in roles:
            ok = {200} if method == "GET" else {200, 409, 422}
            if resp.status_code not in ok:
                wrong.append((endpoint, resp.status_code, resp.json))
        elif resp.status_code != 403 or counts(app) != before:
            wrong.append((endpoint, resp.status_code, resp.json))
        elif not resp.json["error"].startswith(f"role {role} may not"):
            wrong.append((endpoint, "message", resp.json))
    assert wrong == []


def test_a_refused_role_writes_nothing_even_with_a_valid_body(app, client, demo):
    headers = bearer(demo["tokens"]["anja"])
    before = counts(app)
    resp = client.post("/api/v1/clients", json={"key": "beta", "name": "Beta"}, headers=headers)
    assert resp.status_code == 403
    headers = bearer(demo["tokens"]["amarant"])
    resp = client.post("/api/v1/calls/1/transitions", json={"to": "resolved"}, headers=headers)
    assert resp.status_code == 403
    resp = client.post(
        "/api/v1/calls/1/time", json={"person": "anja", "minutes": 5}, headers=headers
    )
    assert resp.status_code == 403
    assert counts(app) == before


# --- the client viewer's own client only ------------------------------------------------


@pytest.fixture
def beta(client: FlaskClient, demo: dict) -> int:
    """A second client with a contract, an application and a call; returns the call's id."""
    headers = bearer(demo["tokens"]["admin"])
    targets = {
        p: {"response_minutes": 60, "resolution_minutes": 600} for p in ("P1", "P2", "P3", "P4")
    }
    for url, body in (
        ("/api/v1/clients", {"key": "beta", "name": "Beta"}),
        (
            "/api/v1/contracts",
            {
                "client": "beta",
                "reference": "beta-sla",
                "name": "Beta SLA",
                "valid_from": "2000-01-01",
                "targets": targets,
            },
        ),
        ("/api/v1/applications", {"client": "beta", "key": "beta-site", "name": "Beta site"}),
        ("/api/v1/calls", {"client": "beta", "title": "Beta is down", "application": "beta-site"}),
    ):
        resp = client.post(url, json=body, headers=headers)
        assert resp.status_code == 201, resp.json
    return resp.json["id"]


@pytest.fixture
def viewer(demo: dict) -> dict[str, str]:
    return bearer(demo["tokens"]["amarant"])


def keys(resp, field: str) -> list:  # noqa: ANN001
    assert resp.status_code == 200, resp.json
    return [item[field] for item in resp.json["items"]]


def test_viewer_lists_only_its_own_client(client, beta, viewer):
    assert keys(client.get("/api/v1/calls", headers=viewer), "client") == ["amarant"] * 3
    assert client.get("/api/v1/calls", headers=viewer).json["total"] == 3
    resp = client.get("/api/v1/calls", query_string={"client": "beta"}, headers=viewer)
    assert resp.json["total"] == 0 and resp.json["items"] == []
    resp = client.get("/api/v1/calls", query_string={"q": "Beta"}, headers=viewer)
    assert resp.json["total"] == 0
    assert keys(client.get("/api/v1/clients", headers=viewer), "key") == ["amarant"]
    assert keys(client.get("/api/v1/contracts", headers=viewer), "reference") == [
        "amarant-sla-2026"
    ]
    resp = client.get("/api/v1/contracts", query_string={"client": "beta"}, headers=viewer)
    assert keys(resp, "reference") == []
    assert keys(client.get("/api/v1/applications", headers=viewer), "key") == ["amarant-intranet"]
    resp = client.get("/api/v1/applications", query_string={"client": "beta"}, headers=viewer)
    assert keys(resp, "key") == []


def test_staff_see_both_clients(client, demo, beta):
    headers = bearer(demo["tokens"]["anja"])
    assert client.get("/api/v1/calls", headers=headers).json["total"] == 4
    assert len(keys(client.get("/api/v1/clients", headers=headers), "key")) == 2
    assert client.get(f"/api/v1/calls/{beta}", headers=headers).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/clients/beta",
        "/api/v1/contracts/beta-sla",
        "/api/v1/applications/beta-site",
        "/api/v1/calls/{beta}",
    ],
)
def test_viewer_cannot_read_another_clients_rows(client, beta, viewer, url):
    resp = client.get(url.format(beta=beta), headers=viewer)
    assert resp.status_code == 403
    assert resp.json["error"]


def test_viewer_reads_its_own_rows(client, beta, viewer):
    for url in (
        "/api/v1/clients/amarant",
        "/api/v1/contracts/amarant-sla-2026",
        "/api/v1/applications/amarant-intranet",
        "/api/v1/calls/1",
    ):
        assert client.get(url, headers=viewer).status_code == 200, url


def test_viewer_cannot_write_to_another_clients_call(app, client, beta, viewer):
    before = counts(app)
    resp = client.post(f"/api/v1/calls/{beta}/notes", json={"note": "Hello"}, headers=viewer)
    assert resp.status_code == 403
    resp = client.post("/api/v1/calls", json={"client": "beta", "title": "X"}, headers=viewer)
    assert resp.status_code == 403 and resp.json["field"] == "client"
    assert counts(app) == before


def test_viewer_registers_calls_and_notes_for_its_own_client(app, client, beta, viewer):
    resp = client.post("/api/v1/calls", json={"client": "amarant", "title": "Typo"}, headers=viewer)
    assert resp.status_code == 201 and resp.json["client"] == "amarant"
    resp = client.post("/api/v1/calls/1/notes", json={"note": "Still down"}, headers=viewer)
    assert resp.status_code == 201 and resp.json["actor"] == "api:amarant"


def test_viewer_cannot_see_people_or_outbox_at_all(client, beta, viewer):
    for url in ("/api/v1/people", "/api/v1/people/bas", "/api/v1/outbox"):
        assert client.get(url, headers=viewer).status_code == 403, url


def test_person_rows_are_untouched_by_refusals(app, client, demo):
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Person))
    resp = client.post(
        "/api/v1/people", json={"key": "eva", "name": "Eva"}, headers=bearer(demo["tokens"]["anja"])
    )
    assert resp.status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Person)) == before
