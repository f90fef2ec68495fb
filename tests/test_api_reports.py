"""The reports API: JSON and CSV, who may read which client's report, and bad input."""

from __future__ import annotations

import csv
import io

import pytest

from hub.db import db
from tests.conftest import bearer
from tests.sla.report_data import add_call, add_clock, book, make_client, utc

NOV = utc(2026, 11, 10, 9)


@pytest.fixture
def acme(app, demo):  # noqa: ANN001,ANN201
    """Client acme with three November calls, two breaches (one with a formula-like title)."""
    with app.app_context():
        client = make_client("acme")
        first = add_call(client, NOV, priority="P1", title='=HYPERLINK("http://x")')
        second = add_call(client, NOV, priority="P3", category="change", title="Upgrade")
        third = add_call(client, NOV, category="question", title="How?")
        add_clock(first, "response", elapsed=45, outcome="breached", breached_at=NOV,
                  cause="nobody acknowledged")  # fmt: skip
        add_clock(second, "response", elapsed=10, outcome="met")
        add_clock(third, "response", elapsed=20, outcome="met")
        add_clock(second, "resolution", running=True, outcome="breached",
                  breached_at=utc(2026, 11, 11, 9), cause="waiting, 3rd line")  # fmt: skip
        book(first, 90, NOV)
        db.session.commit()
    return "acme"


def get(client, demo, url: str, who: str = "admin"):  # noqa: ANN001,ANN201
    return client.get(url, headers=bearer(demo["tokens"][who]))


def test_the_report_as_json(client, demo, acme):
    resp = get(client, demo, "/api/v1/reports/clients/acme?period=2026-11")
    assert resp.status_code == 200, resp.json
    data = resp.json
    assert data["client"] == {"key": "acme", "name": "Acme"}
    assert data["period"]["label"] == "2026-11" and data["period"]["months"] == ["2026-11"]
    assert data["period"]["timezone"] == "Europe/Amsterdam"
    assert data["period"]["starts_at"] == "2026-10-31T23:00:00+00:00"
    assert data["calls"]["total"] == 3
    assert data["calls"]["by_priority"]["P1"]["incident"] == 1
    assert data["calls"]["by_priority"]["P4"] == dict.fromkeys(
        ("question", "incident", "problem", "change"), 0
    )
    response = data["clocks"]["response"]
    assert (response["met"], response["breached"], response["pending"]) == (2, 1, 0)
    assert response["within_target"] == pytest.approx(0.6667)
    assert response["median_minutes"] == 20 and response["p90_minutes"] == 40
    assert data["clocks"]["resolution"]["within_target"] == 0.0
    assert [m["month"] for m in data["compliance"]] == ["2026-11"]
    assert len(data["trend"]) == 12 and data["trend"][-1] == data["compliance"][0]
    assert sum(b["count"] for b in data["response_times"]) == 3
    assert data["breaches"]["total"] == 2
    assert [b["cause"] for b in data["breaches"]["items"]] == [
        "nobody acknowledged", "waiting, 3rd line",
    ]  # fmt: skip
    assert data["hours"]["period"] == 1.5
    assert data["hours"]["contract_year"]["card"] == 40.0
    assert data["hours"]["contract_year"]["remaining"] == 38.5


def test_breaches_are_paged(client, demo, acme):
    resp = get(client, demo, "/api/v1/reports/clients/acme?period=2026-11&per_page=1&page=2")
    breaches = resp.json["breaches"]
    assert (breaches["page"], breaches["per_page"], breaches["total"]) == (2, 1, 2)
    assert [b["kind"] for b in breaches["items"]] == ["resolution"]


def _sections(body: str) -> dict[str, list[list[str]]]:
    sections: dict[str, list[list[str]]] = {}
    for row in csv.reader(io.StringIO(body)):
        if row:
            sections.setdefault(row[0], []).append(row[1:])
    return sections


@pytest.mark.parametrize(
    "url",
    ["/api/v1/reports/clients/acme.csv?period=2026-11",
     "/api/v1/reports/clients/acme?period=2026-11&format=csv"],
)  # fmt: skip
def test_the_report_as_a_csv_download(client, demo, acme, url):
    resp = get(client, demo, url)
    assert resp.status_code == 200
    assert resp.mimetype == "text/csv"
    assert resp.headers["Content-Disposition"] == (
        'attachment; filename="sla-report-acme-2026-11.csv"'
    )
    sections = _sections(resp.get_data(as_text=True))
    facts = dict(row[:2] for row in sections["report"][1:])
    assert facts["client"] == "acme" and facts["period"] == "2026-11"
    clocks = {row[0]: row for row in sections["clocks"][1:]}
    assert sections["clocks"][0][:5] == ["kind", "met", "breached", "pending", "within_target"]
    assert clocks["response"][1:4] == ["2", "1", "0"]
    assert ["P3", "change", "1"] in sections["calls"]
    assert len(sections["trend"]) == 13 and len(sections["compliance"]) == 2
    breaches = sections["breaches"]
    assert breaches[0][:3] == ["call", "title", "kind"]
    assert breaches[1][1] == '\'=HYPERLINK("http://x")', "no formula for a spreadsheet"
    assert sections["hours"][1][0] == "1.5"


@pytest.mark.parametrize(
    ("who", "key", "status"),
    [
        ("admin", "acme", 200),
        ("bas", "acme", 200),  # SLA manager
        ("anja", "acme", 200),  # associate
        ("amarant", "amarant", 200),  # a client viewer, its own client
        ("amarant", "acme", 403),
        ("amarant", "nobody", 403),
    ],
)
def test_who_reads_which_report(client, demo, acme, who, key, status):
    for url in (f"/api/v1/reports/clients/{key}?period=2026-11",
                f"/api/v1/reports/clients/{key}.csv?period=2026-11"):  # fmt: skip
        resp = get(client, demo, url, who)
        assert resp.status_code == status, (url, resp.get_data(as_text=True)[:300])
        if status == 403:
            assert resp.json["field"] == "key"


def test_no_token_no_report(client, demo, acme):
    assert client.get("/api/v1/reports/clients/acme?period=2026-11").status_code == 401


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "period"),
        ("?period=", "period"),
        ("?period=2026-13", "period"),
        ("?period=Q4-2026", "period"),
        ("?period=2026-Q5", "period"),
        ("?period=2026-11&format=xml", "format"),
        ("?period=2026-11&per_page=0", "per_page"),
        ("?period=2026-11&page=x", "page"),
    ],
)
def test_bad_input_is_422_naming_the_field(client, demo, acme, query, field):
    resp = get(client, demo, f"/api/v1/reports/clients/acme{query}")
    assert resp.status_code == 422 and resp.json["field"] == field, resp.json
    if field == "period":
        assert "period" in resp.json["error"] and "2026-Q4" in resp.json["error"]
        csv_resp = get(client, demo, f"/api/v1/reports/clients/acme.csv{query}")
        assert csv_resp.status_code == 422 and csv_resp.json["field"] == "period"


def test_an_unknown_client_is_404(client, demo):
    resp = get(client, demo, "/api/v1/reports/clients/nobody?period=2026-11")
    assert resp.status_code == 404 and resp.json == {"error": "no client 'nobody'",
                                                     "field": "client"}  # fmt: skip


def test_the_reports_are_in_the_openapi_document(client, demo):
    paths = get(client, demo, "/api/v1/openapi.json").json["paths"]
    report = paths["/api/v1/reports/clients/{key}"]["get"]
    assert {p["name"] for p in report["parameters"]} >= {"key", "period", "format", "page"}
    assert "get" in paths["/api/v1/reports/clients/{key}.csv"]
