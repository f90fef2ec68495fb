"""The client's verdict in the SLA reports: per client and period, the approval rate (of
the period's calls with hours, those whose hours were all approved) and the average
satisfaction of each call's latest feedback, with its count; in the JSON, the CSV and on
the /reports page. Rows are inserted as stored, so the figures are known in advance."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from sqlalchemy import select

from hub.db import db
from hub.hours import ledger
from hub.models import Call, CallFeedback, Contract, HoursDecision, TimeEntry
from hub.sla.reports import Feedback, client_report
from hub.sla.reports_export import csv_rows, to_json
from tests.conftest import bearer
from tests.sla.report_data import add_call, book, make_client, utc
from tests.test_admin_login import log_in, user

NOV = utc(2026, 11, 10, 9)
OCT = utc(2026, 10, 10, 9)


def decide(entry: TimeEntry, state: str) -> None:
    call = db.session.get(Call, entry.call_id)
    db.session.add(HoursDecision(
        time_entry_id=entry.id, contract_id=call.contract_id, call_id=call.id,
        minutes=entry.minutes, state=state, decided_by="test",
    ))  # fmt: skip


def feedback(call: Call, score: int | None, at: datetime, verdict: str = "approved") -> None:
    db.session.add(CallFeedback(call_id=call.id, verdict=verdict, score=score, actor="test",
                                at=at))  # fmt: skip


def entry(call: Call, minutes: int = 30) -> TimeEntry:
    row = book(call, minutes, call.created_at)
    db.session.flush()
    return row


def acme_november() -> None:
    """Acme's November: 3 calls with hours (1 all approved, 1 partly, 1 disputed), 1
    without; scores 2 → 5 (revised), 1, and 4 → none; October and another client aside."""
    acme, other = make_client("acme"), make_client("other")
    approved, partly, disputed = (add_call(acme, NOV, title=t) for t in ("a", "p", "d"))
    quiet = add_call(acme, NOV, title="no hours")
    for row in (entry(approved), entry(approved, 5)):
        decide(row, "approved")
    decide(entry(partly), "approved")
    entry(partly)  # booked after the approval: undecided
    decide(entry(disputed), "disputed")
    feedback(approved, 2, utc(2026, 11, 11))
    feedback(approved, 5, utc(2026, 11, 12))
    feedback(disputed, 1, utc(2026, 11, 12), "disputed")
    feedback(partly, 4, utc(2026, 11, 11))
    feedback(partly, None, utc(2026, 11, 13))  # the latest word gave no score
    feedback(quiet, 3, utc(2026, 12, 1))  # a score without hours counts for satisfaction
    october = add_call(acme, OCT)
    decide(entry(october), "approved")
    feedback(october, 1, OCT)
    theirs = add_call(other, NOV)
    decide(entry(theirs), "disputed")
    feedback(theirs, 1, NOV)
    db.session.commit()


def test_approval_rate_and_latest_satisfaction_of_the_periods_calls(ctx):
    acme_november()
    fb = client_report("acme", "2026-11").feedback
    assert (fb.with_hours, fb.approved, fb.disputed) == (3, 1, 1)
    assert fb.approval_rate == pytest.approx(1 / 3)
    # latest per call: 5 (approved), 1 (disputed), none (partly), 3 (quiet)
    assert (fb.scored, fb.average_score) == (3, pytest.approx(3.0))
    october = client_report("acme", "2026-10").feedback
    assert (october.with_hours, october.approved, october.approval_rate) == (1, 1, 1.0)
    assert (october.scored, october.average_score) == (1, 1.0)
    quarter = client_report("acme", "2026-Q4").feedback
    assert (quarter.with_hours, quarter.approved, quarter.scored) == (4, 2, 4)


def test_the_same_moment_is_decided_by_the_later_feedback(ctx):
    acme = make_client("acme")
    call = add_call(acme, NOV)
    feedback(call, 1, NOV)
    feedback(call, 4, NOV)
    db.session.commit()
    fb = client_report("acme", "2026-11").feedback
    assert (fb.scored, fb.average_score, fb.with_hours, fb.approval_rate) == (1, 4.0, 0, None)


def test_a_period_without_calls_has_no_rate_and_no_score(ctx):
    make_client("acme")
    db.session.commit()
    assert client_report("acme", "2026-11").feedback == Feedback()
    data = to_json(client_report("acme", "2026-11"))["feedback"]
    assert data == {"calls_with_hours": 0, "approved": 0, "disputed": 0, "approval_rate": None,
                    "satisfaction": {"average": None, "count": 0}}  # fmt: skip


def test_verdicts_given_through_the_ledger_count(ctx):
    """The demo's call approved through :func:`ledger.give_verdict` with a score."""
    call = db.session.scalar(select(Call).order_by(Call.id))
    contract = db.session.get(Contract, call.contract_id)
    ledger.purchase(contract, actor="t", bought_on=NOV.date(), hours_bought=10, amount=0)
    ledger.give_verdict(call, actor="t", verdict="approved", score=4, comment="ok")
    db.session.commit()
    period = call.created_at.strftime("%Y-%m")
    fb = client_report(call.client.key, period).feedback
    assert (fb.approved, fb.scored, fb.average_score) == (fb.with_hours, 1, 4.0)
    assert fb.with_hours >= 1 and fb.approval_rate == 1.0


def test_json_and_csv_carry_the_figures(ctx):
    acme_november()
    report = client_report("acme", "2026-11")
    assert to_json(report)["feedback"] == {
        "calls_with_hours": 3, "approved": 1, "disputed": 1, "approval_rate": 0.3333,
        "satisfaction": {"average": 3.0, "count": 3},
    }  # fmt: skip
    rows = [row for row in csv_rows(report) if row and row[0] == "feedback"]
    assert rows == [
        ["feedback", "calls_with_hours", "approved", "disputed", "approval_rate",
         "satisfaction_average", "satisfaction_count"],
        ["feedback", 3, 1, 1, 0.3333, 3.0, 3],
    ]  # fmt: skip


@pytest.fixture
def november(app, demo):  # noqa: ANN001,ANN201
    with app.app_context():
        acme_november()


def test_the_api_and_its_csv_answer_the_figures(client, demo, november):
    headers = bearer(demo["tokens"]["bas"])
    data = client.get("/api/v1/reports/clients/acme?period=2026-11", headers=headers).json
    assert data["feedback"]["approval_rate"] == 0.3333
    assert data["feedback"]["satisfaction"] == {"average": 3.0, "count": 3}
    text = client.get("/api/v1/reports/clients/acme.csv?period=2026-11", headers=headers)
    rows = [r for r in csv.reader(io.StringIO(text.get_data(as_text=True))) if r]
    assert ["feedback", "3", "1", "1", "0.3333", "3.0", "3"] in rows


def test_the_report_page_shows_the_approval_rate_and_satisfaction(client, demo, november):
    log_in(client, *user(demo, "sla_manager"))
    page = client.get("/reports?client=acme&period=2026-11").get_data(as_text=True)
    assert 'id="approval-rate">33.3 % (1 of 3 calls with hours)' in page
    assert 'id="satisfaction">3.0 of 5 (3 calls scored)' in page
    page = client.get("/reports?client=acme&period=2027-01").get_data(as_text=True)
    assert 'id="approval-rate">no calls with hours' in page
    assert 'id="satisfaction">no scores' in page
