"""The client's hours card: rounding, verdicts, disputes, overdraft, the low warning, and
a property test that the ledger reconciles whatever order things happen in."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from hub import calls, hookimpl
from hub.db import db
from hub.errors import Conflict, HubError, Invalid
from hub.hours import ledger
from hub.models import CallFeedback, Contract, HoursDecision, HoursSettings
from hub.pluginmanager import get_pm


def contract() -> Contract:
    return db.session.scalar(select(Contract).where(Contract.reference == "amarant-sla-2026"))


def new_call(*minutes: int):  # noqa: ANN201
    call = calls.create(actor="t", source="t", client="amarant", title="Hours")
    for m in minutes:
        calls.add_time(call, actor="t", person="anja", minutes=m)
    db.session.flush()
    return call


def buy(hours: str, amount: str = "100.00") -> None:
    ledger.purchase(contract(), actor="t", bought_on=date(2026, 11, 1),
                    hours_bought=Decimal(hours), amount=Decimal(amount))  # fmt: skip


def test_round_up():
    assert [ledger.round_up(m, 15) for m in (1, 14, 15, 16, 30, 31)] == [15, 15, 15, 30, 30, 45]
    assert ledger.round_up(25, 10) == 30 and ledger.round_up(7, 1) == 7


def test_approval_deducts_the_rounded_time(ctx):
    buy("10")
    call = new_call(20, 5)
    ledger.give_verdict(call, actor="c", verdict="approved", score=4, comment="fine")
    db.session.commit()
    book = ledger.ledger(contract())
    assert (book.purchased, book.approved, book.balance) == (
        Decimal("10.00"), Decimal("0.75"), Decimal("9.25"),  # 20 → 30 and 5 → 15 minutes
    )  # fmt: skip


def test_the_unit_is_a_contract_setting(ctx):
    buy("10")
    ledger.configure(contract(), unit_minutes=60, low_balance_hours=None,
                     overdraft_hours=Decimal("0"))  # fmt: skip
    ledger.give_verdict(new_call(5), actor="c", verdict="approved")
    db.session.commit()
    assert ledger.ledger(contract()).approved == Decimal("1.00")


def test_disputed_hours_are_held_then_approved(ctx):
    buy("2")
    call = new_call(30)
    ledger.give_verdict(call, actor="c", verdict="disputed", score=2, comment="too long")
    db.session.commit()
    book = ledger.ledger(contract())
    assert (book.held, book.balance) == (Decimal("0.50"), Decimal("2.00"))
    ledger.give_verdict(call, actor="c", verdict="approved", score=3)
    db.session.commit()
    book = ledger.ledger(contract())
    assert (book.held, book.approved, book.balance) == (
        Decimal("0.00"), Decimal("0.50"), Decimal("1.50"),
    )  # fmt: skip


def test_disputed_hours_written_off_by_the_manager(ctx):
    buy("2")
    call = new_call(30)
    ledger.give_verdict(call, actor="c", verdict="disputed")
    assert ledger.resolve(call, actor="bas", action="write_off", note="goodwill") == 1
    db.session.commit()
    book = ledger.ledger(contract())
    assert (book.held, book.written_off, book.balance) == (
        Decimal("0.00"), Decimal("0.50"), Decimal("2.00"),
    )  # fmt: skip


def test_overdraft_is_refused_with_409_and_nothing_written(ctx):
    buy("0.25")
    call = new_call(20)
    db.session.commit()
    before = db.session.scalar(select(func.count()).select_from(HoursDecision))
    with pytest.raises(Conflict) as refused:
        ledger.give_verdict(call, actor="c", verdict="approved")
    db.session.rollback()
    assert refused.value.status == 409 and "overdraw" in refused.value.message
    assert refused.value.field == "hours"
    assert db.session.scalar(select(func.count()).select_from(HoursDecision)) == before
    assert db.session.scalar(select(func.count()).select_from(CallFeedback)) == 0


def test_an_allowed_overdraft_goes_below_zero(ctx):
    buy("0.25")
    ledger.configure(contract(), unit_minutes=15, low_balance_hours=None,
                     overdraft_hours=Decimal("1"))  # fmt: skip
    ledger.give_verdict(new_call(45), actor="c", verdict="approved")
    db.session.commit()
    assert ledger.ledger(contract()).balance == Decimal("-0.50")


def test_a_bad_score_or_verdict_is_refused(ctx):
    call = new_call(10)
    with pytest.raises(Invalid) as bad:
        ledger.give_verdict(call, actor="c", verdict="approved", score=6)
    assert bad.value.field == "score"
    with pytest.raises(Invalid) as bad:
        ledger.give_verdict(call, actor="c", verdict="maybe")
    assert bad.value.field == "verdict"


class LowRecorder:
    def __init__(self) -> None:
        self.got: list[tuple[str, Decimal]] = []

    @hookimpl
    def hub_hours_low(self, client, balance):  # noqa: ANN001,ANN201
        self.got.append((client, balance))


def test_hook_hub_hours_low(ctx):
    """Fires once when the balance crosses the level; again after a purchase lifted it."""
    recorder = LowRecorder()
    get_pm().register(recorder, name="low-recorder")
    buy("3")
    ledger.configure(contract(), unit_minutes=15, low_balance_hours=Decimal("2"),
                     overdraft_hours=Decimal("0"))  # fmt: skip
    db.session.commit()
    assert recorder.got == []
    ledger.give_verdict(new_call(60), actor="c", verdict="approved")
    db.session.commit()
    assert recorder.got == []  # 2.00 left: at the level, not below
    ledger.give_verdict(new_call(15), actor="c", verdict="approved")
    db.session.commit()
    assert recorder.got == [("amarant", Decimal("1.75"))]
    ledger.give_verdict(new_call(15), actor="c", verdict="approved")
    db.session.commit()
    assert len(recorder.got) == 1  # still below: no second warning
    buy("5")
    db.session.commit()
    ledger.give_verdict(new_call(300), actor="c", verdict="approved")
    db.session.commit()
    assert recorder.got[1] == ("amarant", Decimal("1.50"))


def test_a_rolled_back_crossing_warns_no_one(ctx):
    recorder = LowRecorder()
    get_pm().register(recorder, name="low-recorder")
    buy("1")
    ledger.configure(contract(), unit_minutes=15, low_balance_hours=Decimal("1"),
                     overdraft_hours=Decimal("0"))  # fmt: skip
    db.session.commit()
    ledger.give_verdict(new_call(15), actor="c", verdict="approved")
    db.session.rollback()
    db.session.commit()
    assert recorder.got == []
    assert db.session.get(HoursSettings, contract().id).low_warned is False


def test_mantis_style_verdict_events_count_the_same(ctx):
    buy("4")
    call = new_call(50)
    db.session.commit()
    calls.record_hours_verdict(call, actor="mantis:client", verdict="disputed", note="hm")
    db.session.commit()
    assert ledger.ledger(contract()).held == Decimal("1.00")
    calls.record_hours_verdict(call, actor="mantis:client", verdict="approved", note="ok")
    db.session.commit()
    book = ledger.ledger(contract())
    assert (book.held, book.approved, book.balance) == (
        Decimal("0.00"), Decimal("1.00"), Decimal("3.00"),
    )  # fmt: skip
    verdicts = db.session.scalars(select(CallFeedback.verdict).order_by(CallFeedback.id)).all()
    assert verdicts == ["disputed", "approved"]


def test_own_verdicts_are_not_applied_twice(ctx):
    buy("4")
    call = new_call(50)
    ledger.give_verdict(call, actor="c", verdict="approved", score=5)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(CallFeedback)) == 1


def test_an_outside_approval_that_would_overdraw_is_held(ctx):
    call = new_call(50)
    db.session.commit()
    calls.record_hours_verdict(call, actor="mantis:client", verdict="approved", note=None)
    db.session.commit()
    assert ledger.ledger(contract()).approved == Decimal("0.00")
    assert [e.minutes for e in ledger.pending_entries(contract(), call)] == [50]
    assert db.session.scalar(select(CallFeedback.outcome)) == "overdraft"


# --- the property -----------------------------------------------------------------------

STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("buy"), st.integers(1, 12)),  # quarter hours
        st.tuples(st.just("time"), st.integers(0, 3), st.integers(1, 200)),
        st.tuples(st.just("verdict"), st.integers(0, 3), st.sampled_from(ledger.VERDICTS)),
        st.tuples(st.just("resolve"), st.integers(0, 3), st.sampled_from(ledger.RESOLUTIONS)),
    ),
    max_size=14,
)


@pytest.mark.parametrize("overdraft", [Decimal("0"), Decimal("1.5")])
def test_the_ledger_always_reconciles(ctx, overdraft):
    book_contract = contract()
    row = ledger.settings(book_contract)
    db.session.commit()

    @given(steps=STEPS)
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    def run(steps: list[tuple]) -> None:
        row.overdraft_hours = overdraft
        the_calls = [new_call() for _ in range(4)]
        db.session.commit()
        for step in steps:
            try:
                if step[0] == "buy":
                    buy(str(Decimal(step[1]) / 4))
                elif step[0] == "time":
                    calls.add_time(the_calls[step[1]], actor="t", person="anja", minutes=step[2])
                elif step[0] == "verdict":
                    ledger.give_verdict(the_calls[step[1]], actor="c", verdict=step[2])
                else:
                    ledger.resolve(the_calls[step[1]], actor="m", action=step[2])
                db.session.commit()
            except HubError:
                db.session.rollback()
            book = ledger.ledger(book_contract)
            assert book.balance == book.purchased - book.approved
            assert book.balance >= -overdraft
            decided = db.session.scalars(select(HoursDecision)).all()
            held = sum(d.minutes for d in decided if d.state == "disputed")
            assert book.held == ledger.hours(held)
            approved = sum(d.minutes for d in decided if d.state == "approved")
            assert book.approved == ledger.hours(approved)
            assert all(d.minutes % 15 == 0 for d in decided)
        # start the next example from an empty card
        for table in ("hours_decisions", "call_feedback", "hours_purchases"):
            db.session.execute(db.metadata.tables[table].delete())
        db.session.commit()

    run()
