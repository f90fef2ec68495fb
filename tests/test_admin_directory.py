"""Clients, contracts, applications and people in the admin pages: create and edit, each
error beside its field, nothing saved on an error; contacts and the team."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from hub.db import db
from hub.models import Application, ApplicationMember, Client, Contact, Contract, Person
from tests.test_admin_login import csrf_from, log_in, user

TARGETS = {
    f"targets.{p}.{what}_minutes": str(n * (1 if what == "response" else 8))
    for p, n in (("P1", 30), ("P2", 60), ("P3", 240), ("P4", 480))
    for what in ("response", "resolution")
}
CONTRACT = {
    "client": "amarant", "reference": "amarant-sla-2027", "name": "SLA 2027",
    "timezone": "Europe/Amsterdam", "services": ["helpdesk", "incident_management"],
    "warning_percent": "80", "fixed_fee": "1200.50", "hours_card": "20",
    "valid_from": "2027-01-01", "valid_until": "2027-12-31", **TARGETS,
    **{f"calendar.hours.{d}": "08:30-17:30" for d in ("mon", "tue", "wed", "thu", "fri")},
    "calendar.country": "NL",
}  # fmt: skip


@pytest.fixture
def manager(client, demo):  # noqa: ANN001,ANN201
    log_in(client, *user(demo, "sla_manager"))
    return client


def post(client, path: str, data: dict):  # noqa: ANN001,ANN201
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def error_beside(page: str, field_id: str) -> str:
    """The error text shown right under the input with this id (and linked to it)."""
    found = re.search(rf'id="{field_id}-error">([^<]*)<', page)
    assert found, f"no error beside {field_id}"
    assert f'aria-describedby="{field_id}-error"' in page or (
        f'aria-describedby="{field_id}-help {field_id}-error"' in page
    )
    return found.group(1)


def count(app, model) -> int:  # noqa: ANN001
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_a_client_is_created_and_renamed(manager, app):
    resp = post(manager, "/clients/new", {"key": "kdv", "name": "Kinderdagverblijf"})
    assert resp.status_code == 303 and resp.headers["Location"] == "/clients/kdv"
    page = manager.get("/clients/kdv").get_data(as_text=True)
    assert "<h1>Client kdv: Kinderdagverblijf</h1>" in page
    form = manager.get("/clients/kdv/edit").get_data(as_text=True)
    assert 'value="Kinderdagverblijf"' in form and 'name="key"' not in form, "keys stay"
    assert post(manager, "/clients/kdv/edit", {"name": "KDV de Zon"}).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Client.name).where(Client.key == "kdv")) == "KDV de Zon"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"key": "Has Spaces", "name": "x"}, "f-key", "lower-case letters"),
        ({"key": "amarant", "name": "x"}, "f-key", "client 'amarant' exists"),
        ({"key": "fine", "name": "  "}, "f-name", "required"),
        ({"key": "fine", "name": "x" * 201}, "f-name", "at most 200 characters"),
    ],
)
def test_a_bad_client_is_refused_beside_the_field(manager, app, data, field, message):
    before = count(app, Client)
    resp = post(manager, "/clients/new", data)
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert message in error_beside(page, field).replace("&#39;", "'")
    assert "Nothing was saved" in page
    assert count(app, Client) == before
    assert 'value="' + data["key"] + '"' in page, "what was typed is kept"


def test_a_contract_is_created_with_its_service_level(manager, app):
    resp = post(manager, "/contracts/new", CONTRACT)
    assert resp.status_code == 303, resp.get_data(as_text=True)
    with app.app_context():
        contract = db.session.scalar(
            select(Contract).where(Contract.reference == "amarant-sla-2027")
        )
        assert contract.services == ["helpdesk", "incident_management"]
        assert str(contract.fixed_fee) == "1200.50" and contract.warning_percent == 80
        targets = {t.priority: (t.response_minutes, t.resolution_minutes) for t in contract.targets}
        assert targets == {"P1": (30, 240), "P2": (60, 480), "P3": (240, 1920), "P4": (480, 3840)}
    page = manager.get("/contracts/amarant-sla-2027").get_data(as_text=True)
    assert "<td>P1</td><td>30 min</td><td>4 h</td>" in page


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "f-timezone", "unknown time zone 'Mars/Olympus'"),
        ({"valid_until": "2026-06-30"}, "f-valid-until", "valid_until is before valid_from"),
        ({"warning_percent": "150"}, "f-warning-percent", "less than or equal to 99"),
        ({"warning_percent": "lots"}, "f-warning-percent", "a whole number, please"),
        ({"fixed_fee": "12,50"}, "f-fixed-fee", "valid decimal"),
        ({"targets.P2.resolution_minutes": "5"}, "f-targets-P2-response-minutes",
         "resolution_minutes is shorter than response_minutes"),
        ({"targets.P3.response_minutes": ""}, "f-targets-P3-response-minutes", "required"),
        ({"services": ["helpdesk", "coffee"]}, "f-services", "Input should be"),
        ({"client": "nobody"}, "f-client", "unknown client 'nobody'"),
        ({"reference": "amarant-sla-2026"}, "f-reference", "exists"),
    ],
)  # fmt: skip
def test_a_bad_contract_is_refused_beside_the_field(manager, app, change, field, message):
    before = count(app, Contract)
    data = {**CONTRACT, "valid_from": "2027-01-01", **change}
    if "valid_until" in change:
        data["valid_from"] = "2026-07-01"
    resp = post(manager, "/contracts/new", data)
    assert resp.status_code == 422
    assert message in error_beside(resp.get_data(as_text=True), field).replace("&#39;", "'")
    assert count(app, Contract) == before


def test_a_contract_edit_keeps_everything_when_one_field_is_wrong(manager, app):
    form = manager.get("/contracts/amarant-sla-2026/edit").get_data(as_text=True)
    assert 'name="targets.P1.response_minutes"' in form and 'name="reference"' not in form
    with app.app_context():
        old = db.session.scalar(select(Contract).where(Contract.reference == "amarant-sla-2026"))
        old_name, old_fee = old.name, old.fixed_fee
    data = {**CONTRACT, "name": "Renamed", "fixed_fee": "99", "timezone": "Nowhere/Land"}
    resp = post(manager, "/contracts/amarant-sla-2026/edit", data)
    assert resp.status_code == 422
    with app.app_context():
        kept = db.session.scalar(select(Contract).where(Contract.reference == "amarant-sla-2026"))
        assert (kept.name, kept.fixed_fee) == (old_name, old_fee), "nothing half-saved"
    data["timezone"] = "Europe/Brussels"
    assert post(manager, "/contracts/amarant-sla-2026/edit", data).status_code == 303
    with app.app_context():
        saved = db.session.scalar(select(Contract).where(Contract.reference == "amarant-sla-2026"))
        assert (saved.name, saved.timezone, str(saved.fixed_fee)) == (
            "Renamed",
            "Europe/Brussels",
            "99.00",
        )


def test_an_application_is_created_edited_and_staffed(manager, app):
    data = {"client": "amarant", "key": "amarant-www", "name": "Website",
            "url": "https://www.amarant.example", "product_line": "drupal"}  # fmt: skip
    assert post(manager, "/applications/new", data).status_code == 303
    resp = post(manager, "/applications/amarant-www/edit", {**data, "url": "not a url"})
    assert resp.status_code == 422
    assert "http:// or https://" in error_beside(resp.get_data(as_text=True), "f-url")
    resp = post(manager, "/applications/amarant-www/edit", {**data, "url": ""})
    assert resp.status_code == 303
    with app.app_context():
        assert (
            db.session.scalar(select(Application.url).where(Application.key == "amarant-www"))
            is None
        ), "an emptied field clears the value"
    assert post(manager, "/applications/amarant-www/team", {"person": "anja", "role": "2nd_line"})\
        .status_code == 303  # fmt: skip
    resp = post(manager, "/applications/amarant-www/team", {"person": "nobody", "role": "x"})
    page = manager.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Nothing saved: team: unknown person &#39;nobody&#39;" in page
    with app.app_context():
        members = db.session.scalars(
            select(ApplicationMember).join(Application).where(Application.key == "amarant-www")
        ).all()
        assert [(m.person.key, m.role) for m in members] == [("anja", "2nd_line")]
        member_id = members[0].id
    assert "Anja" in page
    resp = post(manager, f"/applications/amarant-www/team/{member_id}/remove", {})
    assert resp.status_code == 303
    assert count(app, ApplicationMember) == 6, "only the demo's intranet team is left"


def test_a_person_is_created_and_deactivated(manager, app):
    data = {"key": "pieter", "name": "Pieter", "kind": "associate", "email": "p@example.org",
            "lines": ["2-application"], "roles": ["developer"]}  # fmt: skip
    assert post(manager, "/people/new", data).status_code == 303
    resp = post(manager, "/people/pieter/edit", {**data, "email": "no-at-sign"})
    assert resp.status_code == 422
    assert "an e-mail address" in error_beside(resp.get_data(as_text=True), "f-email")
    assert post(manager, "/people/pieter/edit", data).status_code == 303  # "active" unticked
    with app.app_context():
        person = db.session.scalar(select(Person).where(Person.key == "pieter"))
        assert (person.active, person.lines, person.roles) == (
            False,
            ["2-application"],
            ["developer"],
        )


def test_a_contact_is_added_and_a_bad_one_refused_beside_the_field(manager, app):
    resp = post(manager, "/clients/amarant/contacts", {"name": "Jan", "email": "jan@example.org"})
    assert resp.status_code == 303
    before = count(app, Contact)
    resp = post(manager, "/clients/amarant/contacts", {"name": "", "email": "jan"})
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert error_beside(page, "f-name") == "required"
    assert "an e-mail address" in error_beside(page, "f-email")
    assert count(app, Contact) == before


@pytest.mark.parametrize(
    "path", ["/clients/nobody", "/contracts/nobody/edit", "/applications/nobody", "/people/x"]
)
def test_an_unknown_record_is_the_404_page(manager, path):
    resp = manager.get(path)
    assert resp.status_code == 404
    page = resp.get_data(as_text=True)
    assert "<h1>Not found</h1>" in page and "<title>Not found · SLA Hub</title>" in page


def test_a_client_viewer_lists_only_its_own_client(client, demo, app):
    from hub import directory

    with app.app_context():
        directory.create_client(key="zzz-other", name="Someone else")
        db.session.commit()
    log_in(client, *user(demo, "client_viewer"))
    page = client.get("/clients").get_data(as_text=True)
    assert "amarant" in page and "zzz-other" not in page and "New client" not in page
    assert client.get("/clients/zzz-other").status_code == 403
    assert "Edit" not in client.get("/clients/amarant").get_data(as_text=True)


def test_list_search_and_paging(manager, app):
    from hub import directory

    with app.app_context():
        for n in range(60):
            directory.create_client(key=f"bulk-{n:02d}", name=f"Bulk client {n}")
        db.session.commit()
    page = manager.get("/clients").get_data(as_text=True)
    assert "61 clients" in page and "page 1 of 2" in page
    assert "bulk-59" in manager.get("/clients?page=2").get_data(as_text=True)
    assert "page 1 of 2" in manager.get("/clients?page=99999999999999999999").get_data(
        as_text=True
    ), "an absurd page number shows the first page"
    page = manager.get("/clients?q=client 4").get_data(as_text=True)
    assert "11 clients" in page, "client 4 and client 40 to 49"
