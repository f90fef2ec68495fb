"""SLA reports: counts, shares, percentiles against Python's statistics, period bounds in the
contract's time zone (a DST month, a quarter), client isolation, breaches, hours — on real
rows in SQLite and PostgreSQL."""

from __future__ import annotations

import random
import statistics
from datetime import date

import pytest
from sqlalchemy import event, text

from hub.db import db
from hub.errors import Invalid, NotFound
from hub.sla.reports import (
    HISTOGRAM_EDGES,
    TREND_MONTHS,
    client_report,
    contract_year,
    parse_period,
)
from tests.sla.report_data import add_call, add_clock, book, make_client, utc

NOV = utc(2026, 11, 10, 9)


def test_calls_by_priority_and_category_and_the_share_within_target(ctx):
    acme = make_client("acme")
    for priority, category, n in (("P1", "incident", 2), ("P3", "change", 1),
                                  ("P4", "question", 3)):  # fmt: skip
        for _ in range(n):
            add_call(acme, NOV, priority=priority, category=category)
    a, b, c = (add_call(acme, NOV) for _ in range(3))
    add_clock(a, "response", elapsed=10, outcome="met")
    add_clock(b, "response", elapsed=90, outcome="breached")
    add_clock(c, "response", running=True)  # pending
    add_clock(a, "resolution", elapsed=100, outcome="met")
    add_clock(b, "resolution", running=True, outcome="breached")  # breached while running
    add_clock(c, "resolution", running=True)
    db.session.commit()

    report = client_report("acme", "2026-11")

    assert report.calls_total == 9
    assert report.calls[("P1", "incident")] == 2 and report.calls[("P2", "incident")] == 3
    assert report.calls[("P4", "question")] == 3 and ("P1", "change") not in report.calls
    response, resolution = report.clocks["response"], report.clocks["resolution"]
    assert (response.outcomes.met, response.outcomes.breached, response.outcomes.pending) == (
        1, 1, 1,
    )  # fmt: skip
    assert response.outcomes.share == 0.5
    assert (resolution.outcomes.met, resolution.outcomes.breached) == (1, 1)
    assert resolution.outcomes.pending == 1 and resolution.outcomes.share == 0.5
    assert resolution.measured == 1, "only stopped clocks are measured"
    assert resolution.median == 100 and resolution.p90 == 100
    collegial = report.clocks["collegial"]
    assert collegial.outcomes.share is None and collegial.median is None, "none: no share"


def _python_percentiles(values: list[float]) -> tuple[float, float]:
    if len(values) == 1:
        return values[0], values[0]
    return statistics.median(values), statistics.quantiles(values, n=10, method="inclusive")[8]


