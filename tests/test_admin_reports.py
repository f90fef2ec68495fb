"""The SLA report page: the form, the tables, the SVG charts, breaches paged, the CSV
download, errors beside their field, and a client viewer kept to its own client."""

from __future__ import annotations

import re

import pytest

from hub.admin.reports import BOTTOM, HEIGHT, TOP, compliance_chart, histogram_chart
from hub.db import db
from hub.sla.reports import Bucket, MonthFigures, Outcomes
from tests.sla.report_data import add_call, add_clock, book, make_client, utc
from tests.test_admin_login import log_in, user

NOV = utc(2026, 11, 10, 9)


@pytest.fixture
def acme(app, demo):  # noqa: ANN001,ANN201
    with app.app_context():
        client = make_client("acme")
        for i in range(60):
            call = add_call(client, NOV, priority="P1", title=f"Down {i}")
            add_clock(call, "response", elapsed=40 + i, outcome="breached", target=30,
                      breached_at=utc(2026, 11, 10, 9, 30), cause=f"cause <{i}>")  # fmt: skip
        for _ in range(3):
            add_clock(add_call(client, NOV, category="question"), "response", elapsed=5,
                      outcome="met")  # fmt: skip
        book(call, 75, NOV)
        add_clock(add_call(client, utc(2026, 10, 2, 9)), "response", elapsed=1, outcome="met")
        db.session.commit()
    return "acme"


def as_role(client, demo, role: str) -> None:  # noqa: ANN001
    log_in(client, *user(demo, role))


def test_the_report_page_shows_tables_charts_breaches_and_hours(client, demo, acme):
    as_role(client, demo, "sla_manager")
    resp = client.get("/reports?client=acme&period=2026-11")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "<title>SLA report Acme 2026-11 · SLA Hub</title>" in page
    assert page.count("<h1>") == 1 and "<h1>SLA report</h1>" in page
    assert '<label for="f-client">Client</label>' in page
    assert '<label for="f-period">Period</label>' in page
    assert 'value="acme" selected' in page and 'value="2026-11"' in page
    assert "Calls by priority and category (63)" in page
    assert page.count('<div class="scroll"><table>') >= 3
    assert re.search(r'<th scope="row">response</th>\s*<td>3</td><td>60</td><td>0</td>', page)
    assert "4.8 %" in page, "3 of 63 within target"
    # Two inline SVG charts with text alternatives; no script, nothing from elsewhere.
    assert page.count('<svg class="chart"') == 2 and page.count('role="img"') == 2
    assert "Share of clocks within target per month, target 90 %" in page
    assert "<title>2026-11 response: 5% within target (3 of 63)</title>" in page
    assert "<title>2026-10 response: 100% within target (1 of 1)</title>" in page
    assert "<title>1 h–2 h: 40 responses</title>" in page
    assert "<title>30 min–1 h: 20 responses</title>" in page
    assert 'class="target"' in page and "<script" not in page and "http" not in page.split(
        "<svg", 1)[1].replace("http://www.w3.org", "")  # fmt: skip
    # Breaches: first page of 50, cause escaped, pager.
    assert "Breaches (60)" in page and page.count("cause &lt;") == 50
    assert "page 1 of 2" in page and 'rel="next"' in page
    assert "2026-11-10 10:30" in page, "times in the contract's zone"
    assert "1.25 h" in page and "of the 40.00 h card" in page
    assert 'href="/reports.csv?client=acme&amp;period=2026-11"' in page


def test_the_second_page_of_breaches(client, demo, acme):
    as_role(client, demo, "associate")
    page = client.get("/reports?client=acme&period=2026-11&page=2").get_data(as_text=True)
    assert page.count("cause &lt;") == 10 and "page 2 of 2" in page


def test_a_quarter_shows_its_months(client, demo, acme):
    as_role(client, demo, "admin")
    page = client.get("/reports?client=acme&period=2026-Q4").get_data(as_text=True)
    months = re.findall(r'<th scope="row">(2026-1\d)</th>', page)
    assert months == ["2026-10", "2026-11", "2026-12"]


def test_a_bad_period_is_shown_beside_its_field(client, demo, acme):
    as_role(client, demo, "sla_manager")
    resp = client.get("/reports?client=acme&period=2026-13")
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert 'id="f-period-error">period &#39;2026-13&#39; has no month 13' in page
    assert 'aria-invalid="true"' in page and "f-period-error" in page
    assert 'value="2026-13"' in page, "what was typed is kept"
    assert "<svg" not in page


def test_an_unknown_client_is_shown_beside_its_field(client, demo):
    as_role(client, demo, "admin")
    resp = client.get("/reports?client=nobody&period=2026-11")
    assert resp.status_code == 404
    assert 'id="f-client-error">no client &#39;nobody&#39;' in resp.get_data(as_text=True)


def test_a_client_viewer_sees_only_its_own_client(client, demo, acme):
    as_role(client, demo, "client_viewer")
    resp = client.get("/reports")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert re.findall(r'<option value="([^"]+)"', page) == ["amarant"]
    assert "Amarant, 20" in page, "its own client, this month by default"
    for url in ("/reports?client=acme&period=2026-11", "/reports.csv?client=acme&period=2026-11",
                "/reports?client=nobody"):  # fmt: skip
        resp = client.get(url)
        assert resp.status_code == 403 and "another client" in resp.get_data(as_text=True)


def test_the_csv_download(client, demo, acme):
    as_role(client, demo, "sla_manager")
    resp = client.get("/reports.csv?client=acme&period=2026-11")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.headers["Content-Disposition"] == (
        'attachment; filename="sla-report-acme-2026-11.csv"'
    )
    body = resp.get_data(as_text=True)
    assert body.count("\nbreaches,") == 61, "all 60 breaches and the header"
    bad = client.get("/reports.csv?client=acme&period=soon")
    assert bad.status_code == 422 and "period" in bad.get_data(as_text=True)


def _month(label: str, met: int, breached: int) -> MonthFigures:
    empty = Outcomes()
    return MonthFigures(label, {"response": Outcomes(met, breached), "resolution": empty,
                                "collegial": empty})  # fmt: skip


def test_the_compliance_chart_geometry():
    chart = compliance_chart([_month("2026-10", 1, 1), _month("2026-11", 9, 1)], 90)
    plot = HEIGHT - TOP - BOTTOM
    kinds = [kind for kind, _ in chart["bars"]]
    assert kinds == ["response", "response"], "no bar for a month without decided clocks"
    half, ninety = (bar for _, bar in chart["bars"])
    assert half.height == pytest.approx(plot / 2, abs=0.1)
    assert ninety.height == pytest.approx(plot * 0.9, abs=0.1)
    assert chart["target_y"] == pytest.approx(ninety.y, abs=0.1), "the line at 90 %"
    assert "2026-10: response 50%, resolution no decided clocks" in chart["summary"]


def test_the_histogram_geometry():
    chart = histogram_chart([Bucket(0, 15, 4), Bucket(15, 30, 2), Bucket(30, None, 0)])
    heights = [bar.height for bar in chart["bars"]]
    assert heights[0] == pytest.approx(HEIGHT - TOP - BOTTOM, abs=0.1)
    assert heights[1] == pytest.approx(heights[0] / 2, abs=0.1) and heights[2] == 0
    assert [t["label"] for t in chart["ticks"]] == ["0 min", "15 min", "30 min+"]
    assert chart["bars"][2].label == "30 min or more: 0 responses"
