"""A call's clocks through its life: business-time due dates, pauses, stops, recomputation.

The demo contract runs Mon–Fri 08:30–17:30 Europe/Amsterdam with Dutch holidays; P2 is
120 business minutes to respond and 960 to resolve. Time is set with time-machine.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from hub import calls
from hub.db import db
from hub.models import CallPause, Clock
from hub.sla import clocks as engine

AMS = ZoneInfo("Europe/Amsterdam")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMS).astimezone(UTC)


class Timeline:
    """Runs call changes at given local times."""

    def __init__(self) -> None:
        self.call = None

    def at(self, when: datetime, change, *args, **kwargs):  # noqa: ANN001,ANN002,ANN003,ANN201
        with time_machine.travel(when, tick=False):
            result = change(*args, **kwargs)
            db.session.flush()
            return result

    def new(self, when: datetime, priority: str = "P2", **kwargs) -> object:  # noqa: ANN003
        kwargs.setdefault("application", "amarant-intranet")
        self.call = self.at(
            when, calls.create, actor="t", source="t", client="amarant", title="Clocks",
            priority=priority, **kwargs,
        )  # fmt: skip
        return self.call

    def move(self, when: datetime, to: str, actor: str = "t") -> None:
        self.at(when, calls.transition, self.call, to, actor=actor)

    def clock(self, kind: str, line: str | None = None) -> Clock:
        stmt = select(Clock).where(Clock.call_id == self.call.id, Clock.kind == kind)
        if line:
            stmt = stmt.where(Clock.line == line)
        return db.session.scalars(stmt.order_by(Clock.id.desc())).first()


@pytest.fixture
def t(ctx) -> Timeline:  # noqa: ANN001
    return Timeline()


def test_a_new_call_gets_response_resolution_and_line_clocks_in_business_time(t):
    # Friday 16:30: one business hour left that day; Monday starts at 08:30.
    t.new(local(2026, 11, 27, 16, 30))
    response, resolution, line = t.clock("response"), t.clock("resolution"), t.clock("line")
    assert response.due_at == local(2026, 11, 30, 9, 30)  # 60 min Fri + 60 min Mon
    assert resolution.due_at == local(2026, 12, 1, 14, 30)  # 960 min: Fri 1 h, Mon 9, Tue 6
    assert (line.line, line.target_minutes, line.due_at) == ("1-general", 960, resolution.due_at)
    warning = engine.rules_of(t.call.contract).warning_mark(120)
    assert warning == 90 and response.next_alert_at == local(2026, 11, 30, 9, 0)


def test_the_first_response_stops_the_response_clock_met_or_breached(t):
    t.new(local(2026, 11, 27, 16, 30))
    t.move(local(2026, 11, 30, 9, 0), "acknowledged")
    response = t.clock("response")
    assert (response.outcome, response.elapsed_minutes) == ("met", 90)
    assert response.due_at is None and response.next_alert_at is None
    t.new(local(2026, 11, 27, 16, 30))
    t.move(local(2026, 11, 30, 10, 0), "acknowledged")
    late = t.clock("response")
    assert (late.outcome, late.elapsed_minutes) == ("breached", 150)
    assert late.breached_at == local(2026, 11, 30, 9, 30)
    assert "on line 1-general" in late.cause


def test_waiting_for_the_client_pauses_and_the_resume_extends_the_due_time(t):
    t.new(local(2026, 12, 1, 9, 0))  # Tuesday
    due = t.clock("resolution").due_at
    t.move(local(2026, 12, 1, 9, 10), "acknowledged")
    t.move(local(2026, 12, 1, 10, 0), "waiting_for_client")
    resolution = t.clock("resolution")
    assert resolution.paused_since == local(2026, 12, 1, 10, 0)
    assert resolution.due_at is None and resolution.next_alert_at is None, "paused: not due"
    # Back after the night: 10:00–17:30 + 08:30–11:00 = 7.5 h + 2.5 h of business time.
    t.move(local(2026, 12, 2, 11, 0), "in_progress")
    resolution = t.clock("resolution")
    pause = db.session.scalars(select(CallPause).where(CallPause.call_id == t.call.id)).one()
    assert (pause.started_at, pause.ended_at) == (local(2026, 12, 1, 10), local(2026, 12, 2, 11))
    cal = engine.calendar_of(t.call.contract)
    assert resolution.due_at == cal.add(due, 600)
    assert resolution.paused_since is None


def test_a_priority_change_recomputes_from_the_history_and_keeps_the_paused_time(t):
    t.new(local(2026, 12, 1, 9, 0), priority="P3")
    t.move(local(2026, 12, 1, 9, 30), "acknowledged")
    t.move(local(2026, 12, 1, 10, 0), "waiting_for_client")
    t.move(local(2026, 12, 1, 15, 0), "in_progress")  # 5 business hours paused
    t.at(local(2026, 12, 1, 16, 0), calls.update, t.call, actor="t", priority="P1")
    resolution = t.clock("resolution")
    # P1: 240 business minutes from 09:00, plus the 300 paused: 09:00 + 9 h → 18:00,
    # past closing: 17:30 Tue, then 30 min on Wednesday.
    assert (resolution.priority, resolution.target_minutes) == ("P1", 240)
    assert resolution.due_at == local(2026, 12, 2, 9, 0)
    line = t.clock("line")
    assert line.target_minutes == 240


def test_resolve_and_reopen_runs_the_resolution_clock_on_without_the_resolved_time(t):
    t.new(local(2026, 12, 1, 9, 0))
    t.move(local(2026, 12, 1, 9, 5), "acknowledged")
    t.move(local(2026, 12, 1, 11, 0), "resolved")
    resolution = t.clock("resolution")
    assert (resolution.outcome, resolution.elapsed_minutes) == ("met", 120)
    assert t.clock("line").stopped_at is not None
    t.move(local(2026, 12, 3, 9, 0), "closed")
    t.move(local(2026, 12, 7, 9, 0), "reopened")  # Monday
    resolution = t.clock("resolution")
    assert resolution.stopped_at is None and resolution.outcome is None
    cal = engine.calendar_of(t.call.contract)
    assert resolution.due_at == cal.add(local(2026, 12, 7, 9, 0), 960 - 120)
    assert t.clock("line").stopped_at is None, "the line gets a new clock"
    t.move(local(2026, 12, 7, 10, 0), "resolved")
    assert t.clock("resolution").elapsed_minutes == 180


def test_a_line_change_stops_the_old_lines_clock_and_starts_the_new_ones(t):
    t.new(local(2026, 12, 1, 9, 0))
    t.at(local(2026, 12, 1, 10, 0), calls.update, t.call, actor="t", line="2-platform")
    old, new = t.clock("line", "1-general"), t.clock("line", "2-platform")
    assert (old.elapsed_minutes, old.outcome) == (60, "met")
    assert new.started_at == local(2026, 12, 1, 10, 0) and new.stopped_at is None


def test_line_targets_come_from_the_contracts_rules(t):
    t.call = None
    contract = calls.find_client("amarant").contracts[0]
    contract.rules = {"lines": {"2-platform": {"P2": 60}}}
    t.new(local(2026, 12, 1, 9, 0), line="2-platform")
    assert (t.clock("line").target_minutes, t.clock("line").due_at) == (
        60,
        local(2026, 12, 1, 10, 0),
    )


def test_an_internal_escalation_runs_a_collegial_clock_until_the_colleague_acts(t):
    from hub import auth

    auth.create_user("ronald", "secret-password-1", "associate", person="ronald")
    t.new(local(2026, 12, 1, 9, 0))
    t.at(local(2026, 12, 1, 9, 30), calls.escalate, t.call, actor="t", kind="functional",
         to_line="3-application", to_person="ronald", reason="needs code")  # fmt: skip
    collegial = t.clock("collegial")
    assert (collegial.person.key, collegial.line, collegial.target_minutes) == (
        "ronald", "3-application", 240,
    )  # fmt: skip
    t.at(local(2026, 12, 1, 10, 0), calls.add_note, t.call, actor="user:anja", note="x")
    assert t.clock("collegial").stopped_at is None, "someone else's note does not count"
    t.at(local(2026, 12, 1, 11, 15), calls.add_note, t.call, actor="user:ronald", note="on it")
    collegial = t.clock("collegial")
    assert (collegial.outcome, collegial.elapsed_minutes) == ("met", 105)


def test_a_call_without_a_contract_has_no_clocks(t):
    from hub import directory

    directory.create_client(key="nocontract", name="No contract")
    call = t.at(local(2026, 12, 1, 9), calls.create, actor="t", source="t",
                client="nocontract", title="x")  # fmt: skip
    t.call = call
    assert t.clock("response") is None
    t.move(local(2026, 12, 1, 10), "acknowledged")


def test_a_contract_change_recomputes_its_running_clocks(t):
    t.new(local(2026, 12, 1, 9, 0))
    contract = t.call.contract
    contract.calendar = {"always_open": True}
    running = db.session.scalars(
        select(Clock).join(Clock.call).where(Clock.stopped_at.is_(None))
    ).all()
    assert engine.recompute_contract(contract) == len(running) >= 3
    assert t.clock("response").due_at == local(2026, 12, 1, 11, 0)
    assert t.clock("resolution").due_at == local(2026, 12, 1, 9, 0) + timedelta(minutes=960)


# --- properties of pauses ----------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

OFFICE = engine.calendar_from("Europe/Amsterdam", engine.DEFAULT_CALENDAR)
T0 = local(2026, 3, 23, 7, 0)  # a week before summer time starts (29 March 2026)


@st.composite
def pauses(draw):  # noqa: ANN001,ANN201
    """Ordered, non-overlapping pauses after T0 (the last may still be open)."""
    cuts = sorted(draw(st.lists(st.integers(0, 60 * 24 * 40), min_size=0, max_size=8,
                                unique=True)))  # fmt: skip
    if len(cuts) % 2:
        cuts = cuts[:-1]
    out = [(T0 + timedelta(minutes=a), T0 + timedelta(minutes=b))
           for a, b in zip(cuts[::2], cuts[1::2], strict=True) if b > a]  # fmt: skip
    if out and draw(st.booleans()):
        out[-1] = (out[-1][0], None)
    return out


@settings(max_examples=150, deadline=None)
@given(minutes=st.integers(1, 60 * 9 * 15), paused=pauses())
def test_pauses_never_shorten_a_clock_and_are_left_out_exactly(minutes, paused):
    plain = engine.mark_time(OFFICE, T0, minutes, [])
    due = engine.mark_time(OFFICE, T0, minutes, paused)
    if due is None:  # stands still in an open pause that began before the due time
        closed = engine.mark_time(OFFICE, T0, minutes, paused[:-1])
        assert paused[-1][1] is None and paused[-1][0] < closed
        return
    assert due >= plain >= T0
    # Measured back with the pauses left out, the due time holds exactly the target.
    assert engine.used(OFFICE, T0, due, paused) == pytest.approx(minutes, abs=1e-6)


@settings(max_examples=100, deadline=None)
@given(minutes=st.integers(1, 60 * 9 * 15), paused=pauses(), extra=st.integers(1, 600))
def test_a_longer_target_is_never_due_sooner(minutes, paused, extra):
    a = engine.mark_time(OFFICE, T0, minutes, paused)
    b = engine.mark_time(OFFICE, T0, minutes + extra, paused)
    assert a is None and b is None or (a is not None and (b is None or b >= a))


# --- the seed's case: Amarant's intranet, Mon–Fri 08:30–17:30, Dutch holidays ------------

AMARANT = [
    # (opened, priority, response due, resolution due) — local times; targets P1 30/240,
    # P2 120/960, P3 480/2400, P4 960/4800 business minutes.
    (local(2026, 4, 24, 17, 0), "P1", local(2026, 4, 24, 17, 30), local(2026, 4, 28, 12, 0)),
    # ↑ Friday 17:00: 30 minutes that day; Monday 27 April is Koningsdag (closed), so the
    #   other 210 minutes of the resolution run from Tuesday 08:30.
    (local(2026, 12, 24, 16, 0), "P2", local(2026, 12, 28, 9, 0), local(2026, 12, 29, 14, 0)),
    # ↑ Christmas Eve 16:00 (open): 90 minutes; 25 and 26 December closed, then Sunday:
    #   30 more on Monday 28th; resolution 90 + 540 + 330 on Tuesday 29th.
    (local(2026, 5, 22, 12, 0), "P3", local(2026, 5, 26, 11, 0), local(2026, 5, 29, 16, 0)),
    # ↑ Friday before Whit Monday (25 May, closed): 330 on Friday, the rest from Tuesday.
    (local(2026, 4, 3, 9, 0), "P4", local(2026, 4, 8, 15, 30), local(2026, 4, 17, 16, 30)),
    # ↑ Good Friday (closed in the holidays package's NL rules) and Easter Monday:
    #   counting starts on Tuesday 7 April.
]


@pytest.mark.parametrize(("opened", "priority", "response", "resolution"), AMARANT)
def test_the_seeds_case_due_times(t, opened, priority, response, resolution):
    t.new(opened, priority=priority)
    assert t.clock("response").due_at == response
    assert t.clock("resolution").due_at == resolution
