"""Bad input on the JSON API: malformed and non-object JSON, wrong types (validation is
strict), unknown references, oversized bodies, and values only PostgreSQL refuses (NUL
characters, ids beyond INTEGER, over-long or over-large values). Each is a 4xx JSON
answer ``{"error": ..., "field": ...}`` naming the problem, never a 500, and writes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from hub.db import db
from tests.conftest import bearer

LIMIT = 2048

#: A URL on demo data for every endpoint that takes a body.
BODY_URLS = {
    "api.create_call": ("POST", "/api/v1/calls"),
    "api.patch_call": ("PATCH", "/api/v1/calls/1"),
    "api.transition": ("POST", "/api/v1/calls/1/transitions"),
    "api.add_note": ("POST", "/api/v1/calls/1/notes"),
    "api.add_time": ("POST", "/api/v1/calls/1/time"),
    "api.escalate": ("POST", "/api/v1/calls/1/escalations"),
    "api.document": ("POST", "/api/v1/calls/1/documented"),
    "api.create_client": ("POST", "/api/v1/clients"),
    "api.patch_client": ("PATCH", "/api/v1/clients/amarant"),
    "api.add_contact": ("POST", "/api/v1/clients/amarant/contacts"),
    "api.create_contract": ("POST", "/api/v1/contracts"),
    "api.patch_contract": ("PATCH", "/api/v1/contracts/amarant-sla-2026"),
    "api.create_application": ("POST", "/api/v1/applications"),
    "api.patch_application": ("PATCH", "/api/v1/applications/amarant-intranet"),
    "api.create_person": ("POST", "/api/v1/people"),
    "api.patch_person": ("PATCH", "/api/v1/people/bas"),
    "api.generate_roster": ("POST", "/api/v1/roster/generate"),
    "api.swap_duties": ("POST", "/api/v1/roster/swap"),
    "api.reassign_duty": ("POST", "/api/v1/roster/reassign"),
    "api.add_unavailable": ("POST", "/api/v1/people/anja/unavailable"),
    "api.set_certified": ("PUT", "/api/v1/people/anja/certified"),
    "api.add_tariff": ("POST", "/api/v1/pay/tariffs"),
    "api.add_handover_session": ("POST", "/api/v1/pay/handovers"),
    "api.add_team_meeting": ("POST", "/api/v1/pay/meetings"),
    "api.add_exam": ("POST", "/api/v1/pay/exams"),
    "api.issue_statement": ("POST", "/api/v1/pay/statements"),
    "api.hours_verdict": ("POST", "/api/v1/calls/1/hours-verdict"),
    "api.hours_resolution": ("POST", "/api/v1/calls/1/hours-resolution"),
    "api.hours_purchase": ("POST", "/api/v1/contracts/amarant-sla-2026/hours/purchases"),
    "api.privacy_contact_erase": ("POST", "/api/v1/privacy/contacts/1/erase"),
}
TARGETS = {p: {"response_minutes": 30, "resolution_minutes": 60} for p in ("P1", "P2", "P3", "P4")}
CONTRACT = {
    "client": "amarant",
    "reference": "amarant-x",
    "name": "X",
    "valid_from": "2026-01-01",
    "targets": TARGETS,
}


@pytest.fixture
def config_extra() -> dict:
    return {"MAX_CONTENT_LENGTH": LIMIT}


def counts(app: Flask) -> dict[str, int]:
    """Rows in every table: nothing may be half-written by a refused request."""
    with app.app_context():
        return {
            t.name: db.session.scalar(select(func.count()).select_from(t))
            for t in db.metadata.sorted_tables
            if t.name not in ("api_tokens", "alembic_version")
        }


@pytest.fixture
def send(app: Flask, client: FlaskClient, demo: dict):  # noqa: ANN201
    """Send as admin; assert a 4xx JSON error that names a field and wrote nothing."""
    headers = bearer(demo["tokens"]["admin"])

    def go(method: str, url: str, status: int, field: str | None, **kw: Any) -> dict:  # noqa: ANN401
        before = counts(app)
        resp = client.open(url, method=method, headers=headers, **kw)
        assert resp.status_code == status, (method, url, resp.status_code, resp.get_data()[:300])
        assert resp.is_json, resp.get_data()[:300]
        assert isinstance(resp.json["error"], str) and resp.json["error"]
        assert resp.json["field"] == field, resp.json
        assert counts(app) == before
        return resp.json

    return go


def test_every_body_endpoint_is_covered(app):
    with_body = {
        name
        for name, view in app.view_functions.items()
        if getattr(view, "api_doc", {}).get("body")
    }
    assert with_body == set(BODY_URLS)


def each(subtests, cases: list[tuple], check) -> None:  # noqa: ANN001
    """Run ``check(*case)`` per case as a subtest: one app and demo for the whole table,
    every failing case still reported on its own."""
    for case in cases:
        with subtests.test(case=case):
            check(*case)


# --- not JSON, not an object ------------------------------------------------------------

MALFORMED = [b'{"title": ', b"{'a': 1}", b'{"a": 1,}', b"\xff\xfe", b"nul", b'{"a": "\\ud800"}']
NOT_OBJECTS = [b"[]", b"[{}]", b"5", b'"text"', b"null", b"true"]


def test_malformed_json_is_400_everywhere(send, subtests):
    def check(method: str, url: str, raw: bytes) -> None:
        err = send(method, url, 400, "body", data=raw, content_type="application/json")
        assert err["error"].startswith("body is not valid JSON")

    each(subtests, [(m, u, raw) for m, u in BODY_URLS.values() for raw in MALFORMED], check)


def test_json_that_is_not_an_object_is_422_everywhere(send, subtests):
    def check(method: str, url: str, raw: bytes) -> None:
        send(method, url, 422, "body", data=raw, content_type="application/json")

    each(subtests, [(m, u, raw) for m, u in BODY_URLS.values() for raw in NOT_OBJECTS], check)


def test_empty_body_is_422_everywhere(send, subtests):
    def check(method: str, url: str) -> None:
        assert "empty" in send(method, url, 422, "body")["error"]

    each(subtests, list(BODY_URLS.values()), check)


def test_a_form_body_is_not_json(send):
    send("POST", "/api/v1/clients", 400, "body", data={"key": "beta", "name": "Beta"})


# --- wrong types: strict, nothing coerced -----------------------------------------------

WRONG_TYPES = [
    ("POST", "/api/v1/calls/1/time", {"person": "anja", "minutes": "5"}, "minutes"),
    ("POST", "/api/v1/calls/1/time", {"person": "anja", "minutes": 5.0}, "minutes"),
    ("POST", "/api/v1/calls/1/time", {"person": "anja", "minutes": True}, "minutes"),
    ("POST", "/api/v1/calls", {"client": "amarant", "title": 5}, "title"),
    ("POST", "/api/v1/calls", {"client": "amarant", "title": ["x"]}, "title"),
    ("POST", "/api/v1/calls", {"client": "amarant", "title": "x", "priority": 1}, "priority"),
    ("POST", "/api/v1/calls", {"client": "amarant", "title": "x", "links": {}}, "links"),
    ("POST", "/api/v1/calls", {"client": "amarant", "title": "x", "links": ["m"]}, "links.0"),
    ("POST", "/api/v1/calls", {"client": 7, "title": "x"}, "client"),
    ("PATCH", "/api/v1/calls/1", {"assignee": 3}, "assignee"),
    ("POST", "/api/v1/calls/1/transitions", {"to": None}, "to"),
    ("POST", "/api/v1/calls/1/notes", {"note": 12}, "note"),
    ("PATCH", "/api/v1/people/bas", {"active": "true"}, "active"),
    ("PATCH", "/api/v1/people/bas", {"active": 0}, "active"),
    ("PATCH", "/api/v1/people/bas", {"lines": "1-general"}, "lines"),
    ("PATCH", "/api/v1/contracts/amarant-sla-2026", {"warning_percent": "75"}, "warning_percent"),
    ("PATCH", "/api/v1/contracts/amarant-sla-2026", {"valid_from": 20260101}, "valid_from"),
    ("PATCH", "/api/v1/contracts/amarant-sla-2026", {"calendar": []}, "calendar"),
    ("PATCH", "/api/v1/contracts/amarant-sla-2026", {"services": "helpdesk"}, "services"),
    ("PATCH", "/api/v1/contracts/amarant-sla-2026", {"fixed_fee": True}, "fixed_fee"),
    ("PATCH", "/api/v1/applications/amarant-intranet", {"team": {"rob": "dev"}}, "team"),
    ("POST", "/api/v1/clients", {"key": "beta", "name": 1}, "name"),
]
UNKNOWN_FIELDS = [
    ("POST", "/api/v1/calls", {"client": "amarant", "title": "x", "status": "new"}, "status"),
    ("PATCH", "/api/v1/calls/1", {"id": 9}, "id"),
    ("POST", "/api/v1/clients", {"key": "beta", "name": "Beta", "vip": True}, "vip"),
    ("POST", "/api/v1/contracts", {**CONTRACT, "discount": "10"}, "discount"),
    ("PATCH", "/api/v1/people/bas", {"password": "secret"}, "password"),
]


def test_wrong_types_are_refused_not_coerced(send, subtests):
    def check(method: str, url: str, body: dict, field: str) -> None:
        send(method, url, 422, field, json=body)

    each(subtests, WRONG_TYPES, check)


def test_unknown_fields_are_refused(send, subtests):
    def check(method: str, url: str, body: dict, field: str) -> None:
        assert field in send(method, url, 422, field, json=body)["error"]

    each(subtests, UNKNOWN_FIELDS, check)


# --- unknown references -----------------------------------------------------------------


def call(**fields: Any) -> dict:  # noqa: ANN401
    return {"client": "amarant", "title": "x", **fields}


UNKNOWN_REFERENCES = [
    ("POST", "/api/v1/calls", call(client="nobody"), 422, "client"),
    ("POST", "/api/v1/calls", call(application="nope"), 422, "application"),
    ("POST", "/api/v1/calls", call(priority="P5"), 422, "priority"),
    ("POST", "/api/v1/calls", call(assignee="x"), 422, "assignee"),
    ("POST", "/api/v1/calls", call(category="x"), 422, "category"),
    ("PATCH", "/api/v1/calls/1", {"priority": "urgent"}, 422, "priority"),
    ("PATCH", "/api/v1/calls/1", {"assignee": "nobody"}, 422, "assignee"),
    ("POST", "/api/v1/calls/1/time", {"person": "nobody", "minutes": 5}, 422, "person"),
    (
        "POST",
        "/api/v1/calls/1/escalations",
        {"kind": "hierarchical", "to_person": "x"},
        422,
        "to_person",
    ),
    ("POST", "/api/v1/calls/999/notes", {"note": "x"}, 404, "id"),
    ("POST", "/api/v1/contracts", {**CONTRACT, "client": "nobody"}, 422, "client"),
    ("PATCH", "/api/v1/contracts/nope", {"name": "X"}, 404, "reference"),
    ("POST", "/api/v1/applications", {"client": "nobody", "key": "k", "name": "K"}, 422, "client"),
    (
        "POST",
        "/api/v1/applications",
        {"client": "amarant", "key": "k", "name": "K", "team": [{"person": "x", "role": "r"}]},
        422,
        "team",
    ),
    ("PATCH", "/api/v1/applications/nope", {"name": "X"}, 404, "key"),
    ("POST", "/api/v1/clients/nobody/contacts", {"name": "Eva"}, 404, "key"),
    ("PATCH", "/api/v1/people/nobody", {"name": "X"}, 404, "key"),
    ("POST", "/api/v1/outbox/999/redrive", None, 404, "id"),
]


def test_unknown_references(send, subtests):
    def check(method: str, url: str, body: dict | None, status: int, field: str) -> None:
        send(method, url, status, field, json=body)

    each(subtests, UNKNOWN_REFERENCES, check)


def test_application_of_another_client_is_refused(client, demo, send):
    headers = bearer(demo["tokens"]["admin"])
    client.post("/api/v1/clients", json={"key": "beta", "name": "Beta"}, headers=headers)
    send(
        "POST",
        "/api/v1/calls",
        422,
        "application",
        json=call(client="beta", application="amarant-intranet"),
    )


# --- size -------------------------------------------------------------------------------


def test_oversized_body_is_413_json_and_writes_nothing(send, subtests):
    err = send("POST", "/api/v1/calls", 413, None, json=call(description="x" * LIMIT))
    assert str(LIMIT) in err["error"]

    def check(method: str, url: str) -> None:
        send(method, url, 413, None, data=b" " * (LIMIT + 1), content_type="application/json")

    each(subtests, list(BODY_URLS.values()), check)


def test_body_at_the_limit_is_read(client, demo):
    head = b'{"client": "amarant", "title": "Fits", "description": "'
    raw = head + b"x" * (LIMIT - len(head) - 2) + b'"}'
    assert len(raw) == LIMIT
    resp = client.post(
        "/api/v1/calls",
        data=raw,
        content_type="application/json",
        headers=bearer(demo["tokens"]["admin"]),
    )
    assert resp.status_code == 201


# --- what only PostgreSQL refuses (checked on both backends) ----------------------------

CONTRACT_URL = "/api/v1/contracts/amarant-sla-2026"
APP_URL = "/api/v1/applications/amarant-intranet"
NUL_IN_BODIES = [
    ("POST", "/api/v1/calls", call(title="a\u0000b"), "title"),
    ("POST", "/api/v1/calls", call(description="\u0000"), "description"),
    ("POST", "/api/v1/calls", call(links=[{"system": "m", "key": "1\u0000"}]), "links.0.key"),
    ("POST", "/api/v1/calls/1/notes", {"note": "\u0000"}, "note"),
    ("POST", "/api/v1/clients", {"key": "beta", "name": "Be\u0000ta"}, "name"),
    ("PATCH", CONTRACT_URL, {"calendar": {"closed": ["\u0000"]}}, "calendar.closed.0"),
    ("PATCH", CONTRACT_URL, {"calendar": {"\u0000": 1}}, "calendar"),
    ("PATCH", CONTRACT_URL, {"availability": "\u0000"}, "availability"),
    ("PATCH", "/api/v1/people/bas", {"organisation": "\u0000"}, "organisation"),
    ("PATCH", APP_URL, {"team": [{"person": "rob", "role": "\u0000"}]}, "team.0.role"),
]
NUL_IN_URLS = [
    ("/api/v1/calls?q=a%00b", "q"),
    ("/api/v1/calls?client=%00", "client"),
    ("/api/v1/calls?assignee=x%00", "assignee"),
    ("/api/v1/contracts?client=%00", "client"),
    ("/api/v1/clients/a%00b", "key"),
    ("/api/v1/people/a%00b", "key"),
    ("/api/v1/contracts/a%00b", "reference"),
]
NOT_FINITE = [
    (b'{"calendar": {"always_open": NaN}}', "calendar.always_open"),
    (b'{"calendar": {"closed": [Infinity]}}', "calendar.closed.0"),
    (b'{"rules": {"warning_minutes_before": -1e400}}', "rules.warning_minutes_before"),
]
BEYOND_COLUMNS = [
    ("PATCH", CONTRACT_URL, {"hours_card": "99999999999.99"}, "hours_card"),
    ("PATCH", CONTRACT_URL, {"hours_card": "100000000"}, "hours_card"),
    ("PATCH", CONTRACT_URL, {"fixed_fee": "1e11"}, "fixed_fee"),
    ("PATCH", CONTRACT_URL, {"name": None}, "name"),
    ("PATCH", CONTRACT_URL, {"valid_from": None}, "valid_from"),
    ("PATCH", CONTRACT_URL, {"hours_card": None}, "hours_card"),
    ("PATCH", APP_URL, {"name": None}, "name"),
    ("PATCH", APP_URL, {"product_line": None}, "product_line"),
    ("POST", "/api/v1/calls", call(links=[{"system": "s" * 51, "key": "1"}]), "links.0.system"),
    ("POST", "/api/v1/calls", call(title="x" * 301), "title"),
    ("POST", "/api/v1/calls", call(reporter="r" * 201), "reporter"),
    ("POST", "/api/v1/clients", {"key": "k" * 65, "name": "K"}, "key"),
    ("POST", "/api/v1/calls/1/time", {"person": "anja", "minutes": 10**30}, "minutes"),
]
BEYOND_INTEGER = [
    ("GET", "/api/v1/calls/2147483648", "call_id"),
    ("GET", "/api/v1/calls/99999999999999999999999", "call_id"),
    ("POST", "/api/v1/calls/9223372036854775808/notes", "call_id"),
    ("PATCH", "/api/v1/calls/2147483648", "call_id"),
    ("POST", "/api/v1/outbox/2147483648/redrive", "delivery_id"),
]
ODD_NUMBERS = ["\u00b2", "\u0661", "\uff11", "1" * 5000, "1.0", "1e3", " 1", "+1", "0x10", ""]


def test_nul_characters_in_bodies_are_refused(send, subtests):
    def check(method: str, url: str, body: dict, field: str) -> None:
        assert "NUL" in send(method, url, 422, field, json=body)["error"]

    each(subtests, NUL_IN_BODIES, check)


def test_nul_characters_in_urls_are_refused(send, subtests):
    def check(url: str, field: str) -> None:
        send("GET", url, 422, field)

    each(subtests, NUL_IN_URLS, check)


def test_numbers_json_cannot_store_are_refused(send, subtests):
    def check(raw: bytes, field: str) -> None:
        err = send("PATCH", CONTRACT_URL, 422, field, data=raw, content_type="application/json")
        assert "finite" in err["error"]

    each(subtests, NOT_FINITE, check)


def test_values_beyond_the_columns_are_refused(send, subtests):
    def check(method: str, url: str, body: dict, field: str) -> None:
        send(method, url, 422, field, json=body)

    each(subtests, BEYOND_COLUMNS, check)


def test_ids_beyond_integer_are_404(send, subtests):
    def check(method: str, url: str, field: str) -> None:
        send(method, url, 404, field, json={"note": "x"} if method != "GET" else None)

    each(subtests, BEYOND_INTEGER, check)


def test_largest_integer_id_is_an_ordinary_404(send):
    send("GET", "/api/v1/calls/2147483647", 404, "id")


def test_odd_numbers_in_paging_are_422(send, subtests):
    def check(value: str) -> None:
        send("GET", "/api/v1/calls", 422, "per_page", query_string={"per_page": value})
        send("GET", "/api/v1/people", 422, "page", query_string={"page": value})

    each(subtests, [(v,) for v in ODD_NUMBERS], check)


# --- routing ----------------------------------------------------------------------------


def test_unknown_route_and_method_are_json(client, demo):
    headers = bearer(demo["tokens"]["admin"])
    resp = client.get("/api/v1/nothing-here", headers=headers)
    assert resp.status_code == 404 and resp.is_json and set(resp.json) == {"error", "field"}
    resp = client.delete("/api/v1/calls/1", headers=headers)
    assert resp.status_code == 405 and resp.is_json
    assert "PATCH" in resp.headers["Allow"]
    resp = client.get("/api/v1/calls/abc", headers=headers)
    assert resp.status_code == 404 and resp.is_json
