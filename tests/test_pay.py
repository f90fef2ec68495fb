"""Associate pay: the seed's tariffs worked through by hand, quarters on the hub's clock,
tariff versions, and frozen statements with corrections in the next quarter."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from hub import calls as call_service
from hub.db import db
from hub.errors import Conflict, Invalid
from hub.models import Application, Person, Shift, TimeEntry
from hub.pay import activity, quarters, statements, tariffs

AMS = ZoneInfo("Europe/Amsterdam")
ISSUE_AT = datetime(2026, 12, 1, tzinfo=UTC)


def local(*args: int) -> datetime:
    """A wall-clock time in Amsterdam, as an aware instant."""
    return datetime(*args, tzinfo=AMS)


def person(key: str = "anja") -> Person:
    return db.session.scalar(select(Person).where(Person.key == key))


def duty(who: Person, starts: datetime, *, planned: datetime | None = None) -> Shift:
    """A 60-hour joomla duty from ``starts``; ``planned`` is when it was put on the roster."""
    shift = Shift(person=who, product_line="joomla", starts_at=starts.astimezone(UTC),
                  ends_at=(starts + timedelta(hours=60)).astimezone(UTC))  # fmt: skip
    if planned is not None:
        shift.created_at = planned
    db.session.add(shift)
    db.session.flush()
    return shift


def handled(who: Person, minutes: int, at: datetime, title: str = "A call") -> int:
    """A call on which ``who`` logged ``minutes`` at ``at``; its id."""
    call = call_service.create(actor="test", source="test", client="amarant", title=title)
    entry = TimeEntry(call=call, person=who, minutes=minutes, created_by="test", created_at=at)
    db.session.add(entry)
    db.session.flush()
    return call.id


def app_(key: str = "amarant-intranet") -> Application:
    return db.session.scalar(select(Application).where(Application.key == key))


def quarter_fixture() -> dict:
    """Anja in 2026-Q1: 1 handover, 3 duties, 2 team meetings, 14 calls (one of 10
    minutes, one of 3 hours, twelve of 30 minutes). The handover and the duties were
    planned in December, so they are paid in advance."""
    anja = person()
    before = datetime(2025, 12, 15, tzinfo=UTC)
    h = activity.add_handover(anja, app_(), date(2026, 1, 12), actor="test")
    h.created_at = before
    shifts = [duty(anja, local(2026, m, 5, 8), planned=before) for m in (1, 2, 3)]
    meetings = [activity.add_meeting(anja, date(2026, m, 20), actor="test") for m in (1, 3)]
    short = handled(anja, 10, local(2026, 1, 7, 10), "Short")
    long = handled(anja, 180, local(2026, 2, 9, 10), "Long")
    usual = [handled(anja, 30, local(2026, 3, d, 14), f"Usual {d}") for d in range(1, 13)]
    db.session.flush()
    return {"anja": anja, "handover": h.id, "shifts": [s.id for s in shifts],
            "meetings": [m.id for m in meetings], "short": short, "long": long,
            "usual": usual}  # fmt: skip


def test_the_seed_tariffs_are_the_defaults(ctx):
    book = tariffs.Book()
    day = date(2026, 1, 1)
    assert [book.on(i, day).amount_cents for i in tariffs.ITEMS] == [9000, 5000, 0, 3000, 6000]
    call = book.on("call", day)
    assert (call.unit, call.min_minutes, call.max_minutes) == ("hour", 15, 150)
    assert [call.counted(m) for m in (1, 15, 40, 150, 151, 600)] == [15, 15, 40, 150, 150, 150]
    assert call.price(15) == 1500 and call.price(150) == 15000


def test_one_quarter_worked_through_by_hand(ctx):
    f = quarter_fixture()
    body = statements.view(f["anja"], "2026-Q1")
    got = [(x["kind"], x["source"], x["quantity"], x["amount_cents"], x["flagged"])
           for x in body["lines"]]  # fmt: skip
    s1, s2, s3 = (f"shift:{i}" for i in f["shifts"])
    expected = [
        ("item", s1, 1, 3000, False),  # 5 Jan: preparing a duty, 30
        ("item", f"call:{f['short']}", 15, 1500, False),  # 7 Jan: 10 min counts as 15
        ("item", f"handover:{f['handover']}", 1, 9000, False),  # 12 Jan
        ("item", f"meeting:{f['meetings'][0]}", 1, 5000, False),  # 20 Jan
        ("item", s2, 1, 3000, False),  # 5 Feb
        ("item", f"call:{f['long']}", 150, 15000, True),  # 9 Feb: 3 h capped at 2.5 h
        *[("item", f"call:{c}", 30, 3000, False) for c in f["usual"][:5]],  # 1–5 Mar
        ("item", s3, 1, 3000, False),  # 5 Mar (a call comes before a duty on one day)
        *[("item", f"call:{c}", 30, 3000, False) for c in f["usual"][5:]],  # 6–12 Mar
        ("item", f"meeting:{f['meetings'][1]}", 1, 5000, False),  # 20 Mar
        ("advance", s1, 1, 3000, False),
        ("advance", f"handover:{f['handover']}", 1, 9000, False),
        ("advance", s2, 1, 3000, False),
        ("advance", s3, 1, 3000, False),
    ]
    assert got == expected
    # 90 handover + 3 × 30 duties + 2 × 50 meetings + (15 + 150 + 12 × 30) min at 60/h
    assert body["earned_cents"] == 9000 + 9000 + 10000 + 52500 == 80500
    assert body["advance_cents"] == 9000 + 9000 == 18000
    assert body["corrections_cents"] == 0
    assert body["settlement_cents"] == 62500
    assert (body["earned"], body["advance"], body["settlement"]) == ("805.00", "180.00", "625.00")
    assert body["flagged"] == 1 and body["issued"] is False
    long = next(x for x in body["lines"] if x["source"] == f"call:{f['long']}")
    assert "3 h 00 min worked, 2 h 30 min counted" in long["description"]
    assert "for the SLA manager" in long["description"]


def test_an_item_belongs_to_the_quarter_of_its_local_date(ctx):
    anja = person()
    last_q1 = handled(anja, 20, local(2026, 3, 31, 23, 30))  # 21:30 UTC, CEST
    first_q2 = handled(anja, 20, local(2026, 4, 1, 0, 30))  # 22:30 UTC on 31 March
    new_year = handled(anja, 20, local(2026, 1, 1, 0, 30))  # 23:30 UTC on 31 December
    old_year = handled(anja, 20, local(2025, 12, 31, 23, 30))
    first_q2_duty = duty(anja, local(2026, 4, 1, 0, 30))
    sources = {q: {x["source"] for x in statements.view(anja, q)["lines"]}
               for q in ("2025-Q4", "2026-Q1", "2026-Q2")}  # fmt: skip
    assert sources["2025-Q4"] == {f"call:{old_year}"}
    assert sources["2026-Q1"] == {f"call:{new_year}", f"call:{last_q1}"}
    assert sources["2026-Q2"] == {f"call:{first_q2}", f"shift:{first_q2_duty.id}"}
    assert quarters.instants("2026-Q2")[0] == datetime(2026, 3, 31, 22, tzinfo=UTC)
    assert quarters.instants("2026-Q1")[0] == datetime(2025, 12, 31, 23, tzinfo=UTC)


def test_a_tariff_change_mid_quarter_prices_each_item_on_its_date(ctx):
    anja = person()
    tariffs.add_version("duty", date(2026, 2, 15), 4000, actor="test")
    tariffs.add_version("call", date(2026, 2, 15), 9000, actor="test", max_minutes=120)
    early, late = duty(anja, local(2026, 2, 14, 8)), duty(anja, local(2026, 2, 17, 20))
    before = handled(anja, 180, local(2026, 2, 14, 23, 59))
    after = handled(anja, 180, local(2026, 2, 15, 0, 1))
    lines = {x["source"]: x for x in statements.view(anja, "2026-Q1")["lines"]}
    assert lines[f"shift:{early.id}"]["amount_cents"] == 3000
    assert lines[f"shift:{late.id}"]["amount_cents"] == 4000
    assert (lines[f"call:{before}"]["quantity"], lines[f"call:{before}"]["amount_cents"]) == (
        150, 15000)  # fmt: skip
    assert (lines[f"call:{after}"]["quantity"], lines[f"call:{after}"]["amount_cents"]) == (
        120, 18000)  # fmt: skip
    assert lines[f"shift:{late.id}"]["tariff_id"] is not None
    assert lines[f"shift:{early.id}"]["tariff_id"] is None  # the seed's default


def test_tariff_versions_are_checked(ctx):
    with pytest.raises(Invalid) as bad:
        tariffs.add_version("lunch", date(2027, 1, 1), 100, actor="t")
    assert bad.value.field == "item"
    with pytest.raises(Invalid) as bad:
        tariffs.add_version("duty", date(2027, 1, 1), -1, actor="t")
    assert bad.value.field == "amount_cents"
    with pytest.raises(Invalid) as bad:
        tariffs.add_version("duty", date(2027, 1, 1), 100, actor="t", unit="hour")
    assert bad.value.field == "unit"
    with pytest.raises(Invalid) as bad:
        tariffs.add_version("call", date(2027, 1, 1), 100, actor="t", min_minutes=200)
    assert bad.value.field == "max_minutes"
    tariffs.add_version("duty", date(2027, 1, 1), 100, actor="t")
    with pytest.raises(Conflict) as bad:
        tariffs.add_version("duty", date(2027, 1, 1), 200, actor="t")
    assert bad.value.field == "valid_from"


def test_an_issued_statement_is_frozen_and_a_late_item_is_corrected_next_quarter(ctx):
    f = quarter_fixture()
    anja = f["anja"]
    issued = statements.issue(anja, "2026-Q1", actor="test", now=ISSUE_AT)
    db.session.commit()
    frozen = statements.view(anja, "2026-Q1")
    assert frozen["issued"] is True and frozen["settlement_cents"] == 62500
    # After issue: a meeting in Q1 recorded late, more time on the long call (still
    # capped: no change), more time on a usual one, a tariff from Q2 and a Q2 duty.
    late = activity.add_meeting(anja, date(2026, 3, 27), actor="test")
    db.session.add(TimeEntry(call_id=f["usual"][0], person=anja, minutes=15, created_by="t",
                             created_at=local(2026, 4, 2, 9)))  # fmt: skip
    db.session.add(TimeEntry(call_id=f["long"], person=anja, minutes=60, created_by="t",
                             created_at=local(2026, 4, 2, 9)))  # fmt: skip
    tariffs.add_version("meeting", date(2026, 4, 1), 7000, actor="test")
    q2_duty = duty(anja, local(2026, 5, 5, 8))
    db.session.commit()
    assert statements.view(anja, "2026-Q1") == frozen
    assert statements.find(anja, "2026-Q1").id == issued.id

    q2 = statements.view(anja, "2026-Q2")
    got = [(x["kind"], x["source"], x["amount_cents"]) for x in q2["lines"]]
    assert got == [
        ("item", f"shift:{q2_duty.id}", 3000),
        ("correction", f"call:{f['usual'][0]}", 1500),  # 45 min now, 30 paid
        ("correction", f"meeting:{late.id}", 5000),  # priced on its own date: Q1's 50
    ]
    assert (q2["earned_cents"], q2["corrections_cents"], q2["settlement_cents"]) == (
        3000, 6500, 9500)  # fmt: skip
    statements.issue(anja, "2026-Q2", actor="test", now=ISSUE_AT)
    db.session.commit()
    q3 = statements.view(anja, "2026-Q3")
    assert q3["lines"] == [] and q3["settlement_cents"] == 0  # nothing paid twice


def test_a_removed_item_is_taken_back_and_issue_is_refused_when_it_may_not(ctx):
    f = quarter_fixture()
    anja = f["anja"]
    with pytest.raises(Invalid) as early:
        statements.issue(anja, "2026-Q4", actor="t", now=ISSUE_AT)
    assert early.value.field == "quarter"
    statements.issue(anja, "2026-Q1", actor="test", now=ISSUE_AT)
    with pytest.raises(Conflict) as twice:
        statements.issue(anja, "2026-Q1", actor="t", now=ISSUE_AT)
    assert "already issued" in twice.value.message
    statements.issue(person("ronald"), "2026-Q2", actor="test", now=ISSUE_AT)
    with pytest.raises(Conflict) as order:
        statements.issue(person("ronald"), "2026-Q1", actor="t", now=ISSUE_AT)
    assert "issue in order" in order.value.message
    db.session.delete(db.session.get(Shift, f["shifts"][0]))
    db.session.flush()
    assert statements.view(anja, "2026-Q1")["settlement_cents"] == 62500  # frozen
    q2 = statements.view(anja, "2026-Q2")
    assert [(x["kind"], x["source"], x["amount_cents"]) for x in q2["lines"]] == [
        ("correction", f"shift:{f['shifts'][0]}", -3000)
    ]
    assert "no longer recorded" in q2["lines"][0]["description"]
    with pytest.raises(Conflict) as past:
        tariffs.add_version("duty", date(2026, 3, 1), 100, actor="t")
    assert past.value.field == "valid_from"


def test_a_passed_exam_certifies_a_failed_one_does_not(ctx):
    ronald = person("ronald")
    activity.add_exam(ronald, date(2026, 2, 1), "exam", "drupal", False, actor="t")
    assert ronald.certified == ["joomla"]
    activity.add_exam(ronald, date(2026, 2, 2), "training", "drupal", None, actor="t")
    assert ronald.certified == ["joomla"]
    activity.add_exam(ronald, date(2026, 3, 1), "exam", "drupal", True, actor="t")
    assert ronald.certified == ["drupal", "joomla"]
    from hub.sla import roster

    assert ronald in roster.pool("drupal")
    lines = statements.view(ronald, "2026-Q1")["lines"]
    assert [(x["item"], x["amount_cents"]) for x in lines] == [("training", 0)] * 3
    with pytest.raises(Invalid) as bad:
        activity.add_exam(ronald, date(2026, 3, 1), "exam", "drupal", None, actor="t")
    assert bad.value.field == "passed"
    with pytest.raises(Invalid) as bad:
        activity.add_meeting(person("bas"), date(2026, 3, 1), actor="t")
    assert bad.value.field == "person"


def test_a_handover_session_is_paid_once_per_application(ctx):
    anja = person()
    activity.add_handover(anja, app_(), date(2026, 1, 5), actor="t")
    with pytest.raises(Conflict) as twice:
        activity.add_handover(anja, app_(), date(2026, 2, 5), actor="t")
    assert twice.value.field == "application"


def test_csv_has_a_row_per_line_and_the_totals(ctx):
    f = quarter_fixture()
    text = statements.as_csv(statements.view(f["anja"], "2026-Q1"))
    rows = text.strip().splitlines()
    assert rows[0].startswith("person,quarter,kind,item,source")
    assert len(rows) == 1 + 20 + 4 + 4  # header, items, advance, totals
    assert rows[-1] == "anja,2026-Q1,total,settlement,,,,,,625.00,"