@pytest.mark.parametrize("n", [1, 2, 3, 7, 10, 11, 64, 201])
def test_median_and_p90_match_pythons_statistics(ctx, n):
    rng = random.Random(n)
    client = make_client(f"c{n}")
    # Ties on purpose: whole minutes from a small range, and some fractions.
    responses = [float(rng.randint(0, 30)) for _ in range(n)]
    resolutions = [round(rng.uniform(0, 5000), 3) for _ in range(n)]
    collegial = [float(rng.choice([5, 5, 5, 20])) for _ in range(max(1, n // 3))]
    calls = [add_call(client, NOV) for _ in range(n)]
    for call, r, s in zip(calls, responses, resolutions, strict=True):
        add_clock(call, "response", elapsed=r, outcome="met")
        add_clock(call, "resolution", elapsed=s, outcome="met")
    for value in collegial:
        add_clock(calls[0], "collegial", elapsed=value, outcome="met")
    add_clock(calls[0], "response", running=True)  # running: not measured
    db.session.commit()

    report = client_report(client.key, "2026-11")

    for kind, values in (("response", responses), ("resolution", resolutions),
                         ("collegial", collegial)):  # fmt: skip
        figures = report.clocks[kind]
        median, p90 = _python_percentiles(values)
        assert figures.measured == len(values)
        assert figures.median == pytest.approx(median, abs=1e-9), kind
        assert figures.p90 == pytest.approx(p90, abs=1e-9), kind
    if db.engine.dialect.name == "postgresql":  # the same as PostgreSQL's own percentile_cont
        median, p90 = db.session.execute(
            text(
                "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY elapsed_minutes),"
                " percentile_cont(0.9) WITHIN GROUP (ORDER BY elapsed_minutes)"
                " FROM clocks JOIN calls ON calls.id = clocks.call_id"
                " WHERE calls.client_id = :c AND kind = 'resolution' AND stopped_at IS NOT NULL"
            ),
            {"c": client.id},
        ).one()
        assert report.clocks["resolution"].median == pytest.approx(median, abs=1e-9)
        assert report.clocks["resolution"].p90 == pytest.approx(p90, abs=1e-9)


def test_a_month_is_the_contracts_local_month_across_a_dst_change(ctx):
    acme = make_client("acme")  # Europe/Amsterdam: summer time ends on 25 October 2026
    inside = [utc(2026, 9, 30, 22), utc(2026, 10, 25, 1, 30), utc(2026, 10, 31, 22, 59)]
    outside = [utc(2026, 9, 30, 21, 59), utc(2026, 10, 31, 23)]
    for at in inside + outside:
        add_call(acme, at)
    db.session.commit()

    report = client_report("acme", "2026-10")

    assert report.timezone == "Europe/Amsterdam"
    assert report.starts_at == utc(2026, 9, 30, 22) and report.ends_at == utc(2026, 10, 31, 23)
    assert report.calls_total == 3
    march = client_report("acme", "2026-03")  # summer time starts on 29 March
    assert (march.starts_at, march.ends_at) == (utc(2026, 2, 28, 23), utc(2026, 3, 31, 22))


def test_another_time_zone_moves_the_bounds(ctx):
    make_client("nyc", timezone="America/New_York")
    report = client_report("nyc", "2026-11")
    assert report.starts_at == utc(2026, 11, 1, 4) and report.ends_at == utc(2026, 12, 1, 5)


def test_a_quarter_has_three_months_and_the_trend_twelve(ctx):
    acme = make_client("acme")
    for at, outcome in ((utc(2026, 10, 5, 9), "met"), (utc(2026, 11, 5, 9), "breached"),
                        (utc(2026, 12, 31, 22, 30), "met"), (utc(2026, 3, 3, 9), "met"),
                        (utc(2025, 12, 31, 12), "breached"),  # 13 months back: not in the trend
                        (utc(2026, 12, 31, 23, 30), "met")):  # 2027 in Amsterdam  # fmt: skip
        add_clock(add_call(acme, at), "response", elapsed=5, outcome=outcome)
    db.session.commit()

    report = client_report("acme", "2026-Q4")

    assert report.period.kind == "quarter" and report.period.label == "2026-Q4"
    assert (report.starts_at, report.ends_at) == (utc(2026, 9, 30, 22), utc(2026, 12, 31, 23))
    assert [m.month for m in report.months] == ["2026-10", "2026-11", "2026-12"]
    assert [(m.response.met, m.response.breached) for m in report.months] == [
        (1, 0), (0, 1), (1, 0),
    ]  # fmt: skip
    assert report.calls_total == 3 and report.clocks["response"].outcomes.share == 2 / 3
    assert len(report.trend) == TREND_MONTHS
    assert report.trend[0].month == "2026-01" and report.trend[-1].month == "2026-12"
    assert sum(m.response.decided for m in report.trend) == 4
    assert report.trend[2].response.met == 1  # March


def test_each_client_sees_only_its_own_calls(ctx):
    acme, other = make_client("acme"), make_client("other")
    mine = add_call(acme, NOV, title="Mine")
    theirs = add_call(other, NOV, title="Theirs")
    add_clock(mine, "response", elapsed=99, outcome="breached", breached_at=NOV, cause="mine")
    add_clock(theirs, "response", elapsed=1, outcome="breached", breached_at=NOV, cause="theirs")
    book(mine, 30, NOV)
    book(theirs, 600, NOV)
    db.session.commit()

    report = client_report("acme", "2026-11")

    assert report.calls_total == 1
    assert [b.title for b in report.breaches] == ["Mine"]
    assert report.clocks["response"].median == 99
    assert report.hours.period == 0.5


def test_breaches_are_listed_with_their_cause_in_order_and_paged(ctx):
    acme = make_client("acme")
    call = add_call(acme, NOV, priority="P1", title="Site down")
    add_clock(call, "response", elapsed=45, outcome="breached", target=30,
              due_at=utc(2026, 11, 10, 9, 30), breached_at=utc(2026, 11, 10, 9, 30),
              cause="on 1-general, nobody acknowledged")  # fmt: skip
    add_clock(call, "line", running=True, outcome="breached", line="2-platform",
              breached_at=utc(2026, 11, 10, 12), cause="waiting for Kovoks")  # fmt: skip
    add_clock(call, "resolution", running=True, outcome="breached",
              breached_at=utc(2026, 11, 10, 11), cause="database restore")  # fmt: skip
    add_clock(call, "collegial", elapsed=3, outcome="met", line="3-application")
    db.session.commit()

    report = client_report("acme", "2026-11")

    assert report.breaches_total == 3
    assert [(b.kind, b.line, b.cause) for b in report.breaches] == [
        ("response", None, "on 1-general, nobody acknowledged"),
        ("resolution", None, "database restore"),
        ("line", "2-platform", "waiting for Kovoks"),
    ]
    first = report.breaches[0]
    assert (first.call_id, first.title, first.priority) == (call.id, "Site down", "P1")
    assert first.due_at == utc(2026, 11, 10, 9, 30)
    second_page = client_report("acme", "2026-11", breaches_page=2, breaches_per_page=2)
    assert [b.kind for b in second_page.breaches] == ["line"]
    assert second_page.breaches_total == 3


def test_hours_in_the_period_and_in_the_contract_year_against_the_card(ctx):
    acme = make_client("acme", valid_from=date(2025, 3, 15), hours_card="40")
    old, new = add_call(acme, utc(2026, 1, 5, 9)), add_call(acme, NOV)
    book(old, 600, utc(2026, 3, 14, 22, 59))  # 14 March local: the previous contract year
    book(old, 60, utc(2026, 3, 14, 23))  # 15 March, 00:00 in Amsterdam: this year
    book(new, 90, utc(2026, 10, 31, 23))  # 1 November, local
    book(new, 45, utc(2026, 11, 30, 22, 59))  # 30 November, local
    book(new, 120, utc(2026, 11, 30, 23))  # 1 December, local: after the period
    db.session.commit()

    hours = client_report("acme", "2026-11").hours

    assert hours.period == 2.25
    assert (hours.year_from, hours.year_until) == (date(2026, 3, 15), date(2026, 11, 30))
    assert hours.year_used == 3.25 and hours.card == 40 and hours.remaining == 36.75


def test_a_client_without_a_contract_gets_amsterdam_days_and_no_card(ctx):
    make_client("loose", timezone=None)
    report = client_report("loose", "2026-11")
    assert report.timezone == "Europe/Amsterdam" and report.contract is None
    assert report.hours.year_used is None and report.hours.remaining is None


def test_the_contract_in_force_in_the_period_gives_the_zone(ctx):
    make_client("moved", timezone="Asia/Tokyo", valid_from=date(2020, 1, 1),
                valid_until=date(2024, 12, 31))  # fmt: skip
    report = client_report("moved", "2024-06")
    assert report.timezone == "Asia/Tokyo" and report.contract == "moved-sla"


def test_response_times_histogram(ctx):
    acme = make_client("acme")
    for minutes in (0, 14.9, 15, 59, 60, 60, 5000):
        add_clock(add_call(acme, NOV), "response", elapsed=minutes, outcome="met")
    add_clock(add_call(acme, NOV), "response", running=True)
    db.session.commit()

    buckets = client_report("acme", "2026-11").response_times

    assert len(buckets) == len(HISTOGRAM_EDGES) + 1
    assert [(b.low, b.high) for b in buckets[:4]] == [(0, 15), (15, 30), (30, 60), (60, 120)]
    assert buckets[-1].high is None
    assert [b.count for b in buckets] == [2, 1, 1, 2, 0, 0, 0, 0, 1]


def test_the_report_asks_the_same_queries_however_many_calls(ctx):
    """Aggregates in SQL: the statements do not grow with the calls (no per-call loading)."""
    small, large = make_client("small"), make_client("large")
    for client, n in ((small, 2), (large, 150)):
        for i in range(n):
            call = add_call(client, NOV)
            add_clock(call, "response", elapsed=i, outcome="met" if i % 3 else "breached")
            book(call, 10, NOV)
    db.session.commit()
    counted: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        counted.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        client_report("small", "2026-11")
        few = len(counted)
        counted.clear()
        report = client_report("large", "2026-11", breaches_per_page=10)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(counted) == few <= 12
    assert report.breaches_total == 50 and len(report.breaches) == 10


@pytest.mark.parametrize(
    ("text_", "label", "months"),
    [
        ("2026-11", "2026-11", [(2026, 11)]),
        (" 2026-01 ", "2026-01", [(2026, 1)]),
        ("2026-Q4", "2026-Q4", [(2026, 10), (2026, 11), (2026, 12)]),
        ("2027-q1", "2027-Q1", [(2027, 1), (2027, 2), (2027, 3)]),
    ],
)
def test_periods(text_, label, months):
    period = parse_period(text_)
    assert period.label == label and list(period.months) == months
    assert period.first_day == date(*months[0], 1)


def test_a_period_knows_its_last_day():
    assert parse_period("2028-02").last_day == date(2028, 2, 29)
    assert parse_period("2026-Q4").end_day == date(2027, 1, 1)


@pytest.mark.parametrize(
    "bad", ["", None, "2026-13", "2026-00", "2026-Q5", "2026-Q0", "26-11", "2026/11", "2026-1",
            "2026-11-01", "１２３４-11", "0999-01", "9999-12", "2026-11 extra", "x" * 500],
)  # fmt: skip
def test_a_bad_period_is_refused_naming_the_field(bad):
    with pytest.raises(Invalid) as caught:
        parse_period(bad)
    assert caught.value.field == "period" and "period" in caught.value.message
    assert len(caught.value.message) < 200


def test_an_unknown_client_is_not_found(ctx):
    with pytest.raises(NotFound) as caught:
        client_report("nobody", "2026-11")
    assert caught.value.field == "client" and "nobody" in caught.value.message


@pytest.mark.parametrize(
    ("start", "day", "year"),
    [
        (date(2025, 3, 15), date(2026, 3, 14), (date(2025, 3, 15), date(2026, 3, 15))),
        (date(2025, 3, 15), date(2026, 3, 15), (date(2026, 3, 15), date(2027, 3, 15))),
        (date(2024, 2, 29), date(2025, 2, 28), (date(2025, 2, 28), date(2026, 2, 28))),
        (date(2024, 2, 29), date(2028, 3, 1), (date(2028, 2, 29), date(2029, 2, 28))),
        (date(2026, 1, 1), date(2025, 12, 31), None),
    ],
)
def test_contract_years(start, day, year):
    assert contract_year(start, day) == year
