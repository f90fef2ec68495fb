"""The duty roster through the JSON API: a month's duties, planning, swaps, reassignments,
unavailable days, certifications and who is on duty now; bad input is a 4xx naming the
field, and a refusal writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from hub.db import db
from hub.models import Person, Shift, Unavailability
from hub.sla import roster
from tests.test_api_directory import Api

PLAN = {"month": "2027-01", "line": "joomla"}


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


class RosterApi(Api):
    def put(self, url: str, body: Any):  # noqa: ANN201,ANN401
        return self.client.put(url, json=body, headers=self.headers)


@pytest.fixture
def api(client: FlaskClient, demo: dict) -> RosterApi:
    return RosterApi(client, demo["tokens"]["bas"])  # the SLA manager


@pytest.fixture
def anja(client: FlaskClient, demo: dict) -> RosterApi:
    return RosterApi(client, demo["tokens"]["anja"])  # an associate


@pytest.fixture
def january(api: RosterApi) -> list[dict]:
    resp = api.post("/api/v1/roster/generate", PLAN)
    assert resp.status_code == 201, resp.json
    return resp.json["shifts"]


def test_a_month_is_planned_and_read_back(api, january):
    assert len(january) == 13
    assert january[0]["starts_at"] == "2027-01-01T07:00:00+00:00"
    assert january[-1]["ends_at"] == "2027-02-01T07:00:00+00:00"
    assert {s["person"] for s in january} == {"anja", "ronald"}
    body = api.get("/api/v1/roster", **PLAN).json
    assert body["month"] == "2027-01" and body["timezone"] == "Europe/Amsterdam"
    assert [s["id"] for s in body["shifts"]] == [s["id"] for s in january]
    assert body["counts"] == {"anja": 7, "ronald": 6}
    assert body["handovers"] == [] and body["unavailable"] == []


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({**PLAN, "month": "2027-13"}, 422, "month"),
        ({**PLAN, "month": "Jan"}, 422, "month"),
        ({**PLAN, "line": "cobol"}, 422, "line"),
        ({**PLAN, "days": 0.1}, 422, "days"),
        ({**PLAN, "days": 2.51}, 422, "days"),
        ({**PLAN, "start_hour": "8"}, 422, "start_hour"),
        ({**PLAN, "start_hour": 24}, 422, "start_hour"),
        ({**PLAN, "replace": "yes"}, 422, "replace"),
        ({**PLAN, "extra": 1}, 422, "extra"),
        ({"month": "2027-01"}, 422, "line"),
        ({**PLAN, "line": "lamp"}, 422, "line"),
    ],
)
def test_a_bad_plan_is_refused_naming_the_field(api, app, body, status, field):
    resp = api.post("/api/v1/roster/generate", body)
    assert resp.status_code == status, resp.json
    assert resp.json["field"] == field
    assert count(app, Shift) == 0


def test_a_planned_month_is_a_conflict_unless_replaced(api, app, january):
    resp = api.post("/api/v1/roster/generate", PLAN)
    assert resp.status_code == 409 and resp.json["field"] == "month"
    assert "joomla already has 13 duties in 2027-01" in resp.json["error"]
    resp = api.post("/api/v1/roster/generate", {**PLAN, "replace": True})
    assert resp.status_code == 201 and count(app, Shift) == 13


def test_malformed_bodies_are_400_or_422(api):
    resp = api.client.post("/api/v1/roster/generate", data="{", headers=api.headers)
    assert resp.status_code == 400 and resp.json["field"] == "body"
    resp = api.client.post("/api/v1/roster/generate", data="", headers=api.headers)
    assert resp.status_code == 422 and resp.json["field"] == "body"


def test_roles_staff_read_managers_change(client, demo, api, anja, january):
    viewer = Api(client, demo["tokens"]["amarant"])
    assert viewer.get("/api/v1/roster", **PLAN).status_code == 403
    assert viewer.get("/api/v1/roster/now").status_code == 403
    assert anja.get("/api/v1/roster", **PLAN).status_code == 200
    for url, body in [
        ("/api/v1/roster/generate", {**PLAN, "replace": True}),
        ("/api/v1/roster/swap", {"a": january[0]["id"], "b": january[1]["id"]}),
        ("/api/v1/roster/reassign", {"shift": january[0]["id"], "person": "ronald"}),
    ]:
        resp = anja.post(url, body)
        assert resp.status_code == 403 and "needs one of admin, sla_manager" in resp.json["error"]
    resp = anja.put("/api/v1/people/anja/certified", {"product_lines": []})
    assert resp.status_code == 403
    assert api.get("/api/v1/roster", **PLAN).json["shifts"] == january, "nothing changed"


def test_two_duties_are_swapped_or_the_refusal_names_the_field(api, january):
    a, b = january[0], january[1]
    resp = api.post("/api/v1/roster/swap", {"a": a["id"], "b": b["id"]})
    assert resp.status_code == 200
    assert [s["person"] for s in resp.json["shifts"]] == [b["person"], a["person"]]
    resp = api.post("/api/v1/roster/swap", {"a": a["id"], "b": a["id"]})
    assert resp.status_code == 422 and resp.json["field"] == "b"
    resp = api.post("/api/v1/roster/swap", {"a": 99999, "b": b["id"]})
    assert resp.status_code == 404 and resp.json["field"] == "a"
    resp = api.post("/api/v1/roster/swap", {"a": 2**31, "b": b["id"]})
    assert resp.status_code == 422 and resp.json["field"] == "a"


def test_a_duty_is_reassigned_to_a_certified_associate_only(api, january):
    first = january[0]
    resp = api.post("/api/v1/roster/reassign", {"shift": first["id"], "person": "bas"})
    assert resp.status_code == 422 and resp.json["field"] == "person"
    resp = api.post("/api/v1/roster/reassign", {"shift": first["id"], "person": "nobody"})
    assert resp.status_code == 404
    other = "ronald" if first["person"] == "anja" else "anja"
    resp = api.post("/api/v1/roster/reassign", {"shift": first["id"], "person": other})
    assert resp.status_code == 200 and resp.json["person"] == other


def test_an_associate_notes_their_own_unavailable_day_only(app, anja, january):
    day = "2027-01-02"
    resp = anja.post("/api/v1/people/anja/unavailable", {"day": day, "reason": "course"})
    assert resp.status_code == 201, resp.json
    assert resp.json["day"] == day and resp.json["reason"] == "course"
    on_duty = [s["id"] for s in january if s["person"] == "anja"][:1]
    assert [s["id"] for s in resp.json["clashes"]] == on_duty, "Anja has the first duty"
    resp = anja.post("/api/v1/people/anja/unavailable", {"day": day})
    assert resp.status_code == 409 and resp.json["field"] == "day"
    resp = anja.post("/api/v1/people/ronald/unavailable", {"day": day})
    assert resp.status_code == 403
    for body, field in [({"day": "02-01-2027"}, "day"), ({"day": day, "reason": "x" * 201},
                        "reason"), ({}, "day")]:  # fmt: skip
        resp = anja.post("/api/v1/people/anja/unavailable", body)
        assert resp.status_code == 422 and resp.json["field"] == field
    assert count(app, Unavailability) == 1


def test_certifications_are_set_from_the_product_lines(api, app):
    resp = api.put("/api/v1/people/anja/certified", {"product_lines": ["lamp", "joomla"]})
    assert resp.status_code == 200 and resp.json == {"key": "anja", "certified": ["joomla", "lamp"]}
    resp = api.put("/api/v1/people/anja/certified", {"product_lines": ["cobol"]})
    assert resp.status_code == 422 and resp.json["field"] == "product_lines.0"
    with app.app_context():
        anja = db.session.scalar(select(Person).where(Person.key == "anja"))
        assert anja.certified == ["joomla", "lamp"]


def test_who_is_on_duty_now_and_next(api, app):
    assert api.get("/api/v1/roster/now", line="joomla").json["lines"] == [
        {"line": "joomla", "now": None, "next": None}
    ]
    with app.app_context():
        year, month = roster.this_month()
        roster.generate_month("joomla", year, month)
        db.session.commit()
    body = api.get("/api/v1/roster/now").json
    assert [entry["line"] for entry in body["lines"]] == ["drupal", "joomla", "lamp", "other"]
    joomla = body["lines"][1]
    assert joomla["next"] is not None
    assert joomla["now"] is None or joomla["now"]["ends_at"] == joomla["next"]["starts_at"]
    assert api.get("/api/v1/roster/now", line="cobol").status_code == 422
    assert api.get("/api/v1/roster", month="2027-01").json["field"] == "line"
