"""The data of the service wiki's subjects, on the Amarant demo (both databases)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from hub import calls, docdata
from hub.db import db
from hub.errors import Invalid, NotFound
from hub.models import Call, CallEvent, Person
from hub.vocab import SERVICES
from tests.conftest import bearer


def _call(title: str) -> Call:
    return db.session.scalar(select(Call).where(Call.title == title))


def _document(call: Call, note: str | None = "Worth keeping", **found: str) -> None:
    call.events.append(CallEvent(actor="user:bas", kind="documented", data=found, note=note))
    db.session.flush()


def test_client_has_contract_levels_calendar_contacts_and_applications(ctx) -> None:
    data = docdata.client("amarant")
    assert data["client"] == {"key": "amarant", "name": "Amarant"}
    assert data["current_contract"] == "amarant-sla-2026"
    (contract,) = data["contracts"]
    assert contract["services"] == list(SERVICES)  # the six services of the portfolio
    assert (contract["valid_from"], contract["valid_until"]) == ("2026-01-01", "2027-12-31")
    assert (contract["fixed_fee"], contract["hours_card"]) == ("2400.00", "40.00")
    assert contract["targets"] == [
        {"priority": p, "response_minutes": r, "resolution_minutes": s}
        for p, r, s in (("P1", 30, 240), ("P2", 120, 960), ("P3", 480, 2400), ("P4", 960, 4800))
    ]
    cal = contract["calendar"]
    assert cal["hours"][0] == {"day": "Monday", "hours": "08:30-17:30"}
    assert cal["hours"][6] == {"day": "Sunday", "hours": ""}
    assert (cal["holidays"], cal["always_open"], cal["timezone"]) == (
        "NL", False, "Europe/Amsterdam")  # fmt: skip
    assert [c["role"] for c in data["contacts"]] == [
        "users", "helpdesk", "functional/technical administrators", "central reporting point"
    ]  # fmt: skip
    assert data["sla_manager"]["name"] == "Bas Vredeling"
    (app,) = data["applications"]
    assert app["platform_provider"] == "Kovoks"
    assert app["certification"]["state"] == "not assessed (team trained)"
    assert app["site_check"] is None
    assert json.loads(json.dumps(data)) == data


def test_the_line_plan_is_the_seeds_who_does_what(ctx) -> None:
    plan = {line["line"]: [p["name"] for p in line["people"]]
            for line in docdata.client("amarant")["line_plan"]}  # fmt: skip
    assert plan == {
        "1-general": ["Bas Vredeling"],
        "1-product": ["Anja", "Jira-ICT", "Rob"],
        "2-platform": ["Kovoks"],
        "2-application": ["Anja", "Rob", "Ronald"],  # 2nd line: Ronald, Rob, Anja
        "3-application": ["Ronald"],  # 3rd line: Ronald
    }


def test_the_hours_card_balance_falls_when_time_is_booked(ctx) -> None:
    before = docdata.client("amarant")["contracts"][0]
    assert before["hours_booked"] == 0.42  # the demo's 25 minutes of triage
    calls.add_time(_call("Upgrade the Joomla core"), actor="test", person="ronald", minutes=90)
    db.session.flush()
    after = docdata.client("amarant")["contracts"][0]
    assert after["hours_balance"] == round(before["hours_balance"] - 1.5, 2)
    assert after["hours_balance"] == 38.08


def test_certification_follows_the_associates(ctx) -> None:
    anja = db.session.scalar(select(Person).where(Person.key == "anja"))
    anja.certified = []
    db.session.flush()
    cert = docdata.application("amarant-intranet")["application"]["certification"]
    assert cert["state"] == "not assessed (team not trained)"
    assert [(p["name"], p["certified"]) for p in cert["associates"]] == [
        ("Anja", False), ("Ronald", True)]  # fmt: skip
    for key in ("anja", "ronald"):
        db.session.scalar(select(Person).where(Person.key == key)).kind = "staff"
    db.session.flush()
    assert docdata.application("amarant-intranet")["application"]["certification"][
        "state"] == "not assessed (no associates)"  # fmt: skip


def test_application_has_team_platform_and_open_calls(ctx) -> None:
    data = docdata.application("amarant-intranet")
    assert {(m["name"], m["role"]) for m in data["team"]} >= {
        ("Rob", "project_lead"), ("Ronald", "developer"), ("Jira-ICT", "trainer"),
        ("Kovoks", "platform_provider"), ("Anja", "2nd_line"), ("Ronald", "3rd_line")}  # fmt: skip
    assert data["application"]["site_check"] is None
    open_calls = data["open_calls"]
    assert open_calls["total"] == 2  # the question is resolved
    assert open_calls["by_priority"] == {"P1": 1, "P2": 0, "P3": 1, "P4": 0}
    assert [c["title"] for c in open_calls["items"]] == [
        "Intranet login fails for all users", "Upgrade the Joomla core"]  # fmt: skip


def test_report_data_is_the_report_apis(ctx, client, demo) -> None:
    ((year, month),) = docdata.report_months(_call("Upgrade the Joomla core").client)
    data = docdata.report("amarant", year, month)
    period = f"{year}-{month:02d}"
    assert data["period"] == period
    answer = client.get(
        f"/api/v1/reports/clients/amarant?period={period}&per_page={docdata.REPORT_BREACHES}",
        headers=bearer(demo["tokens"]["admin"]),
    )
    assert answer.status_code == 200
    expected = answer.get_json()
    expected.pop("generated_at")
    assert data["report"] == expected
    assert data["report"]["calls"]["total"] == 3


def test_knowledge_of_a_documented_call(ctx) -> None:
    call = _call("Intranet login fails for all users")
    with pytest.raises(NotFound):
        docdata.knowledge(call.id)
    _document(call, cause="The database server was down.", resolution="Kovoks restarted it.")
    data = docdata.knowledge(call.id)
    assert data["problem"] == {"title": call.title, "description": "Since 08:10 nobody can log in."}
    assert data["cause"] == "The database server was down."
    assert data["resolution"] == "Kovoks restarted it."
    assert data["time_spent_minutes"] == 25
    assert data["documented_by"] == "user:bas"
    assert data["notes"][-1]["note"] == "Triage"
    assert json.loads(json.dumps(data)) == data


def test_knowledge_falls_back_to_the_notes(ctx) -> None:
    call = _call("How do I add a news item to the front page?")
    _document(call, note=None)
    data = docdata.knowledge(call.id)
    assert data["cause"] is None
    assert data["resolution"] == "Explained the 'featured' flag."
    assert data["time_spent_minutes"] == 0


def test_all_subjects(ctx) -> None:
    call = _call("Intranet login fails for all users")
    ((year, month),) = docdata.report_months(call.client)
    expected = [
        ("client", "amarant"), ("application", "amarant-intranet"),
        ("report", f"amarant/{year}-{month:02d}"), ("faq", "joomla"),
    ]  # fmt: skip
    assert [(s.kind, s.key) for s in docdata.all_subjects()] == expected
    _document(call, cause="x", resolution="y")
    subjects = docdata.all_subjects(reason="sync")
    assert [(s.kind, s.key) for s in subjects] == [*expected, ("call", str(call.id))]
    assert all(s.reason == "sync" and s.data["fingerprint"] for s in subjects)
    mine = [(s.kind, s.key) for s in docdata.all_subjects("amarant")]
    assert mine == [*expected[:3], ("call", str(call.id))]  # no FAQ: no client's own
    with pytest.raises(NotFound):
        docdata.all_subjects("nobody")


def test_subject_checks_kind_and_key(ctx) -> None:
    assert docdata.subject("faq", "joomla", "why").data["title"] == "Joomla"
    for kind, key in (("page", "x"), ("report", "amarant/2026-Q4"), ("report", "2026-10"),
                      ("call", "one")):  # fmt: skip
        with pytest.raises(Invalid):
            docdata.subject(kind, key, "why")
    with pytest.raises(NotFound):
        docdata.subject("faq", "cobol", "why")


def test_the_data_is_deterministic(ctx) -> None:
    _document(_call("Intranet login fails for all users"), cause="c", resolution="r")
    first = [s.data for s in docdata.all_subjects()]
    second = [s.data for s in docdata.all_subjects()]
    assert first == second
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
