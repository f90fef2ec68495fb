"""Clients, contacts, contracts, applications and people through the JSON API: read and
write, validation, conflicts on duplicate keys and 404s, each refusal writing nothing."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from hub.db import db
from hub.models import (
    Application,
    ApplicationMember,
    Client,
    Contact,
    Contract,
    Person,
    ServiceTarget,
)
from hub.sla.clocks import DEFAULT_CALENDAR
from tests.conftest import bearer

TABLES = (Client, Contact, Contract, ServiceTarget, Application, ApplicationMember, Person)
TARGETS = {
    "P1": {"response_minutes": 15, "resolution_minutes": 120},
    "P2": {"response_minutes": 60, "resolution_minutes": 480},
    "P3": {"response_minutes": 240, "resolution_minutes": 2400},
    "P4": {"response_minutes": 480, "resolution_minutes": 4800},
}


def counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        return {
            m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in TABLES
        }


class Api:
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


def refused(app: Flask, api: Api, method: str, url: str, body: Any, status: int) -> dict:  # noqa: ANN401
    """Send a request that must be refused with ``status`` and change no row."""
    before = counts(app)
    resp = getattr(api, method)(url, body)
    assert resp.status_code == status, resp.json
    assert set(resp.json) >= {"error", "field"}
    assert counts(app) == before
    return resp.json


def contract_body(**fields: Any) -> dict:
    return {
        "client": "amarant",
        "reference": "amarant-extra",
        "name": "Extra hours",
        "valid_from": "2026-01-01",
        "targets": TARGETS,
        **fields,
    }


# --- clients and contacts ---------------------------------------------------------------


def test_list_clients_with_contacts(api):
    resp = api.get("/api/v1/clients")
    assert resp.json["total"] == 1
    amarant = resp.json["items"][0]
    assert (amarant["key"], amarant["name"]) == ("amarant", "Amarant")
    assert [c["role"] for c in amarant["contacts"]] == [
        "users",
        "helpdesk",
        "functional/technical administrators",
        "central reporting point",
    ]


def test_create_get_and_rename_a_client(api):
    resp = api.post("/api/v1/clients", {"key": "beta", "name": "  Beta BV "})
    assert resp.status_code == 201
    assert resp.json["key"] == "beta" and resp.json["name"] == "Beta BV"
    assert resp.json["contacts"] == [] and resp.json["created_at"]
    assert api.get("/api/v1/clients/beta").json == resp.json
    resp = api.patch("/api/v1/clients/beta", {"name": "Beta Group"})
    assert resp.status_code == 200 and resp.json["name"] == "Beta Group"
    assert [c["key"] for c in api.get("/api/v1/clients").json["items"]] == ["amarant", "beta"]


def test_add_a_contact(api):
    body = {"name": "Eva", "email": "eva@amarant.example", "phone": "+31 6 1", "role": "helpdesk"}
    resp = api.post("/api/v1/clients/amarant/contacts", body)
    assert resp.status_code == 201
    assert {k: resp.json[k] for k in body} == body
    contacts = api.get("/api/v1/clients/amarant").json["contacts"]
    assert contacts[-1] == resp.json


CLIENT_REFUSALS = [
    ("post", "/api/v1/clients", {"key": "amarant", "name": "Again"}, 409, "key"),
    ("post", "/api/v1/clients", {"key": "Beta", "name": "Beta"}, 422, "key"),
    ("post", "/api/v1/clients", {"key": "beta", "name": "  "}, 422, "name"),
    ("post", "/api/v1/clients", {"key": "beta"}, 422, "name"),
    ("patch", "/api/v1/clients/amarant", {"name": None}, 422, "name"),
    ("patch", "/api/v1/clients/amarant", {"name": "X", "key": "other"}, 422, "key"),
    ("patch", "/api/v1/clients/nobody", {"name": "X"}, 404, "key"),
    ("post", "/api/v1/clients/nobody/contacts", {"name": "Eva"}, 404, "key"),
    ("post", "/api/v1/clients/amarant/contacts", {"name": "Eva", "email": "eva"}, 422, "email"),
    ("post", "/api/v1/clients/amarant/contacts", {"email": "e@x.example"}, 422, "name"),
]


def test_client_refusals_write_nothing(app, api, subtests):
    for case in CLIENT_REFUSALS:
        method, url, body, status, field = case
        with subtests.test(case=case):
            assert refused(app, api, method, url, body, status)["field"] == field
            assert api.get("/api/v1/clients/amarant").json["name"] == "Amarant"


def test_unknown_client_is_404(api):
    resp = api.get("/api/v1/clients/nobody")
    assert resp.status_code == 404
    assert resp.json == {"error": "no client 'nobody'", "field": "key"}


# --- contracts --------------------------------------------------------------------------


def test_demo_contract(api):
    contract = api.get("/api/v1/contracts/amarant-sla-2026").json
    assert contract["client"] == "amarant" and contract["timezone"] == "Europe/Amsterdam"
    assert (contract["fixed_fee"], contract["hours_card"]) == ("2400.00", "40.00")
    assert contract["targets"]["P1"] == {"response_minutes": 30, "resolution_minutes": 240}
    assert (contract["valid_from"], contract["valid_until"]) == ("2026-01-01", "2027-12-31")


def test_create_a_contract_with_targets_for_all_four_priorities(app, api):
    before = counts(app)
    body = contract_body(
        timezone="America/New_York",
        calendar={"working_hours": {"mon": ["09:00", "17:00"]}, "country": "US"},
        availability="Mon 09-17",
        services=["helpdesk", "incident_management"],
        warning_percent=80,
        fixed_fee="1234.50",
        hours_card="10",
        valid_until="2026-12-31",
    )
    resp = api.post("/api/v1/contracts", body)
    assert resp.status_code == 201, resp.json
    contract = resp.json
    assert contract["targets"] == TARGETS
    assert (contract["fixed_fee"], contract["hours_card"]) == ("1234.50", "10.00")
    assert contract["calendar"] == body["calendar"] and contract["services"] == body["services"]
    assert (contract["timezone"], contract["warning_percent"]) == ("America/New_York", 80)
    assert (contract["valid_from"], contract["valid_until"]) == ("2026-01-01", "2026-12-31")
    assert api.get("/api/v1/contracts/amarant-extra").json == contract
    after = counts(app)
    assert (after["contracts"], after["service_targets"]) == (
        before["contracts"] + 1,
        before["service_targets"] + 4,
    )


def test_contract_defaults(api):
    contract = api.post("/api/v1/contracts", contract_body()).json
    assert contract["timezone"] == "Europe/Amsterdam"
    assert (contract["fixed_fee"], contract["hours_card"]) == ("0.00", "0.00")
    assert (contract["warning_percent"], contract["services"], contract["calendar"]) == (
        75,
        [],
        DEFAULT_CALENDAR,
    ), "a contract without a calendar gets Dutch office hours"
    assert contract["valid_until"] is None


def test_money_as_a_number_is_accepted_too(api):
    contract = api.post("/api/v1/contracts", contract_body(fixed_fee=99.5)).json
    assert contract["fixed_fee"] == "99.50"


def without(priority: str) -> dict:
    return {p: t for p, t in TARGETS.items() if p != priority}


CONTRACT_REFUSALS = [
    ({"targets": without("P3")}, "targets"),
    ({"targets": {}}, "targets"),
    (
        {"targets": {**TARGETS, "P2": {"response_minutes": 60, "resolution_minutes": 59}}},
        "targets.P2",
    ),
    ({"targets": {**TARGETS, "P5": TARGETS["P1"]}}, "targets.P5.[key]"),
    ({"targets": {**TARGETS, "P1": {"response_minutes": 0, "resolution_minutes": 1}}}, None),
    (
        {"targets": {**TARGETS, "P1": {"response_minutes": "15", "resolution_minutes": 60}}},
        None,
    ),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"timezone": "../etc/passwd"}, "timezone"),
    ({"valid_until": "2025-12-31"}, "valid_until"),
    ({"valid_from": "2026-02-30"}, "valid_from"),
    ({"valid_from": None}, "valid_from"),
    ({"client": "nobody"}, "client"),
    ({"reference": "amarant-sla-2026"}, "reference"),
    ({"fixed_fee": "12.345"}, "fixed_fee"),
    ({"fixed_fee": "-1"}, "fixed_fee"),
    ({"fixed_fee": "lots"}, "fixed_fee"),
    ({"fixed_fee": "10000000000.00"}, "fixed_fee"),
    ({"hours_card": "100000000.00"}, "hours_card"),
    ({"services": ["coffee"]}, "services.0"),
    ({"warning_percent": 100}, "warning_percent"),
    ({"name": ""}, "name"),
]


def test_contract_validation_writes_nothing(app, api, subtests):
    for case in CONTRACT_REFUSALS:
        fields, field = case
        with subtests.test(case=case):
            status = 409 if field == "reference" else 422
            err = refused(app, api, "post", "/api/v1/contracts", contract_body(**fields), status)
            if field is None:  # a nested target field: named under targets
                assert err["field"].startswith("targets.P1.")
            else:
                assert err["field"] == field


def test_largest_amounts_fit_their_columns(api):
    body = contract_body(fixed_fee="9999999999.99", hours_card="99999999.99")
    contract = api.post("/api/v1/contracts", body).json
    assert (contract["fixed_fee"], contract["hours_card"]) == ("9999999999.99", "99999999.99")


def test_patch_a_contract(api):
    body = {
        "name": "Amarant SLA 2026",
        "targets": {"P1": {"response_minutes": 20, "resolution_minutes": 200}},
        "fixed_fee": "2500.00",
        "valid_until": None,
        "availability": None,
    }
    resp = api.patch("/api/v1/contracts/amarant-sla-2026", body)
    assert resp.status_code == 200
    contract = resp.json
    assert contract["name"] == "Amarant SLA 2026" and contract["fixed_fee"] == "2500.00"
    assert contract["valid_until"] is None and contract["availability"] is None
    assert contract["targets"]["P1"] == {"response_minutes": 20, "resolution_minutes": 200}
    assert contract["targets"]["P4"] == {"response_minutes": 960, "resolution_minutes": 4800}
    assert api.get("/api/v1/contracts/amarant-sla-2026").json == contract


CONTRACT_PATCH_REFUSALS = [
    ({"valid_until": "2025-06-30"}, 422, "valid_until"),  # before the stored valid_from
    ({"valid_from": "2028-01-01"}, 422, "valid_until"),  # after the stored valid_until
    ({"name": None}, 422, "name"),
    ({"timezone": None}, 422, "timezone"),
    ({"valid_from": None}, 422, "valid_from"),
    ({"fixed_fee": None}, 422, "fixed_fee"),
    ({"calendar": None}, 422, "calendar"),
    ({"services": None}, 422, "services"),
    ({"warning_percent": None}, 422, "warning_percent"),
    ({"timezone": "Nowhere/City"}, 422, "timezone"),
    ({"targets": {"P1": {"response_minutes": 30}}}, 422, "targets.P1.resolution_minutes"),
    ({"client": "beta"}, 422, "client"),
]


def test_contract_patch_refusals_write_nothing(app, api, subtests):
    for case in CONTRACT_PATCH_REFUSALS:
        body, status, field = case
        with subtests.test(case=case):
            url = "/api/v1/contracts/amarant-sla-2026"
            before = api.get(url).json
            assert refused(app, api, "patch", url, body, status)["field"] == field
            assert api.get(url).json == before


def test_unknown_contract_is_404(app, api):
    resp = api.get("/api/v1/contracts/nope")
    assert resp.status_code == 404
    assert resp.json["field"] == "reference"
    refused(app, api, "patch", "/api/v1/contracts/nope", {"name": "X"}, 404)


def test_list_contracts_by_client(api):
    api.post("/api/v1/clients", {"key": "beta", "name": "Beta"})
    api.post("/api/v1/contracts", contract_body(client="beta", reference="beta-sla"))
    refs = [c["reference"] for c in api.get("/api/v1/contracts").json["items"]]
    assert refs == ["amarant-sla-2026", "beta-sla"]
    beta = api.get("/api/v1/contracts", client="beta").json
    assert [c["reference"] for c in beta["items"]] == ["beta-sla"] and beta["total"] == 1
    assert api.get("/api/v1/contracts", client="nobody").json["total"] == 0


# --- applications -----------------------------------------------------------------------


def test_demo_application_with_its_team(api):
    application = api.get("/api/v1/applications/amarant-intranet").json
    assert (application["client"], application["product_line"]) == ("amarant", "joomla")
    assert {(m["person"], m["role"]) for m in application["team"]} == {
        ("rob", "project_lead"),
        ("ronald", "developer"),
        ("jira-ict", "trainer"),
        ("kovoks", "platform_provider"),
        ("ronald", "3rd_line"),
        ("anja", "2nd_line"),
    }


def test_create_and_change_an_application(app, api):
    body = {
        "client": "amarant",
        "key": "amarant-shop",
        "name": "Amarant shop",
        "url": "https://shop.amarant.example",
        "product_line": "drupal",
        "team": [{"person": "rob", "role": "project_lead"}, {"person": "anja", "role": "2nd_line"}],
    }
    resp = api.post("/api/v1/applications", body)
    assert resp.status_code == 201, resp.json
    assert resp.json["url"] == body["url"] and resp.json["platform_provider"] is None
    assert sorted(m["person"] for m in resp.json["team"]) == ["anja", "rob"]
    before = counts(app)
    resp = api.patch(
        "/api/v1/applications/amarant-shop",
        {
            "team": [
                {"person": "anja", "role": "2nd_line"},
                {"person": "ronald", "role": "developer"},
            ],
            "url": None,
            "platform_provider": "Kovoks",
        },
    )
    assert resp.status_code == 200
    assert {(m["person"], m["role"]) for m in resp.json["team"]} == {
        ("anja", "2nd_line"),
        ("ronald", "developer"),
    }
    assert resp.json["url"] is None and resp.json["platform_provider"] == "Kovoks"
    assert counts(app)["application_members"] == before["application_members"]  # one out, one in
    assert api.get("/api/v1/applications/amarant-shop").json == resp.json


def test_patch_without_team_keeps_the_team(api):
    before = api.get("/api/v1/applications/amarant-intranet").json["team"]
    resp = api.patch("/api/v1/applications/amarant-intranet", {"name": "Intranet"})
    assert resp.json["name"] == "Intranet" and resp.json["team"] == before
    resp = api.patch("/api/v1/applications/amarant-intranet", {"team": []})
    assert resp.json["team"] == []


def app_body(**fields: Any) -> dict:
    return {"client": "amarant", "key": "amarant-shop", "name": "Shop", **fields}


APPLICATION_REFUSALS = [
    ("post", "/api/v1/applications", app_body(key="amarant-intranet"), 409, "key"),
    ("post", "/api/v1/applications", app_body(client="nobody"), 422, "client"),
    (
        "post",
        "/api/v1/applications",
        app_body(team=[{"person": "x", "role": "dev"}]),
        422,
        "team",
    ),
    ("post", "/api/v1/applications", app_body(team=[{"person": "rob"}]), 422, "team.0.role"),
    ("post", "/api/v1/applications", app_body(url="ftp://x"), 422, "url"),
    ("post", "/api/v1/applications", app_body(product_line="wordpress"), 422, "product_line"),
    ("patch", "/api/v1/applications/amarant-intranet", {"name": None}, 422, "name"),
    (
        "patch",
        "/api/v1/applications/amarant-intranet",
        {"product_line": None},
        422,
        "product_line",
    ),
    (
        "patch",
        "/api/v1/applications/amarant-intranet",
        {"team": [{"person": "nobody", "role": "dev"}]},
        422,
        "team",
    ),
    ("patch", "/api/v1/applications/nope", {"name": "X"}, 404, "key"),
]


def test_application_refusals_write_nothing(app, api, subtests):
    for case in APPLICATION_REFUSALS:
        method, url, body, status, field = case
        with subtests.test(case=case):
            before = api.get("/api/v1/applications/amarant-intranet").json
            assert refused(app, api, method, url, body, status)["field"] == field
            assert api.get("/api/v1/applications/amarant-intranet").json == before


def test_unknown_application_is_404(api):
    resp = api.get("/api/v1/applications/nope")
    assert resp.status_code == 404 and resp.json["field"] == "key"


def test_list_applications_by_client(api):
    api.post("/api/v1/clients", {"key": "beta", "name": "Beta"})
    api.post("/api/v1/applications", app_body(client="beta", key="beta-site"))
    keys = [a["key"] for a in api.get("/api/v1/applications").json["items"]]
    assert keys == ["amarant-intranet", "beta-site"]
    beta = api.get("/api/v1/applications", client="beta").json["items"]
    assert [a["key"] for a in beta] == ["beta-site"]


# --- people -----------------------------------------------------------------------------


def test_list_people(api):
    people = api.get("/api/v1/people").json
    assert people["total"] == 6
    assert [p["key"] for p in people["items"]] == sorted(
        ["bas", "rob", "ronald", "anja", "jira-ict", "kovoks"]
    )


def test_create_get_and_change_a_person(api):
    body = {
        "key": "eva",
        "name": "Eva",
        "email": "eva@2value.example",
        "kind": "associate",
        "organisation": "2Value",
        "lines": ["1-product"],
        "roles": ["first_line"],
    }
    resp = api.post("/api/v1/people", body)
    assert resp.status_code == 201
    assert resp.json == {**body, "active": True}
    assert api.get("/api/v1/people/eva").json == resp.json
    resp = api.patch("/api/v1/people/eva", {"active": False, "email": None, "lines": []})
    assert resp.status_code == 200
    assert (resp.json["active"], resp.json["email"], resp.json["lines"]) == (False, None, [])
    assert resp.json["roles"] == ["first_line"]


def test_person_defaults(api):
    resp = api.post("/api/v1/people", {"key": "max", "name": "Max"})
    assert resp.json == {
        "key": "max",
        "name": "Max",
        "email": None,
        "kind": "staff",
        "organisation": None,
        "lines": [],
        "roles": [],
        "active": True,
    }


PERSON_REFUSALS = [
    ("post", "/api/v1/people", {"key": "bas", "name": "Bas 2"}, 409, "key"),
    ("post", "/api/v1/people", {"key": "eva", "name": "Eva", "kind": "intern"}, 422, "kind"),
    ("post", "/api/v1/people", {"key": "eva", "name": "Eva", "lines": ["9"]}, 422, "lines.0"),
    ("post", "/api/v1/people", {"key": "eva", "name": "Eva", "active": 1}, 422, "active"),
    ("post", "/api/v1/people", {"key": "eva", "name": "Eva", "email": "x"}, 422, "email"),
    ("post", "/api/v1/people", {"name": "Eva"}, 422, "key"),
    ("patch", "/api/v1/people/bas", {"name": None}, 422, "name"),
    ("patch", "/api/v1/people/bas", {"active": None}, 422, "active"),
    ("patch", "/api/v1/people/bas", {"key": "bas2"}, 422, "key"),
    ("patch", "/api/v1/people/nobody", {"name": "X"}, 404, "key"),
]


def test_person_refusals_write_nothing(app, api, subtests):
    for case in PERSON_REFUSALS:
        method, url, body, status, field = case
        with subtests.test(case=case):
            before = api.get("/api/v1/people/bas").json
            assert refused(app, api, method, url, body, status)["field"] == field
            assert api.get("/api/v1/people/bas").json == before


def test_unknown_person_is_404(api):
    resp = api.get("/api/v1/people/nobody")
    assert resp.status_code == 404
    assert resp.json == {"error": "no person 'nobody'", "field": "key"}
